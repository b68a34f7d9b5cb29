using System.Runtime.CompilerServices;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The suite's <c>[Property]</c>: FsCheck over the seeded run of <see cref="SeededRun"/>, 1,000 cases
/// per property unless BACKPROPSPEC_PROPERTY_COUNT says otherwise (a nightly run: 100000), from
/// BACKPROPSPEC_SEED (default 20261123), the shard BACKPROPSPEC_SHARD=K/N of them, or the one case
/// that <c>Replay = "…"</c> or BACKPROPSPEC_REPLAY names. The generators are <see cref="Generators"/>.
/// </summary>
public sealed class NetworkPropertyAttribute : SeededPropertyAttribute
{
    public const int DefaultCount = 1000;

    public NetworkPropertyAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(DefaultCount, typeof(Generators)) => _ = (sourceFilePath, sourceLineNumber);
}

/// <summary>The suite's generators, registered once by <see cref="NetworkPropertyAttribute"/>: seeded
/// random networks (shrunk to a minimal network), the same inside an implementation's capabilities,
/// and the argument types of the suite's own properties. The hostile-input tests register theirs on
/// their classes.</summary>
public static class Generators
{
    public static Arbitrary<Network> Networks() => SeededRun.Networks(Capabilities.Everything, NetworkPropertyAttribute.DefaultCount);

    public static Arbitrary<NetworkFor<T>> NetworksFor<T>() where T : IBackprop, new() => SeededRun.NetworksFor<T>(NetworkPropertyAttribute.DefaultCount);

    /// <summary>Every bug variant once, in the order of <see cref="Bugs.All"/>.</summary>
    public static Arbitrary<BugVariant> BugVariants() =>
        SeededRun.Enumerated(BugVariant.Count, i => new BugVariant(Bugs.All[i])).ToArbitrary();

    /// <summary>Net inputs from −1000 to 1000 in steps of 1/1000, and the edges: ±0, ±1e-300, 710, −750.</summary>
    public static Arbitrary<NetInput> NetInputs() =>
        SeededRun.Cases(Gen.OneOf(Gen.Choose(-1_000_000, 1_000_000).Select(k => k / 1000.0), Gen.Elements(0.0, -0.0, 1e-300, -1e-300, 710.0, -750.0))
            .Select(x => new NetInput(x)), NetworkPropertyAttribute.DefaultCount).ToArbitrary();

    /// <summary>Chains of 1–5 single sigmoid units with weights in [−1, 1], half-sse, one example.</summary>
    public static Arbitrary<SigmoidChain> SigmoidChains() =>
        SeededRun.Cases(
            from depth in Gen.Choose(1, 5)
            from weights in Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(k => k / 1000.0), depth)
            from x in Gen.Choose(-5000, 5000)
            from t in Gen.Choose(0, 1000)
            select new SigmoidChain(Network.Create(1, weights.Select(w => new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)).ToArray(),
                                                   LossKind.HalfSse, 0.5, [[x / 1000.0]], [[t / 1000.0]])),
            NetworkPropertyAttribute.DefaultCount).ToArbitrary();
}

/// <summary>One of the 26 wrong variants of backprop (<see cref="Mutant"/>).</summary>
public sealed record BugVariant(Bug Bug)
{
    /// <summary>The number of bug classes: the bug-variant property enumerates them all (a test keeps it equal to <see cref="Bugs.All"/>).</summary>
    public const int Count = 26;

    public override string ToString() => Bugs.Name(Bug);
}

/// <summary>A net input of an activation.</summary>
public sealed record NetInput(double Net)
{
    public override string ToString() => Net.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A chain of single sigmoid units; prints as its network document.</summary>
public sealed record SigmoidChain(Network Network)
{
    public override string ToString() => Network.ToString();
}

/// <summary>
/// A test class of seeded properties: each property prints its run once (the seed, the count, the
/// shard and how to run it again), and a case it fails on fails with the report, where the case comes
/// from and the lines that replay it.
/// </summary>
public abstract class PropertyTests(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    SeededRun.Plan? plan;

    /// <summary>The property <paramref name="test"/> holds on <paramref name="case"/> when
    /// <paramref name="failure"/> is null; otherwise it fails with it.</summary>
    protected Property Holds(object @case, string? failure, [CallerMemberName] string test = "")
    {
        SeededRun.Plan run = Run(test);
        if (failure is null) return true.ToProperty();
        throw new PropertyFailure($"""
            {test} fails on {SeededRun.Where(@case, run)}:
            {failure}
            {SeededRun.ReplayLines(@case, run, test, r => $"[NetworkProperty(Replay = \"{r}\")] on {test}")}
            """);
    }

    /// <summary>This test's run, printed before its first case.</summary>
    protected SeededRun.Plan Run([CallerMemberName] string test = "")
    {
        if (plan is { } known) return known;
        SeededRun.Plan run = SeededPropertyAttribute.On(GetType(), test).Plan();
        Output.WriteLine(SeededRun.Header(test.Replace('_', ' '), run, "cases"));
        plan = run;
        return run;
    }
}
