using System.Globalization;

namespace BackpropSpec.Oracle;

/// <summary>
/// How many random networks a run judges and from which seed, for every runner of the properties
/// (the test suite, the conformance kit, `check`): a fixed default seed, so every run is repeatable,
/// and BACKPROPSPEC_SEED / BACKPROPSPEC_PROPERTY_COUNT to replay another run or raise the count.
/// BACKPROPSPEC_SHARD=K/N splits a run over N machines (<see cref="Oracle.Shard"/>).
/// </summary>
public static class RunSettings
{
    public const ulong DefaultSeed = 20261123;

    /// <summary>BACKPROPSPEC_SEED, or <see cref="DefaultSeed"/>.</summary>
    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("BACKPROPSPEC_SEED"), out ulong s) ? s : DefaultSeed;

    /// <summary>BACKPROPSPEC_PROPERTY_COUNT when it is a positive number, or the runner's own default.</summary>
    public static int Count(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("BACKPROPSPEC_PROPERTY_COUNT"), out int n) && n > 0 ? n : defaultCount;

    /// <summary>BACKPROPSPEC_SHARD (K/N), or the whole run. A value that is not K/N with 1 ≤ K ≤ N throws:
    /// a typo must not make every machine check everything, or nothing.</summary>
    public static Shard Shard => Shard.Parse(Environment.GetEnvironmentVariable("BACKPROPSPEC_SHARD"));
}
