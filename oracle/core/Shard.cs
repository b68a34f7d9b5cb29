using System.Globalization;

namespace BackpropSpec.Oracle;

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

    /// <summary>Whether this shard checks `check`'s golden examples (shard 1 does): the shards' counts
    /// and JUnit test cases then add up to the unsharded run's without duplicates.</summary>
    public bool HasExamples => K == 1;

    /// <summary>BACKPROPSPEC_SHARD's "K/N"; null or blank is the whole run.</summary>
    public static Shard Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Whole
        : TryParse(text, out Shard s) ? s
        : throw new ArgumentException($"BACKPROPSPEC_SHARD='{text}' is not K/N with 1 <= K <= N (for example 2/4)");

    /// <summary>The "K/N" of the command line's --shard; nothing else, not even blank, is a shard.</summary>
    public static Shard ParseOption(string text) =>
        TryParse(text, out Shard s) ? s : throw new ArgumentException($"--shard expects K/N with 1 ≤ K ≤ N (for example 2/4), got '{text}'");

    static bool TryParse(string text, out Shard shard)
    {
        string[] parts = text.Trim().Split('/');
        int k = 0, n = 0;
        bool ok = parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out k)
                                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out n)
                                    && n >= 1 && k >= 1 && k <= n;
        shard = ok ? new Shard(k, n) : Whole;
        return ok;
    }

    /// <summary>Whether item <paramref name="index"/> of the run is in this shard.</summary>
    public bool Contains(int index) => index % N == K - 1;

    /// <summary>How many of the items 0 … count − 1 are in this shard: ⌈(count − K + 1) / N⌉.</summary>
    public int Size(int count) => count < K ? 0 : (count - K) / N + 1;

    /// <summary>The indices of the items of a run of <paramref name="count"/> in this shard, as three numbers.</summary>
    public IndexSet Of(int count) => new(K - 1, N, Size(count));

    public override string ToString() => $"{K}/{N}";
}

/// <summary>The indices <see cref="Start"/>, Start + <see cref="Step"/>, …: <see cref="Count"/> of
/// them, in order. What a run (or one shard of it) judges, kept as three numbers, not a list.</summary>
public readonly record struct IndexSet(int Start, int Step, int Count)
{
    /// <summary>The index at <paramref name="position"/> (0 … Count − 1).</summary>
    public int this[int position] => (int)(Start + (long)position * Step);

    /// <summary>The first <paramref name="positions"/> indices (all of them by default).</summary>
    public IEnumerable<int> Take(int positions = int.MaxValue)
    {
        for (int p = 0; p < Math.Min(positions, Count); p++) yield return this[p];
    }

    /// <summary>One index.</summary>
    public static IndexSet Single(int index) => new(index, 1, 1);
}
