using BackpropSpec.Cli;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using BenchmarkDotNet.Attributes;

namespace BackpropSpec.Benchmarks;

/// <summary>
/// Throughput of `check`: networks judged per second. Two measures: every property on 200 seeded
/// random networks against the in-process reference (what the oracle itself costs, the ceiling
/// for an infinitely fast implementation), and the whole `check` command against the Python and
/// Node examples over the process protocol (golden examples plus 200 random networks).
/// Networks per second = 200 / the mean time.
/// </summary>
public class CheckBenchmarks
{
    const int Networks = 200;
    Network[] networks = [];
    string root = "";

    [GlobalSetup]
    public void Setup()
    {
        networks = Enumerable.Range(0, Networks).Select(i => NetworkGen.Sample(CheckCommand.DefaultSeed, i, Networks)).ToArray();
        root = RepositoryRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run the benchmarks inside the repository");
    }

    [Benchmark(Description = "every property, 200 networks, in-process reference")]
    public int PropertiesInProcess()
    {
        var reference = new ReferenceBackprop();
        int failures = 0;
        foreach (Network n in networks)
            if (Properties.FirstFailure(reference, n) is not null) failures++;
        return failures;
    }

    [Benchmark(Description = "check, 200 networks, Python example")]
    public int CheckPython() => RunCheck("python3 " + Path.Combine(root, "examples/python/backprop.py"));

    [Benchmark(Description = "check, 200 networks, Node example")]
    public int CheckNode() => RunCheck("node " + Path.Combine(root, "examples/node/backprop.js"));

    static int RunCheck(string impl)
    {
        int code = Commands.Run(["check", "--impl", impl, "--count", Networks.ToString()], TextWriter.Null, TextWriter.Null);
        if (code != 0) throw new InvalidOperationException($"check exited {code}");
        return code;
    }
}
