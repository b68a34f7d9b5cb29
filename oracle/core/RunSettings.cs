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

/// <summary>
/// Shard K of N of a run: the items i of the run with i ≡ K − 1 (mod N). The N shards are disjoint and
/// together are the run, whatever its count. Strided rather than contiguous because the items of a run
/// are not alike: network i grows with i (<see cref="NetworkGen.SampleSize"/>, from 0 to 100), and the
/// per-parameter oracles cost O(P²), so contiguous blocks would give the first machine only the
/// smallest networks and the last one most of the work. A stride gives every shard the same spread of
/// sizes, so the machines finish together and each shard alone is a fair sample of the run.
/// </summary>
public readonly record struct Shard
{
    public int K { get; }
    public int N { get; }

    public Shard(int k, int n)
    {
        if (n < 1 || k < 1 || k > n) throw new ArgumentException($"a shard is K/N with 1 <= K <= N, not {k}/{n}");
        (K, N) = (k, n);
    }

    public static Shard Whole { get; } = new(1, 1);

    public bool IsWhole => N == 1;

    /// <summary>"K/N"; null or blank is the whole run.</summary>
    public static Shard Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Whole;
        string[] parts = text.Trim().Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                              && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                              && n >= 1 && k >= 1 && k <= n)
            return new Shard(k, n);
        throw new ArgumentException($"BACKPROPSPEC_SHARD='{text}' is not K/N with 1 <= K <= N (for example 2/4)");
    }

    /// <summary>Whether item <paramref name="index"/> of the run is in this shard.</summary>
    public bool Contains(int index) => index % N == K - 1;

    /// <summary>How many of the items 0 … count − 1 are in this shard: ⌈(count − K + 1) / N⌉.</summary>
    public int Size(int count) => count < K ? 0 : (count - K) / N + 1;

    /// <summary>The run index of this shard's <paramref name="j"/>-th item.</summary>
    public int Index(int j) => K - 1 + j * N;

    public override string ToString() => $"{K}/{N}";
}
