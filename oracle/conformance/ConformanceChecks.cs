using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Conformance;

/// <summary>
/// What the conformance kit runs, without any test framework: a golden example checked against the
/// derived tolerances (<see cref="Expected"/>, the same numbers the test vectors publish), and a
/// property of <see cref="Properties.All"/> on one network (FsCheck's <c>[Property]</c> draws the
/// networks and shrinks the first failure: <see cref="SeededRun"/>). Both kits (BackpropSpec.Conformance
/// for xunit v2, BackpropSpec.Conformance.XunitV3 for xunit.v3) compile this one file, so they judge
/// alike.
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

    /// <summary>Judges the property named <paramref name="property"/> on one network, in the precision
    /// the implementation declares. A network outside its capabilities, or one it declines by throwing
    /// <see cref="NotSupportedException"/>, is skipped with the reason, never judged.</summary>
    public static NetworkOutcome CheckNetwork(IBackprop impl, string property, Network network)
    {
        NetworkProperty check = Properties.Named(property);
        if (Outside(network, impl.Capabilities) is { } outside) return new NetworkOutcome(null, outside);
        var recorder = new DeclineRecorder(impl);
        PropertyVerdict verdict = Properties.Judge(check, recorder, network, impl.Capabilities.Precision);
        if (recorder.Declined is { } declined) return new NetworkOutcome(null, $"declined by the implementation: {declined.Message}");
        return new NetworkOutcome(verdict, null);
    }

    /// <summary>Passes every call through, and remembers the first <see cref="NotSupportedException"/>.</summary>
    sealed class DeclineRecorder(IBackprop inner) : IBackprop
    {
        public NotSupportedException? Declined { get; private set; }
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

/// <summary>A property's outcome on one network: its verdict, or why the network was skipped.</summary>
public sealed record NetworkOutcome(PropertyVerdict? Verdict, string? Skipped);
