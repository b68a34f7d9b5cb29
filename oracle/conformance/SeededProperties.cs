using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace BackpropSpec.Conformance;

/// <summary>
/// Seeded runs for FsCheck's <c>[Property]</c>: case i of a run is a function of (seed, i) alone, so a
/// run can be split into shards and any one case replayed on its own. Compiled into both kits (xunit v2
/// and xunit.v3), each against its own FsCheck.Xunit.
///
/// How FsCheck is made to walk the run. FsCheck hands a generator a size and a random state; across a
/// run the size grows linearly from <c>StartSize</c> by (EndSize − StartSize)/MaxTest per test. A
/// <see cref="SeededPropertyAttribute"/> sets those three so that test j of shard K/N gets the size
/// <see cref="CursorBase"/> + (K − 1) + j·N: the size <em>is</em> the run index, above a million. The
/// seeded generators (<see cref="Cases{T}(Gen{T}, int)"/>) read it and draw case i from its own hashed
/// state, exactly as <see cref="NetworkGen.Sample"/> does, ignoring FsCheck's state. Below a million
/// they are the plain generator FsCheck drives: that is what a <c>Replay = "seed,gamma,size"</c> runs,
/// and case i's replay is the FsCheck state and size <see cref="NetworkGen.Sample"/> evaluates it at,
/// (hash(seed, i), γ, size of i). So the printed replay needs no environment: it is the case itself.
/// </summary>
public static class SeededRun
{
    /// <summary>FsCheck sizes from here up address case size − CursorBase of the seeded run.</summary>
    public const int CursorBase = 1_000_000;

    /// <summary>The sizes of the one test a run gets when its settings are broken (an unreadable
    /// BACKPROPSPEC_SHARD or BACKPROPSPEC_REPLAY) or leave it nothing (more shards than cases): its
    /// generators throw the reason, so the property fails saying why instead of checking nothing.</summary>
    internal const int BrokenSettings = CursorBase - 1, EmptyShard = CursorBase - 2;

    /// <summary>FsCheck's golden gamma: <c>new Rnd(seed)</c> uses it, and so does <see cref="NetworkGen.Sample"/>.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15;

    /// <summary>The FsCheck random state of case <paramref name="index"/> of the run from <paramref name="seed"/>.</summary>
    public static ulong StateOf(ulong seed, int index) => SplitMix.Hash(seed, (ulong)index);

    /// <summary>Case <paramref name="index"/> of a seeded run of <paramref name="count"/> cases: for the
    /// network generator, exactly <see cref="NetworkGen.Sample"/>(seed, index, count, caps).</summary>
    public static T Case<T>(Gen<T> gen, ulong seed, int index, int count) =>
        Gen.Sample(gen, 1, new Rnd(StateOf(seed, index)), NetworkGen.SampleSize(index, count))[0];

