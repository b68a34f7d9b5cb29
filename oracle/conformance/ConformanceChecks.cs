using System.Globalization;
using BackpropSpec.Oracle;
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
    /// loss, every gradient entry and every stepped parameter. Null when all agree, otherwise a report.</summary>
    public static string? CheckExample(IBackprop impl, string example)
    {
        Network n = Examples.Load(example);
        IReadOnlyList<Violation> violations = Expected.Of(n).Check(impl);
        if (violations.Count == 0) return null;
        return $"{impl.Name} disagrees with the worked example {example} in {violations.Count} value(s):\n"
               + string.Join("\n", violations.Take(20).Select(v => $"  {v}"))
               + (violations.Count > 20 ? $"\n  … {violations.Count - 20} more" : "")
               + $"\nnetwork: {n}";
    }

    /// <summary>Runs the property named <paramref name="property"/> on networks 0 … count − 1 of
    /// <see cref="NetworkGen.Sample"/>; on the first failure, shrinks that network to a local minimum
    /// that still fails. Null when the property holds on every network.</summary>
    public static PropertyFailure? CheckProperty(IBackprop impl, string property, ulong seed, int count)
    {
        if (!Properties.All.Any(p => p.Name == property))
            throw new ArgumentException($"no property named '{property}'; the properties are: {string.Join("; ", Properties.All.Select(p => p.Name))}");
        NetworkProperty check = Properties.All.First(p => p.Name == property).Check;
        for (int i = 0; i < count; i++)
        {
            Network network = NetworkGen.Sample(seed, i, count);
            if (Properties.Judge(check, impl, network) is null) continue;
            var (minimal, steps) = Minimize.Run(network, NetworkGen.Shrink, n => Properties.Judge(check, impl, n) is not null);
            return new PropertyFailure(impl.Name, property, seed, i, count, network, minimal, steps, Properties.Judge(check, impl, minimal)!);
        }
        return null;
    }
}

/// <summary>A property that failed: where (seed and index replay it), the shrunk network and what went wrong on it.</summary>
public sealed record PropertyFailure(
    string Implementation, string Property, ulong Seed, int Index, int Count, Network Original, Network Minimal, int ShrinkSteps, string Message)
{
    public string Report() => string.Create(CultureInfo.InvariantCulture, $"""
        {Implementation} fails the property "{Property}"
        on random network {Index} of {Count}, seed {Seed} (replay with BACKPROPSPEC_SEED={Seed} BACKPROPSPEC_PROPERTY_COUNT={Count}),
        shrunk in {ShrinkSteps} steps from {Original.ParameterCount} to {Minimal.ParameterCount} parameters. The minimal network:
        {Minimal}
        What fails on it:
        {Message}
        """);

    public override string ToString() => Report();
}
