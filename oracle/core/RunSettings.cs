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

    /// <summary>The environment variables read.</summary>
    public const string SeedVariable = "BACKPROPSPEC_SEED", CountVariable = "BACKPROPSPEC_PROPERTY_COUNT", ShardVariable = "BACKPROPSPEC_SHARD";

    /// <summary>BACKPROPSPEC_SEED, or <see cref="DefaultSeed"/>.</summary>
    public static ulong Seed => SeedOf(Environment.GetEnvironmentVariable(SeedVariable));

    /// <summary>BACKPROPSPEC_PROPERTY_COUNT when it is a positive number, or the runner's own default.</summary>
    public static int Count(int defaultCount) => CountOf(Environment.GetEnvironmentVariable(CountVariable), defaultCount);

    /// <summary>BACKPROPSPEC_SHARD (K/N), or the whole run. A value that is not K/N with 1 ≤ K ≤ N throws:
    /// a typo must not make every machine check everything, or nothing.</summary>
    public static Shard Shard => Shard.Parse(Environment.GetEnvironmentVariable(ShardVariable));

    /// <summary>A seed's text: a whole number from 0 to 2⁶⁴ − 1 (spaces around it allowed); unset or blank,
    /// the default. Anything else throws, naming the variable: a typo must not quietly run the default
    /// seed while the user believes another was replayed.</summary>
    internal static ulong SeedOf(string? text) =>
        string.IsNullOrWhiteSpace(text) ? DefaultSeed
        : ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong s) ? s
        : throw new ArgumentException($"{SeedVariable}='{text}' is not a seed: a whole number from 0 to {ulong.MaxValue} (for example 31337)");

    /// <summary>A count's text: a positive whole number; unset or blank, the runner's default. Anything
    /// else (0, negative, 1e4, 10_000) throws, naming the variable.</summary>
    internal static int CountOf(string? text, int defaultCount) =>
        string.IsNullOrWhiteSpace(text) ? defaultCount
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
        : throw new ArgumentException($"{CountVariable}='{text}' is not a count: a positive whole number, written in digits (for example 10000)");
}