    /// <summary>The <c>Replay</c> that evaluates a plain generator on exactly case <paramref name="index"/>.</summary>
    public static string ReplayOf(ulong seed, int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{StateOf(seed, index)},{Gamma},{NetworkGen.SampleSize(index, count)}");

    /// <summary>A seeded generator: in a run, case (size − <see cref="CursorBase"/>) of the run from
    /// BACKPROPSPEC_SEED, with sizes growing over <paramref name="defaultCount"/> cases (or
    /// BACKPROPSPEC_PROPERTY_COUNT); under a Replay, <paramref name="gen"/> itself.</summary>
    public static Gen<T> Cases<T>(Gen<T> gen, int defaultCount) where T : class =>
        Gen.Sized(size => size < EmptyShard ? Replayed(gen) : Gen.Fresh(() =>
        {
            ThrowIfBroken(size);
            ulong seed = RunSettings.Seed;
            int index = size - CursorBase, count = RunSettings.Count(defaultCount);
            T value = Case(gen, seed, index, count);
            Origins.AddOrUpdate(value, new CaseOrigin(seed, index, count, ReplayOf(seed, index, count)));
            return value;
        }));

    /// <summary>Every item of a list once, in order: case i is <paramref name="at"/>(i) (for runs of
    /// exactly <paramref name="count"/> cases: the bug variants). Case i's replay is size i.</summary>
    public static Gen<T> Enumerated<T>(int count, Func<int, T> at) where T : class =>
        Gen.Sized(size => Gen.Fresh(() =>
        {
            ThrowIfBroken(size);
            bool replay = size < EmptyShard;
            int index = (replay ? size : size - CursorBase) % count;
            T value = at(index);
            ulong seed = RunSettings.Seed;
            Origins.AddOrUpdate(value, new CaseOrigin(seed, index, count, string.Create(CultureInfo.InvariantCulture, $"{seed},{Gamma},{index}")) { IsReplay = replay });
            return value;
        }));

    static Gen<T> Replayed<T>(Gen<T> gen) where T : class =>
        gen.Select(value => { Origins.AddOrUpdate(value, new CaseOrigin(RunSettings.Seed, -1, 0, null) { IsReplay = true }); return value; });

    /// <summary>A shrinker whose candidates remember the case they came from.</summary>
    public static Func<T, IEnumerable<T>> Shrinking<T>(Func<T, IEnumerable<T>> shrink) where T : class => value =>
        shrink(value).Select(candidate =>
        {
            if (OriginOf(value) is { } origin) Origins.AddOrUpdate(candidate, origin.Root with { IsShrunk = true, RootCase = origin.Root });
            return candidate;
        });

    static readonly ConditionalWeakTable<object, CaseOrigin> Origins = new();

    /// <summary>Where a generated (or shrunk) value comes from in its run; null for a value no seeded
    /// generator made.</summary>
    public static CaseOrigin? OriginOf(object value) => Origins.TryGetValue(value, out CaseOrigin? o) ? o : null;

    // ------------------------------------------------------------------ networks

    /// <summary>Seeded random networks inside <paramref name="caps"/>, shrunk by <see cref="NetworkGen.Shrink"/>.</summary>
    public static Arbitrary<Network> Networks(Capabilities caps, int defaultCount) =>
        Arb.From(Cases(NetworkGen.Networks(caps), defaultCount), Shrinking<Network>(NetworkGen.Shrink));

    /// <summary>Seeded random networks inside what <typeparamref name="TImplementation"/> supports.</summary>
    public static Arbitrary<NetworkFor<TImplementation>> NetworksFor<TImplementation>(int defaultCount) where TImplementation : IBackprop, new()
    {
        Arbitrary<Network> networks = Networks(new TImplementation().Capabilities, defaultCount);
        return Arb.From(networks.Generator.Select(n => new NetworkFor<TImplementation>(n)),
                        n => networks.Shrinker(n.Network).Select(c => new NetworkFor<TImplementation>(c)));
    }

    // ------------------------------------------------------------------ the settings, read once per property

    /// <summary>The FsCheck settings of a seeded run of <paramref name="Cases"/> cases, set by
    /// <paramref name="Count"/> (BACKPROPSPEC_PROPERTY_COUNT or the project's default).</summary>
    public readonly record struct Plan(ulong Seed, int Cases, int Count, Shard Shard, int MaxTest, int StartSize, int EndSize, string Replay, bool Replaying)
    {
        /// <summary>Whether case <paramref name="index"/> is the last this run checks.</summary>
        public bool IsLast(int index) => index + Shard.N >= Cases;
    }

    /// <summary>Reads BACKPROPSPEC_SEED, BACKPROPSPEC_SHARD and BACKPROPSPEC_REPLAY for a run of
    /// <paramref name="cases"/> cases; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static Plan PlanFor(int cases, int count) =>
        PlanFor(cases, count, RunSettings.Seed, RunSettings.Shard, Environment.GetEnvironmentVariable("BACKPROPSPEC_REPLAY"));

    /// <summary>The FsCheck settings of shard <paramref name="shard"/> of the run of <paramref name="cases"/>
    /// cases from <paramref name="seed"/>, or of the one case <paramref name="replay"/> names.</summary>
    public static Plan PlanFor(int cases, int count, ulong seed, Shard shard, string? replay)
    {
        int m = shard.Size(cases);
        if (m == 0) throw new ArgumentException($"BACKPROPSPEC_SHARD={shard} leaves this property's run of {cases} cases with nothing to check: use at most {cases} shards");
        if (!string.IsNullOrWhiteSpace(replay) && !IsReplay(replay))
            throw new ArgumentException($"BACKPROPSPEC_REPLAY='{replay}' is not FsCheck's seed,gamma,size (three whole numbers, gamma odd), as a failure prints it");
        // test j gets the size StartSize + (j + 1)·N = CursorBase + (K − 1) + j·N: case K − 1 + j·N
        int start = CursorBase + shard.K - 1 - shard.N;
        bool replaying = !string.IsNullOrWhiteSpace(replay);
        return new Plan(seed, cases, count, shard, m, start, start + shard.N * m, replaying ? replay!.Trim() : $"{seed},{Gamma}", replaying);
    }

    static bool IsReplay(string text)
    {
        string[] p = text.Trim().Trim('(', ')').Split(',');
        return p.Length == 3 && ulong.TryParse(p[0], out _) && ulong.TryParse(p[1], out ulong gamma) && gamma % 2 == 1 && uint.TryParse(p[2], out _);
    }

    static void ThrowIfBroken(int size)
    {
        if (size == EmptyShard)
            throw new InvalidOperationException("the shard leaves this property's run with nothing to check: it has fewer cases than K of K/N (use at most as many shards as cases)");
        if (size != BrokenSettings) return;
        try { PlanFor(int.MaxValue - CursorBase, 1); }
        catch (ArgumentException e) { throw new InvalidOperationException(e.Message); }
    }

    /// <summary>The line a property prints before its first case: what it checks and how to run it again.</summary>
    public static string Header(string what, Plan plan, string noun = "random networks")
    {
        if (plan.Replaying) return $"{what}: replaying one case, BACKPROPSPEC_REPLAY={plan.Replay}";
        string shard = plan.Shard.IsWhole ? "" : $", shard {plan.Shard}: the {plan.MaxTest} with i ≡ {plan.Shard.K - 1} (mod {plan.Shard.N})";
        return string.Create(CultureInfo.InvariantCulture,
            $"{what}: {plan.Cases} {noun} of seed {plan.Seed}{shard} (run them again with {RunLine(plan)})");
    }

    /// <summary>The environment that runs this run again.</summary>
    public static string RunLine(Plan plan) => string.Create(CultureInfo.InvariantCulture,
        $"BACKPROPSPEC_SEED={plan.Seed} BACKPROPSPEC_PROPERTY_COUNT={plan.Count}{(plan.Shard.IsWhole ? "" : $" BACKPROPSPEC_SHARD={plan.Shard}")}");

    /// <summary>Where a failing case comes from in its run, in words: "case 417 of the run of seed
    /// 20261123 (shard 2/4), shrunk".</summary>
    public static string Where(object failing, Plan plan)
    {
        CaseOrigin? origin = OriginOf(failing);
        if (origin is null) return "a case no seeded generator made";
        string shrunk = origin.IsShrunk ? ", shrunk" : "";
        if (origin.Root.IsReplay) return $"the replayed case{shrunk}";
        string shard = plan.Shard.IsWhole ? "" : $" (shard {plan.Shard})";
        return string.Create(CultureInfo.InvariantCulture, $"case {origin.Root.Index} of {plan.Cases} of the run of seed {origin.Root.Seed}{shard}{shrunk}");
    }

    /// <summary>The Replay of the case a failing value comes from (before shrinking; FsCheck shrinks
    /// it again), or null.</summary>
    public static string? ReplayFor(object failing) => OriginOf(failing) is { Root: { IsReplay: false, Replay: { } r } } ? r : null;

    /// <summary>How to replay a failing case: <paramref name="paste"/> for the attribute, the
    /// environment for one test, and the whole run.</summary>
    public static string ReplayLines(object failing, Plan plan, string test, Func<string, string> paste)
    {
        string? replay = ReplayFor(failing) ?? (plan.Replaying ? plan.Replay : null);
        string run = $"the whole run: {RunLine(plan)} dotnet test";
        if (replay is null) return run;
        return $"""
            replay this case alone (FsCheck shrinks it again):
              {paste(replay)}
              BACKPROPSPEC_REPLAY={replay} dotnet test --filter "FullyQualifiedName~{test}"
            {run}
            """;
    }
}

/// <summary>A property that does not hold on a case: the message is the whole report (what differs,
/// where the case comes from, how to replay it). FsCheck prints it under the original and the shrunk
/// case.</summary>
public sealed class PropertyFailure(string message) : Exception(message);

/// <summary>Where a case comes from: case <see cref="Index"/> of the run of <see cref="Seed"/> (of
/// <see cref="Count"/>), and the FsCheck Replay that draws it alone. A shrunk case points at the case it
/// was shrunk from, which also remembers how that case failed.</summary>
public sealed record CaseOrigin(ulong Seed, int Index, int Count, string? Replay)
{
    public bool IsReplay { get; init; }
    public bool IsShrunk { get; init; }
    internal CaseOrigin? RootCase { get; init; }
    public CaseOrigin Root => RootCase ?? this;

