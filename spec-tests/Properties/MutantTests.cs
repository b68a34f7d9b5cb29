using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The suite must catch real bugs: every deliberately wrong variant of backprop is rejected by
/// the properties, its counterexample shrinks to a small network, and the diagnosis names its class
/// and no other. Seeded and deterministic:
/// the seed and network index are printed and replay the search exactly.
/// </summary>
public class MutantTests(ITestOutputHelper output)
{
    const int SearchLimit = 2000;

    public static TheoryData<string> BugNames => new(Bugs.All.Select(Bugs.Name));

    /// <summary>The worked examples first (004's exact ReLU zeros), then seeded random networks.</summary>
    static IEnumerable<(string where, Network network)> Candidates()
    {
        foreach (string name in Examples.Names) yield return ($"example {name}", Examples.Load(name));
        for (int i = 0; i < SearchLimit; i++) yield return ($"seed {PropertyRun.Seed}, network {i}", NetworkGen.Sample(PropertyRun.Seed, i, SearchLimit));
    }

    [Theory]
    [MemberData(nameof(BugNames))]
    public void Wrong_variant_is_rejected_with_a_small_counterexample_and_named(string bug)
    {
        var mutant = new Mutant(Bugs.Parse(bug));
        foreach (var (where, network) in Candidates())
        {
            foreach (var (name, check) in Oracle.Properties.All)
            {
                if (Oracle.Properties.Judge(check, mutant, network).Zone != Zone.Wrong) continue;
                // shrink while this same property keeps finding it wrong
                var (minimal, steps) = Minimize.Run(network, NetworkGen.Shrink, n => Oracle.Properties.Judge(check, mutant, n).Zone == Zone.Wrong);
                output.WriteLine($"{bug}: rejected by \"{name}\" on {where}; shrunk in {steps} steps to {Trace.Shape(minimal)}, batch of {minimal.BatchSize}, {minimal.ParameterCount} parameters");
                output.WriteLine(Oracle.Properties.Judge(check, mutant, minimal).Message);
                output.WriteLine(minimal.ToString());
                Assert.True(minimal.Layers.Count <= 2, $"{bug}: {minimal.Layers.Count} layers after shrinking");
                Assert.True(minimal.Layers.All(l => l.Units <= 2) && minimal.Inputs <= 2, $"{bug}: a layer wider than 2 after shrinking: {Trace.Shape(minimal)}");
                Assert.True(minimal.BatchSize <= 2, $"{bug}: batch of {minimal.BatchSize} after shrinking");

                // and the diagnosis names it, alone
                Diagnosis.Result d = Diagnosis.Diagnose(mutant, Precision.Float64, minimal, network);
                output.WriteLine($"diagnosis: [{string.Join(", ", d.Classes.Select(Bugs.Name))}]; {d.Pattern}");
                Assert.Equal([mutant.Bug], d.Classes);
                return;
            }
        }
        Assert.Fail($"{bug} passed every property on the examples and {SearchLimit} random networks (seed {PropertyRun.Seed})");
    }

    [Fact]
    public void Mutant_with_no_bug_agrees_with_the_reference_to_the_last_bit()
    {
        var reference = new ReferenceBackprop();
        var clean = new Mutant(Bug.None);
        for (int i = 0; i < 300; i++)
        {
            Network n = NetworkGen.Sample(PropertyRun.Seed, i, 300);
            Assert.Equal(reference.Gradients(n).Flatten(), clean.Gradients(n).Flatten());
            Assert.Equal(reference.Step(n).Flatten(), clean.Step(n).Flatten());
        }
    }
}
