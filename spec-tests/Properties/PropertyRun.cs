using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>A property failed: the message is the full report (what differs, the table).</summary>
public sealed class PropertyFailure(string message) : Exception(message);

/// <summary>
/// Runs a property over random networks with FsCheck. Every run prints its seed; the same seed
/// replays it exactly. BACKPROPSPEC_PROPERTY_COUNT raises the count (a nightly run: 100000),
/// BACKPROPSPEC_SEED picks another seed.
/// </summary>
public static class PropertyRun
{
    public const ulong DefaultSeed = RunSettings.DefaultSeed;
    const ulong Gamma = 0x9E3779B97F4A7C15;    // odd, as FsCheck's splittable generator needs

    public static int Count { get; } = RunSettings.Count(1000);
    public static ulong Seed { get; } = RunSettings.Seed;

    public static Config Config(string name, int? count = null) => FsCheck.Config.QuickThrowOnFailure
        .WithMaxTest(count ?? Count)
        .WithName(name)
        .WithQuietOnSuccess(true)
        .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(Seed, Gamma), FSharpOption<int>.None)));

    public static void Check(ITestOutputHelper output, string name, Arbitrary<Network> networks, Func<Network, string?> property, int? count = null)
    {
        output.WriteLine($"{name}: {count ?? Count} random networks, seed {Seed} (replay with BACKPROPSPEC_SEED={Seed})");
        Prop.ForAll(networks, n =>
        {
            string? failure = property(n);
            if (failure is not null) throw new PropertyFailure($"{failure}\nnetwork: {n}");
        }).Check(Config(name, count));
    }
}
