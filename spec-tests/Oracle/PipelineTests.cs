using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>`check` sends requests ahead (ProcessBackprop.Prefetch): the implementation works while
/// the checker judges. What comes back must be exactly what asking one request at a time gives.</summary>
public class PipelineTests
{
    static string PythonExample => $"{CheckRun.Python3} {Repo.Path("examples", "python", "backprop.py")}";

    [Fact]
    public void Replies_to_requests_sent_ahead_are_the_replies_to_the_same_requests_sent_one_at_a_time()
    {
        Network[] networks = Enumerable.Range(0, 6).Select(i => NetworkGen.Sample(RunSettings.DefaultSeed, i, 6)).ToArray();
        using var ahead = new ProcessBackprop(PythonExample, 10000);
        using var oneByOne = new ProcessBackprop(PythonExample, 10000);
        foreach (Network n in networks) { ahead.Prefetch("gradients", n, n); ahead.Prefetch("step", n, n); }
        // asked in reverse: every reply before the asked one is read and kept until asked for
        foreach (Network n in networks.Reverse())
        {
            Assert.Equal(oneByOne.Step(n).Flatten(), ahead.Step(n).Flatten());
            Assert.Equal(oneByOne.Gradients(n).Flatten(), ahead.Gradients(n).Flatten());
        }
        Assert.Null(ahead.Fault);
        Assert.Equal(networks.Length * 2 + 1, ahead.Requests);        // nothing asked twice (and hello)
    }

    [Fact]
    public void A_forgotten_network_s_replies_are_read_and_dropped_and_the_next_ones_still_line_up()
    {
        Network a = NetworkGen.Sample(RunSettings.DefaultSeed, 1, 3), b = NetworkGen.Sample(RunSettings.DefaultSeed, 2, 3);
        using var impl = new ProcessBackprop(PythonExample, 10000);
        impl.Prefetch("gradients", a, a);
        impl.Prefetch("gradients", b, b);
        impl.Forget(a);
        Assert.Equal(new ReferenceBackprop().Gradients(b).Flatten(), impl.Gradients(b).Flatten(), new Close());
        // a's reply was dropped: asking again sends a new request
        long before = impl.Requests;
        impl.Gradients(a);
        Assert.Equal(before + 1, impl.Requests);
        Assert.Null(impl.Fault);
    }

    /// <summary>The Python example agrees with the reference to far better than this; the test is
    /// about which reply is which, so any closeness that tells different networks apart will do.</summary>
    sealed class Close : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double v) => 0;
    }
}
