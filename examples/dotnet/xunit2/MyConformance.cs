using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using MyCompany.Backprop;
using Xunit;
using Xunit.Abstractions;

namespace MyCompany.Backprop.Tests;

/// <summary>Every golden example and every property of the kit, against MyBackprop.</summary>
public class MyConformance(ITestOutputHelper output) : ConformanceTests<MyBackprop>(output);

/// <summary>Your own tests live beside the kit's: xunit's [Fact], and FsCheck's [Property] over the
/// kit's seeded networks as [ConformanceProperty].</summary>
public class MyOwnTests
{
    [Fact]
    public void The_002_network_gives_the_gradient_002_prints()
    {
        Gradients g = new MyBackprop().Gradients(Examples.Load("002"));
        Assert.Equal(0.08216704056, g.dE_dW[1][0, 0], 11);
    }

    [ConformanceProperty]
    public bool Outputs_of_a_sigmoid_layer_lie_in_0_1(NetworkFor<MyBackprop> n) =>
        n.Network.Output.Activation != Activation.Sigmoid
        || new MyBackprop().Forward(n).Outputs.All(row => row.All(o => o is >= 0 and <= 1));
}
