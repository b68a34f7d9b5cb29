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
}
