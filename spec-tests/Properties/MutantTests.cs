using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The suite must catch real bugs: every deliberately wrong variant of backprop is rejected by
/// the properties, its counterexample shrinks to a small network, and the diagnosis names its class
/// and no other. Seeded and deterministic: each variant searches the worked examples and then the
/// seeded run's networks in order, so the seed and network index printed replay the search exactly.
/// </summary>
public class MutantTests(ITestOutputHelper output) : PropertyTests(output)
{
    const int SearchLimit = 2000;

    /// <summary>The worked examples first (004's exact ReLU zeros), then seeded random networks.</summary>
    static IEnumerable<(string where, Network network)> Candidates()
    {
        ulong seed = RunSettings.Seed;
        foreach (string name in Examples.Names) yield return ($"example {name}", Examples.Load(name));
        for (int i = 0; i < SearchLimit; i++) yield return ($"seed {seed}, network {i}", NetworkGen.Sample(seed, i, SearchLimit));
    }

    /// <summary>Every one of the 26 variants, once per run (a shard takes its share of them).</summary>
    [NetworkProperty(Count = BugVariant.Count)]
    public Property Every_wrong_variant_is_rejected_with_a_small_counterexample_and_named(BugVariant variant)
    {
        Run();                                  // the run's line first, then each variant's search
        return Holds(variant, Rejection(variant.Bug));
    }

    string? Rejection(Bug bug)
    {
        var mutant = new Mutant(bug);
        string name = Bugs.Name(bug);
        foreach (var (where, network) in Candidates())
        {
            foreach (var (property, check) in Oracle.Properties.All)
            {
                if (Oracle.Properties.Judge(check, mutant, network).Zone != Zone.Wrong) continue;
                // shrink while this same property keeps finding it wrong
                var (minimal, steps) = Minimize.Run(network, NetworkGen.Shrink, n => Oracle.Properties.Judge(check, mutant, n).Zone == Zone.Wrong);
                Output.WriteLine($"{name}: rejected by \"{property}\" on {where}; shrunk in {steps} steps to {Trace.Shape(minimal)}, batch of {minimal.BatchSize}, {minimal.ParameterCount} parameters");
                Output.WriteLine(Oracle.Properties.Judge(check, mutant, minimal).Message);
                string small = minimal.Layers.Count > 2 ? $"{minimal.Layers.Count} layers after shrinking"
                    : !(minimal.Layers.All(l => l.Units <= 2) && minimal.Inputs <= 2) ? $"a layer wider than 2 after shrinking: {Trace.Shape(minimal)}"
                    : minimal.BatchSize > 2 ? $"batch of {minimal.BatchSize} after shrinking" : "";
                if (small.Length > 0) return $"{name}: {small}\n{minimal}";

                // and the diagnosis names it, alone
                Diagnosis.Result d = Diagnosis.Diagnose(mutant, Precision.Float64, minimal, network);
                Output.WriteLine($"diagnosis: [{string.Join(", ", d.Classes.Select(Bugs.Name))}]; {d.Pattern}");
                return d.Classes.SequenceEqual([bug]) ? null : $"{name}: diagnosed as [{string.Join(", ", d.Classes.Select(Bugs.Name))}]\n{minimal}";
            }
        }
        return $"{name} passed every property on the examples and {SearchLimit} random networks (seed {RunSettings.Seed})";
    }

    [Fact]
    public void The_bug_variant_property_enumerates_every_bug_class() => Assert.Equal(BugVariant.Count, Bugs.All.Count);

    [NetworkProperty]
    public Property Mutant_with_no_bug_agrees_with_the_reference_to_the_last_bit(Network n)
    {
        var reference = new ReferenceBackprop();
        var clean = new Mutant(Bug.None);
        bool same = reference.Gradients(n).Flatten().SequenceEqual(clean.Gradients(n).Flatten())
                    && reference.Step(n).Flatten().SequenceEqual(clean.Step(n).Flatten());
        return Holds(n, same ? null : "the mutant without a bug differs from the reference");
    }
}
