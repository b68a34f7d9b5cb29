using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// --shard K/N partitions the seeded random networks: N shards together judge exactly the networks
/// one unsharded run judges, each in exactly one shard, drawn identically (from seed, index, count).
/// The golden examples belong to shard 1, so the shards' counts add up to the unsharded run's.
/// </summary>
public class ShardTests
{
    [Fact]
    public void Shards_are_a_partition_of_the_indices_of_a_run()
    {
        foreach (int count in Enumerable.Range(0, 41).Append(100_003))
            for (int n = 1; n <= 7; n++)
            {
                var owner = new int[count];
                for (int k = 1; k <= n; k++)
                {
                    IndexSet set = new Shard(k, n).Of(count);
                    foreach (int i in set.Take())
                    {
                        Assert.True(i >= 0 && i < count, $"shard {k}/{n} of {count} judges index {i}");
                        Assert.True(owner[i] == 0, $"index {i} of {count} is in shards {owner[i]}/{n} and {k}/{n}");
                        owner[i] = k;
                    }
                }
                Assert.True(owner.All(k => k != 0), $"the {n} shards of {count} miss index {Array.IndexOf(owner, 0)}");
            }
        Assert.Equal(new IndexSet(0, 1, 12), Shard.Whole.Of(12));
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("x")]
    [InlineData("1/2/3")]
    [InlineData("-1/2")]
    [InlineData("x/y")]
    [InlineData("2/y")]
    [InlineData("x/2")]
    public void A_shard_is_K_of_N_and_anything_else_is_refused_naming_the_option_and_the_text(string text)
    {
        // the option's own message, not a constructor's about some 0/0 the user never wrote
        Assert.Equal($"--shard expects K/N with 1 ≤ K ≤ N (for example 2/4), got '{text}'", Assert.Throws<ArgumentException>(() => Shard.ParseOption(text)).Message);
        Assert.Equal($"BACKPROPSPEC_SHARD='{text}' is not K/N with 1 <= K <= N (for example 2/4)", Assert.Throws<ArgumentException>(() => Shard.Parse(text)).Message);
    }

    /// <summary>End to end: three shards of `check` against the Node example, through their --json
    /// reports: the indices they judged are disjoint and together those of the unsharded run, and every
    /// count adds up.</summary>
    [Fact]
    public void Three_shards_of_check_together_judge_exactly_the_networks_of_one_run()
    {
        const int Count = 45;
        string impl = $"node {Repo.Path("examples", "node", "backprop.js")}";
        var (whole, all) = CheckRun.WithJson("--impl", impl, "--count", $"{Count}");
        Assert.True(whole.Exit == 0, whole.Stdout + whole.Stderr);
        var judged = new List<int>();
        var sums = new Dictionary<string, int>();
        for (int k = 1; k <= 3; k++)
        {
            var (r, shard) = CheckRun.WithJson("--impl", impl, "--count", $"{Count}", "--shard", $"{k}/3");
            Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
            Assert.Equal($"{k}/3", shard.GetProperty("shard").GetString());
            judged.AddRange(Indices(shard));
            foreach (JsonProperty c in shard.GetProperty("counts").EnumerateObject()) sums[c.Name] = sums.GetValueOrDefault(c.Name) + c.Value.GetInt32();
            Assert.Equal(k == 1 ? all.GetProperty("examples").GetArrayLength() : 0, shard.GetProperty("examples").GetArrayLength());
        }
        Assert.Equal(judged.Count, judged.Distinct().Count());                        // disjoint
        Assert.Equal(Indices(all).Order(), judged.Order());                            // together, the whole run
        Assert.Equal(Enumerable.Range(0, Count), Indices(all));
        foreach (JsonProperty c in all.GetProperty("counts").EnumerateObject())
            Assert.True(c.Value.GetInt32() == sums[c.Name], $"{c.Name}: {c.Value.GetInt32()} unsharded, {sums[c.Name]} over the shards");
    }

    [Fact]
    public void Shards_of_selftest_together_judge_the_networks_of_one_run()
    {
        SelfTestReport whole = SelfTest.Run(7, 60);
        SelfTestReport[] shards = [.. Enumerable.Range(1, 4).Select(k => SelfTest.Run(7, 60, shard: new Shard(k, 4)))];
        Assert.True(whole.Agrees && shards.All(s => s.Agrees));
        Assert.Equal(whole.Networks, shards.Sum(s => s.Networks));
        // the same networks: their parameters add up to the same total
        Assert.Equal(whole.Parameters, shards.Sum(s => s.Parameters));
        Assert.Contains("shard 2/4: every index i with i mod 4 = 1", shards[1].Text());
    }

    [Theory]
    [InlineData(new[] { "--impl", "true", "--shard", "3/2" }, "--shard expects K/N with 1 ≤ K ≤ N (for example 2/4), got '3/2'")]
    [InlineData(new[] { "--impl", "true", "--shard", "1/2", "--replay", "random:3" }, "--replay checks one network, so it goes without --shard")]
    public void Bad_shards_are_bad_usage(string[] args, string message)
    {
        CheckRun.Result r = CheckRun.Run(args);
        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Stderr);
    }

    /// <summary>The indices a --json report says were judged: start + step·j for j below judged.</summary>
    static IEnumerable<int> Indices(JsonElement report)
    {
        JsonElement r = report.GetProperty("randomIndices");
        return new IndexSet(r.GetProperty("start").GetInt32(), r.GetProperty("step").GetInt32(), r.GetProperty("judged").GetInt32()).Take().ToArray();
    }
}
