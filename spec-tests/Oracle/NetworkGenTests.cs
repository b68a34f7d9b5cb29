using BackpropSpec.Oracle;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

public class NetworkGenTests
{
    [Fact]
    public void Sample_replays_exactly_and_its_networks_grow_across_the_run()
    {
        const ulong seed = 7;
        const int count = 100;
        Assert.Equal(NetworkGen.Sample(seed, 0, count).ToString(), NetworkGen.Sample(seed, 0, count).ToString());
        Assert.Equal(NetworkGen.Sample(seed, 93, count).ToString(), NetworkGen.Sample(seed, 93, count).ToString());
        Assert.Equal(0, NetworkGen.SampleSize(0, count));
        Assert.InRange(NetworkGen.SampleSize(count - 1, count), 99, 100);
        // size 0 allows one layer of one unit; the last fifth of a run reaches deeper, wider networks
        double small = Enumerable.Range(0, 20).Average(i => NetworkGen.Sample(seed, i, count).ParameterCount);
        double large = Enumerable.Range(80, 20).Average(i => NetworkGen.Sample(seed, i, count).ParameterCount);
        Assert.True(large > 4 * small, $"average parameters: {small} in the first 20 networks, {large} in the last 20");
        Assert.Contains(Enumerable.Range(80, 20), i => NetworkGen.Sample(seed, i, count).Layers.Count >= 3);
    }

    /// <summary>Network i of a run has its own generator state, hashed from (seed, i): N samples are N
    /// different networks. (Seeding network i with seed + i·γ gave one SplitMix stream shifted by i
    /// steps, and about half of 1,000 "random networks" were repeats.) Size 0 has few distinct networks
    /// at all, so the run is taken at sizes where the space is large.</summary>
    [Fact]
    public void N_sampled_networks_are_N_different_networks()
    {
        const int count = 10_000;
        var seen = new HashSet<string>();
        int repeats = 0;
        for (int i = count / 5; i < count; i++)
            if (!seen.Add(NetworkGen.Sample(RunSettings.DefaultSeed, i, count).ToString())) repeats++;
        Assert.Equal(0, repeats);
    }

    [Fact]
    public void A_shape_fixes_the_architecture_and_the_batch_and_leaves_the_rest_random()
    {
        NetworkShape shape = NetworkShape.Parse("7-5-3", 4);
        var networks = Enumerable.Range(0, 40).Select(i => NetworkGen.Sample(RunSettings.DefaultSeed, i, 40, null, shape)).ToArray();
        Assert.All(networks, n =>
        {
            Assert.Equal(7, n.Inputs);
            Assert.Equal([5, 3], n.Layers.Select(l => l.Units));
            Assert.Equal(4, n.BatchSize);
        });
        Assert.True(networks.Select(n => n.Loss).Distinct().Count() > 1, "the loss stays random");
        Assert.True(networks.SelectMany(n => n.Layers.Select(l => l.Activation)).Distinct().Count() > 2, "the activations stay random");
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784"));
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784-0-10"));
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784-x-10"));
    }
}