    /// <summary>How the original case failed (a zone, or another reason); shrinking keeps only
    /// candidates that fail the same way.</summary>
    public string? FailedAs { get; set; }
}

/// <summary>
/// A seeded random network inside what <typeparamref name="TImplementation"/> supports: its
/// activations and losses, and in its declared precision (a float32 implementation gets networks
/// whose answers a float32 can hold). Prints as its network document.
/// </summary>
public sealed class NetworkFor<TImplementation>(Network network) where TImplementation : IBackprop, new()
{
    public Network Network { get; } = network;

    public static implicit operator Network(NetworkFor<TImplementation> n) => n.Network;

    public override string ToString() => Network.ToString();
}

/// <summary>
/// FsCheck's <c>[Property]</c> over a seeded run. The run's settings come from the environment, read
/// when the test runs: BACKPROPSPEC_SEED (default 20261123), BACKPROPSPEC_PROPERTY_COUNT (cases per
/// property, default the project's), BACKPROPSPEC_SHARD=K/N (only cases i ≡ K − 1 mod N), and
/// BACKPROPSPEC_REPLAY (one case, as a failure prints it). <c>Replay = "…"</c> on the attribute replays
/// one case too. Every other option of <c>[Property]</c> works as FsCheck documents it.
/// </summary>
public abstract class SeededPropertyAttribute : PropertyAttribute
{
    readonly int defaultCount;
    int? count;
    int multiple = 1;

