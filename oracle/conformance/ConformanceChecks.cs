using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Conformance;

/// <summary>
/// What the conformance kit runs, without xunit: a golden example checked against the derived
/// tolerances (<see cref="Expected"/>, the same numbers the test vectors publish), and a property of
/// <see cref="Properties.All"/> over seeded random networks with the first failure shrunk.
/// <see cref="ConformanceTests{TImplementation}"/> turns these into xunit tests.
/// </summary>
public static class ConformanceChecks
{
    /// <summary>Random networks per property unless BACKPROPSPEC_PROPERTY_COUNT says otherwise.</summary>
    public const int DefaultCount = 200;
    /// <summary>The seed unless BACKPROPSPEC_SEED says otherwise: a fixed default, so a run is repeatable.</summary>
    public const ulong DefaultSeed = RunSettings.DefaultSeed;

    public static int Count => RunSettings.Count(DefaultCount);
    public static ulong Seed => RunSettings.Seed;

    /// <summary>Checks one worked example (a name of <see cref="Examples.Names"/>): forward outputs,
    /// loss, every gradient entry and every stepped parameter, in the precision the implementation
    /// declares. Null when nothing fails (wrong; or, when <paramref name="strict"/>, accuracy and range too).</summary>
    public static string? CheckExample(IBackprop impl, string example, bool strict = false)
    {
        Network n = Examples.Load(example);
        IReadOnlyList<Finding> findings = Expected.Of(n, impl.Capabilities.Precision).Check(impl);
        Finding[] failing = findings.Where(f => Zones.Fails(f.Zone, strict)).ToArray();
        if (failing.Length == 0) return null;
        return $"{impl.Name} fails the worked example {example} in {failing.Length} value(s):\n"
               + string.Join("\n", failing.Take(20).Select(v => $"  [{Zones.Name(v.Zone)}] {v.Describe()}"))
               + (failing.Length > 20 ? $"\n  … {failing.Length - 20} more" : "")
               + $"\nnetwork: {n}";
    }

    /// <summary>Runs the property named <paramref name="property"/> on networks 0 … count − 1 of
    /// <see cref="NetworkGen.Sample"/>; on the first failure, shrinks that network to a local minimum
    /// that fails the same property the same way. Null when the property holds on every network.</summary>
    public static PropertyFailure? CheckProperty(IBackprop impl, string property, ulong seed, int count, bool strict = false)
    {
        NetworkProperty check = Properties.Named(property);
        Precision precision = impl.Capabilities.Precision;
        for (int i = 0; i < count; i++)
        {
            Network network = NetworkGen.Sample(seed, i, count, impl.Capabilities);
            PropertyVerdict verdict = Properties.Judge(check, impl, network, precision);
            if (!verdict.Fails(strict)) continue;
            var (minimal, steps) = Minimize.Run(network, NetworkGen.Shrink, n => Properties.Judge(check, impl, n, precision).Zone == verdict.Zone);
            return new PropertyFailure(impl.Name, property, seed, i, count, network, minimal, steps, Properties.Judge(check, impl, minimal, precision));
        }
        return null;
    }
}

/// <summary>A property that failed: where (seed and index replay it), the shrunk network and what went wrong on it.</summary>
public sealed record PropertyFailure(
    string Implementation, string Property, ulong Seed, int Index, int Count, Network Original, Network Minimal, int ShrinkSteps, PropertyVerdict Verdict)
{
    public string Report() => string.Create(CultureInfo.InvariantCulture, $"""
        {Implementation} fails the property "{Property}" ({Zones.Name(Verdict.Zone)})
        on random network {Index} of {Count}, seed {Seed} (replay with BACKPROPSPEC_SEED={Seed} BACKPROPSPEC_PROPERTY_COUNT={Count}),
        shrunk in {ShrinkSteps} steps from {Original.ParameterCount} to {Minimal.ParameterCount} parameters. The minimal network:
        {Minimal}
        What fails on it:
        {Verdict.Message}
        {Verdict.Table?.Table() ?? ""}
        """);

    public override string ToString() => Report();
}
