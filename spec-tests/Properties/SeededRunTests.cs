using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The seeded run behind every <c>[NetworkProperty]</c> and <c>[ConformanceProperty]</c>: case i of a
/// run is NetworkGen.Sample(seed, i, count) whoever draws it, and BACKPROPSPEC_SHARD=K/N gives each of N
/// machines the cases i ≡ K − 1 (mod N): disjoint, and together exactly the cases of the unsharded run.
/// </summary>
public class SeededRunTests(ITestOutputHelper output)
{
    static readonly ConcurrentDictionary<string, ConcurrentBag<(int Index, string Document)>> Seen = new();

#pragma warning disable xUnit1000 // fixtures: run by the tests below, in this process, not tests of their own
    /// <summary>One property, run whole and as each of four shards (a fixed shard on the attribute
    /// stands in for BACKPROPSPEC_SHARD, which one process cannot set per test), over the first 202
    /// cases of the run (202: shards of 51, 51, 50 and 50).</summary>
    internal sealed class Recorded(ITestOutputHelper output) : PropertyTests(output)
    {
        public const int Cases = 202;

        [NetworkProperty(Count = Cases)] public Property Whole(Network n) => Record(n);
        [NetworkProperty(Count = Cases, Shard = "1/4")] public Property Shard1(Network n) => Record(n);
        [NetworkProperty(Count = Cases, Shard = "2/4")] public Property Shard2(Network n) => Record(n);
        [NetworkProperty(Count = Cases, Shard = "3/4")] public Property Shard3(Network n) => Record(n);
        [NetworkProperty(Count = Cases, Shard = "4/4")] public Property Shard4(Network n) => Record(n);
        [NetworkProperty(Shard = "5/4")] public Property Unreadable(Network n) => Record(n);
        [NetworkProperty(Count = 3, Shard = "4/4")] public Property Empty(Network n) => Record(n);

        Property Record(Network n, [CallerMemberName] string test = "")
        {
            Seen.GetOrAdd(test, _ => []).Add((SeededRun.OriginOf(n)!.Index, n.ToString()));
            return Holds(n, null, test);
        }
    }
#pragma warning restore xUnit1000

    static async Task<(int Index, string Document)[]> CasesOf(string test)
    {
        Seen.TryRemove(test, out _);
        InProcess.Outcome run = await InProcess.Run(typeof(Recorded), test);
        Assert.True(run.Passed, run.ToString());
        return Seen[test].OrderBy(c => c.Index).ToArray();
    }

    [Fact]
    public async Task Shards_are_disjoint_and_together_check_exactly_the_networks_of_the_unsharded_run()
    {
        ulong seed = RunSettings.Seed;
        int count = Recorded.Cases, runCount = RunSettings.Count(NetworkPropertyAttribute.DefaultCount);
        var whole = await CasesOf(nameof(Recorded.Whole));
        // the unsharded run: cases 0 … count − 1, case i the network NetworkGen.Sample draws (and check judges)
        Assert.Equal(Enumerable.Range(0, count), whole.Select(c => c.Index));
        foreach (int i in new[] { 0, 1, count / 2, count - 1 })
            Assert.Equal(NetworkGen.Sample(seed, i, runCount).ToString(), whole[i].Document);

        var shards = new List<(int Index, string Document)[]>();
        string[] tests = [nameof(Recorded.Shard1), nameof(Recorded.Shard2), nameof(Recorded.Shard3), nameof(Recorded.Shard4)];
        for (int k = 1; k <= 4; k++)
        {
            var shard = await CasesOf(tests[k - 1]);
            output.WriteLine($"shard {k}/4: {shard.Length} networks, the first {string.Join(", ", shard.Take(4).Select(c => c.Index))}");
            Assert.All(shard, c => Assert.Equal(k - 1, c.Index % 4));           // i ≡ K − 1 (mod N)
            Assert.Equal(new Shard(k, 4).Size(count), shard.Length);
            shards.Add(shard);
        }
        var union = shards.SelectMany(s => s).OrderBy(c => c.Index).ToArray();
        Assert.Equal(union.Length, union.Select(c => c.Index).Distinct().Count());   // disjoint
        Assert.Equal(whole, union);                                                // and together the whole run, network for network
    }

    [Fact]
    public async Task A_run_prints_its_shard_with_its_seed()
    {
        Seen.TryRemove(nameof(Recorded.Shard2), out _);
        InProcess.Outcome run = await InProcess.Run(typeof(Recorded), nameof(Recorded.Shard2));
        int count = Recorded.Cases;
        Assert.StartsWith($"Shard2: {count} cases of seed {RunSettings.Seed}, shard 2/4: the {new Shard(2, 4).Size(count)} with i ≡ 1 (mod 4) "
                          + $"(run them again with BACKPROPSPEC_SEED={RunSettings.Seed} BACKPROPSPEC_PROPERTY_COUNT={RunSettings.Count(NetworkPropertyAttribute.DefaultCount)} BACKPROPSPEC_SHARD=2/4)", run.Output);
    }

    [Fact]
    public async Task A_shard_that_cannot_be_read_or_leaves_nothing_to_check_fails_the_property_saying_why()
    {
        InProcess.Outcome unreadable = await InProcess.Run(typeof(Recorded), nameof(Recorded.Unreadable));
        Assert.False(unreadable.Passed);
        Assert.Contains("BACKPROPSPEC_SHARD='5/4' is not K/N with 1 <= K <= N", unreadable.Message);
        InProcess.Outcome empty = await InProcess.Run(typeof(Recorded), nameof(Recorded.Empty));
        Assert.False(empty.Passed);
        Assert.Contains("the shard leaves this property's run with nothing to check", empty.Message);
    }

    [Theory]
    [InlineData(1000, 4)]
    [InlineData(10, 3)]
    [InlineData(7, 7)]
    [InlineData(5, 8)]
    public void Shard_sizes_count_the_indices_of_the_stride(int count, int n)
    {
        for (int k = 1; k <= n; k++)
            Assert.Equal(Enumerable.Range(0, count).Count(i => new Shard(k, n).Contains(i)), new Shard(k, n).Size(count));
        Assert.Equal(count, Enumerable.Range(1, n).Sum(k => new Shard(k, n).Size(count)));
    }

    [Theory]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("2")]
    [InlineData("two/four")]
    [InlineData("1/0")]
    public void A_shard_is_K_of_N_with_K_from_1_to_N(string text) =>
        Assert.Throws<ArgumentException>(() => Shard.Parse(text));
}
