using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>The reference against every property, on random networks.</summary>
public class ReferenceProperties(ITestOutputHelper output)
{
    static readonly IBackprop Reference = new ReferenceBackprop();

    public static TheoryData<string> PropertyNames => new(Oracle.Properties.All.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(PropertyNames))]
    public void Reference_satisfies(string property)
    {
        NetworkProperty check = Oracle.Properties.All.Single(p => p.Name == property).Check;
        PropertyRun.Check(output, property, NetworkGen.Arbitrary(), n => check(Reference, n));
    }
}
