using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>The reference against every property, on random networks, strictly: every answer must
/// agree with the exact value within careful double arithmetic (no accuracy or range finding).</summary>
public class ReferenceProperties(ITestOutputHelper output)
{
    static readonly IBackprop Reference = new ReferenceBackprop();

    public static TheoryData<string> PropertyNames => new(Oracle.Properties.All.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(PropertyNames))]
    public void Reference_satisfies(string property)
    {
        NetworkProperty check = Oracle.Properties.All.Single(p => p.Name == property).Check;
        PropertyRun.Check(output, property, NetworkGen.Arbitrary(), n =>
        {
            PropertyVerdict v = Oracle.Properties.Judge(check, Reference, n, Precision.Float64);
            return v.Zone == Zone.Agrees ? null : $"[{Zones.Name(v.Zone)}] {v.Message}\n{v.Table?.Table()}";
        });
    }
}
