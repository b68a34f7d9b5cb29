using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MyCompany.Backprop;
using Xunit;

namespace MyCompany.Backprop.Tests;

/// <summary>Every golden example and every property of the kit, against MyBackprop.</summary>
public class MyConformance : ConformanceTests<MyBackprop>;

/// <summary>Your own tests live beside the kit's, with xunit.v3's [Fact] and FsCheck's [Property].</summary>
public class MyOwnTests
{
    [Fact]
    public void The_002_network_gives_the_gradient_002_prints()
    {
        Gradients g = new MyBackprop().Gradients(Examples.Load("002"));
        Assert.Equal(0.08216704056, g.dE_dW[1][0, 0], 11);
    }

    [Property(MaxTest = 50)]
    public Property Outputs_of_a_sigmoid_layer_lie_in_0_1() =>
        Prop.ForAll(NetworkGen.Arbitrary(new MyBackprop().Capabilities), n =>
            n.Output.Activation != Activation.Sigmoid
            || new MyBackprop().Forward(n).Outputs.All(row => row.All(o => o is >= 0 and <= 1)));
}
