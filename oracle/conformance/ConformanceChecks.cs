using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Conformance;

/// <summary>
/// What the conformance kit runs, without any test framework: a golden example checked against the
/// derived tolerances (<see cref="Expected"/>, the same numbers the test vectors publish), and a
/// property of <see cref="Properties.All"/> over seeded random networks with the first failure
/// shrunk. Both kits (BackpropSpec.Conformance for xunit v2, BackpropSpec.Conformance.XunitV3 for
/// xunit.v3) compile this one file, so they judge alike.
///
/// What an implementation supports is its <see cref="IBackprop.Capabilities"/> (activations and
/// losses, as the protocol's hello lists them): golden examples outside it are skipped, random
/// networks are drawn inside it, and a network it declines by throwing
/// <see cref="NotSupportedException"/> is skipped and counted, never failed. Answers are judged in
/// the implementation's declared precision (<see cref="Capabilities.Precision"/>): wrong answers fail;
/// accuracy and range findings fail only when the kit is strict.
/// </summary>
public static class ConformanceChecks
{
    /// <summary>Random networks per property unless BACKPROPSPEC_PROPERTY_COUNT says otherwise.</summary>
    public const int DefaultCount = 200;
    /// <summary>The seed unless BACKPROPSPEC_SEED says otherwise: a fixed default, so a run is repeatable.</summary>
    public const ulong DefaultSeed = RunSettings.DefaultSeed;

    public static int Count => RunSettings.Count(DefaultCount);
    public static ulong Seed => RunSettings.Seed;

    /// <summary>Why the implementation does not take this worked example (outside its capabilities),
    /// or null when it does.</summary>
    public static string? Unsupported(IBackprop impl, string example) => Outside(Examples.Load(example), impl.Capabilities);

    /// <summary>Why a network is outside the capabilities, or null when it is inside.</summary>
    public static string? Outside(Network n, Capabilities caps)
    {
        if (!caps.Losses.Contains(n.Loss)) return $"the implementation does not support the loss {Loss.Name(n.Loss)} (its Capabilities)";
        foreach (Layer l in n.Layers)
            if (!caps.Activations.Contains(l.Activation)) return $"the implementation does not support the activation {Activations.Name(l.Activation)} (its Capabilities)";
        return null;
    }

    /// <summary>Checks one worked example (a name of <see cref="Examples.Names"/>): forward outputs,
    /// loss, every gradient entry and every stepped parameter, in the precision the implementation
    /// declares. It fails on a wrong answer (and, when <paramref name="strict"/>, on an accuracy or
    /// range finding too).</summary>
    public static ExampleOutcome CheckExample(IBackprop impl, string example, bool strict = false)
    {
        Network n = Examples.Load(example);
        if (Outside(n, impl.Capabilities) is { } outside) return new ExampleOutcome(example, outside, null);
        var recorder = new DeclineRecorder(impl);
        IReadOnlyList<Finding> findings = Expected.Of(n, impl.Capabilities.Precision).Check(recorder);
        if (recorder.Declined is { } declined) return new ExampleOutcome(example, $"declined by the implementation: {declined.Message}", null);
        Finding[] failing = findings.Where(f => Zones.Fails(f.Zone, strict)).ToArray();
        if (failing.Length == 0) return new ExampleOutcome(example, null, null);
        return new ExampleOutcome(example, null,
            $"{impl.Name} fails the worked example {example} in {failing.Length} value(s):\n"
            + string.Join("\n", failing.Take(20).Select(v => $"  [{Zones.Name(v.Zone)}] {v.Describe()}"))
            + (failing.Length > 20 ? $"\n  … {failing.Length - 20} more" : "")
            + $"\nnetwork: {n}");
    }