    /// <param name="defaultCount">Cases per property unless BACKPROPSPEC_PROPERTY_COUNT says otherwise;
    /// the seeded generators in <paramref name="generators"/> must grow their cases over the same count.</param>
    /// <param name="generators">The Arbitrary instances every property of this attribute uses.</param>
    protected SeededPropertyAttribute(int defaultCount, Type generators)
    {
        this.defaultCount = defaultCount;
        Arbitrary = [generators];
        Apply();
    }

    /// <summary>A fixed number of cases instead of BACKPROPSPEC_PROPERTY_COUNT: for runs that enumerate
    /// a list (every bug variant once).</summary>
    public int Count { get => count ?? 0; set { count = value; Apply(); } }

    /// <summary>BACKPROPSPEC_PROPERTY_COUNT times this many cases: for cheap cases that want more
    /// (damaged documents). Only for cases whose generator does not grow with the count.</summary>
    public int Multiple { get => multiple; set { multiple = value; Apply(); } }

    /// <summary>"K/N": check this shard whatever BACKPROPSPEC_SHARD says (the tests of sharding run
    /// every shard in one process this way).</summary>
    public string? Shard { get => shard; set { shard = value; Apply(); } }
    string? shard;

    /// <summary>The number of cases of the whole run (all shards).</summary>
    public int Cases => count ?? multiple * RunSettings.Count(defaultCount);

    /// <summary>This property's run as the environment (and a <c>Replay</c> on the attribute) sets it;
    /// throws when the settings are broken.</summary>
    public SeededRun.Plan Plan()
    {
        int runCount = RunSettings.Count(defaultCount);
        SeededRun.Plan plan = shard is null ? SeededRun.PlanFor(Cases, runCount)
            : SeededRun.PlanFor(Cases, runCount, RunSettings.Seed, Oracle.Shard.Parse(shard), Environment.GetEnvironmentVariable("BACKPROPSPEC_REPLAY"));
        return pastedReplay is { } r ? plan with { Replay = r, Replaying = true } : plan;
    }

    /// <summary>A Replay pasted into the attribute; FsCheck's own Replay carries the run's seed otherwise.</summary>
    public new string? Replay
    {
        get => base.Replay;
        set { pastedReplay = string.IsNullOrWhiteSpace(value) ? null : value; base.Replay = value; }
    }
    string? pastedReplay;

    void Apply()
    {
        SeededRun.Plan plan;
        try { plan = Plan(); }
        catch (ArgumentException)
        {
            // one test, at a size whose generators throw the reason
            bool empty;
            try { empty = (shard is null ? RunSettings.Shard : Oracle.Shard.Parse(shard)).Size(Cases) == 0; }
            catch (ArgumentException) { empty = false; }
            int size = empty ? SeededRun.EmptyShard : SeededRun.BrokenSettings;
            MaxTest = 1;
            StartSize = size - 1;
            EndSize = size;
            return;
        }
        MaxTest = plan.MaxTest;
        StartSize = plan.StartSize;
        EndSize = plan.EndSize;
        base.Replay = pastedReplay ?? plan.Replay;
    }

    /// <summary>The seeded attribute on <paramref name="type"/>'s method <paramref name="method"/>.</summary>
    public static SeededPropertyAttribute On(Type type, string method) =>
        type.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)?.GetCustomAttribute<SeededPropertyAttribute>()
        ?? throw new ArgumentException($"{type.Name}.{method} has no seeded property attribute");
}
