using System.Globalization;

namespace BackpropSpec.Oracle.Checking;

/// <summary>
/// <c>--shard K/N</c>: the K-th of N shards of a run's random networks. Random network i belongs to
/// shard (i mod N) + 1, round robin, so every shard gets the same mix of the small early and the
/// large late networks (a network's size grows with its index, <see cref="NetworkGen.SampleSize"/>),
/// and every network is drawn from (seed, i, count) exactly as in the unsharded run: N shards together
/// judge exactly the networks of one run, each once. The golden examples belong to shard 1 only, so
/// the shards' counts and JUnit test cases add up to the unsharded run's without duplicates.
/// </summary>
public readonly record struct Shard
{
    public Shard(int k, int n)
    {
        if (n < 1 || k < 1 || k > n) throw new ArgumentException($"a shard is K/N with 1 ≤ K ≤ N, got {k}/{n}");
        K = k;
        N = n;
    }

    /// <summary>This shard's number, 1 … N.</summary>
    public int K { get; }
    /// <summary>How many shards there are.</summary>
    public int N { get; }

    /// <summary>The whole run (1/1).</summary>
    public static Shard Whole { get; } = new(1, 1);

    public bool IsWhole => N == 1;

    /// <summary>Whether this shard checks the golden examples (shard 1 does).</summary>
    public bool HasExamples => K == 1;

    /// <summary>The indices of the random networks of a run of <paramref name="count"/> that this shard judges.</summary>
    public IndexSet Of(int count) => new(K - 1, N, count < K ? 0 : (count - K) / N + 1);

    /// <summary>Reads <c>K/N</c>, as <c>--shard</c> takes it.</summary>
    public static Shard Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && k >= 1 && k <= n)
            return new Shard(k, n);
        throw new ArgumentException($"--shard expects K/N with 1 ≤ K ≤ N (for example 2/4), got '{text}'");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{K}/{N}");
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