    /// <summary>Runs the property named <paramref name="property"/> on networks 0 … count − 1 of
    /// <see cref="NetworkGen.Sample"/> within the implementation's capabilities; on the first failure,
    /// shrinks that network to a local minimum that fails the same property the same way, on a
    /// straight answer.</summary>
    public static PropertyOutcome CheckProperty(IBackprop impl, string property, ulong seed, int count, bool strict = false)
    {
        NetworkProperty check = Properties.Named(property);
        Capabilities caps = impl.Capabilities;
        var recorder = new DeclineRecorder(impl);
        int checkedCount = 0, declined = 0;
        string? firstDecline = null;

        for (int i = 0; i < count; i++)
        {
            Network network = NetworkGen.Sample(seed, i, count, caps);
            recorder.Clear();
            PropertyVerdict verdict = Properties.Judge(check, recorder, network, caps.Precision);
            if (recorder.Declined is { } e) { declined++; firstDecline ??= $"random network {i}: {e.Message}"; continue; }
            checkedCount++;
            if (!verdict.Fails(strict)) continue;
            // a candidate counts only when the same property fails it the same way, not on a decline
            bool Fails(Network n)
            {
                if (Outside(n, caps) is not null) return false;
                recorder.Clear();
                return Properties.Judge(check, recorder, n, caps.Precision).Zone == verdict.Zone && recorder.Declined is null;
            }
            var (minimal, steps) = Minimize.Run(network, NetworkGen.Shrink, Fails);
            recorder.Clear();
            PropertyVerdict onMinimal = Properties.Judge(check, recorder, minimal, caps.Precision);
            return new PropertyOutcome(property, seed, count, checkedCount, declined, firstDecline,
                new PropertyFailure(impl.Name, property, seed, i, count, network, minimal, steps, onMinimal.Zone == Zone.Agrees ? verdict : onMinimal));
        }
        return new PropertyOutcome(property, seed, count, checkedCount, declined, firstDecline, null);
    }

    /// <summary>Passes every call through, and remembers the first <see cref="NotSupportedException"/>.</summary>
    sealed class DeclineRecorder(IBackprop inner) : IBackprop
    {
        public NotSupportedException? Declined { get; private set; }
        public void Clear() => Declined = null;
        public string Name => inner.Name;
        public Capabilities Capabilities => inner.Capabilities;
        public Evaluation Forward(Network network) => Record(() => inner.Forward(network));
        public Gradients Gradients(Network network) => Record(() => inner.Gradients(network));
        public Parameters Step(Network network) => Record(() => inner.Step(network));

        T Record<T>(Func<T> call)
        {
            try { return call(); }
            catch (NotSupportedException e) { Declined ??= e; throw; }
        }
    }
}

/// <summary>A worked example's outcome: skipped (with the reason), failed (with the report), or passed (both null).</summary>
public sealed record ExampleOutcome(string Example, string? Skipped, string? Failure);

/// <summary>A property's outcome over a seeded run: how many networks were checked and declined, and the first failure.</summary>
public sealed record PropertyOutcome(string Property, ulong Seed, int Count, int Checked, int Declined, string? FirstDecline, PropertyFailure? Failure)
{
    /// <summary>One line for the test output: the seed first, so a run can be replayed.</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"seed {Seed} (replay with BACKPROPSPEC_SEED={Seed} BACKPROPSPEC_PROPERTY_COUNT={Count}): {Property}: {Checked} of {Count} random networks checked, {Declined} declined as unsupported{(FirstDecline is null ? "" : $" (first: {FirstDecline})")}");
}

/// <summary>A property that failed: where (seed and index replay it), the shrunk network and what went wrong on it.</summary>
public sealed record PropertyFailure(
    string Implementation, string Property, ulong Seed, int Index, int Count, Network Original, Network Minimal, int ShrinkSteps, PropertyVerdict Verdict)
{
    /// <summary>The report; its first line is the seed and the way to replay it.</summary>
    public string Report() => string.Create(CultureInfo.InvariantCulture, $"""
        seed {Seed}, random network {Index} of {Count} (replay with BACKPROPSPEC_SEED={Seed} BACKPROPSPEC_PROPERTY_COUNT={Count})
        {Implementation} fails the property "{Property}" ({Zones.Name(Verdict.Zone)}),
        shrunk in {ShrinkSteps} steps from {Original.ParameterCount} to {Minimal.ParameterCount} parameters. The minimal network:
        {Minimal}
        What fails on it:
        {Verdict.Message}
        {Verdict.Table?.Table() ?? ""}
        """);

    public override string ToString() => Report();
}
