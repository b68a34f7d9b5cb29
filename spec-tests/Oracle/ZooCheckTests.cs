using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using BackpropSpec.Cli;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>Every member of the Python bug zoo is rejected, shrunk to a small network and named exactly.</summary>
public class ZooCheckTests
{
    /// <summary>The classes examples/zoo/zoo.py implements (its BUGS table); examples/zoo-node has the others (ZooNodeCheckTests).</summary>
    static readonly string[] PythonBugs =
    [
        "sign-flip", "missing-activation-derivative", "transposed-weights", "bias-not-summed", "updated-weights-in-backprop",
        "missing-1-over-m", "relu-derivative-one-at-zero", "softmax-jacobian-twice", "learning-rate-is-output",
        "error-times-error", "elementwise-input-weights",
    ];

    public static TheoryData<string> Zoo => new(PythonBugs);

    static string ZooCommand(string bug) => $"{CheckRun.Python("examples", "zoo", "zoo.py")} --bug {bug}";

    [Fact]
    public void The_python_zoo_implements_exactly_these_bugs_and_each_is_a_known_class()
    {
        string[] listed = CheckRun.OutputLines(CheckRun.Python3, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import zoo; print('\\n'.join(zoo.BUGS))", Repo.Path("examples", "zoo"));
        Assert.Equal(PythonBugs, listed);
        Assert.All(listed, name => Bugs.Parse(name));
    }

    [Theory]
    [MemberData(nameof(Zoo))]
    public void Zoo_member_is_rejected_shrunk_small_and_named_exactly(string bug) => ZooCheck.RejectedShrunkSmallAndNamedExactly(ZooCommand(bug), bug);

    /// <summary>The bugs that show only on special networks are reached by the random run itself,
    /// not only by the golden examples: a network with a ReLU exactly at 0, and a step.</summary>
    [Theory]
    [InlineData("relu-derivative-one-at-zero")]
    [InlineData("updated-weights-in-backprop")]
    [InlineData("learning-rate-is-output")]
    public void Random_run_reaches_bugs_that_need_special_networks(string bug)
    {
        using var impl = new ProcessBackprop(ZooCommand(bug), 10000);
        impl.Start();
        int? first = null;
        for (int i = 0; i < 150 && first is null; i++)
            if (BackpropSpec.Oracle.Properties.FirstFailure(impl, NetworkGen.Sample(CheckCommand.DefaultSeed, i, 150, impl.Capabilities)) is not null) first = i;
        Assert.True(first is not null, $"{bug}: none of 150 random networks shows it");
        Assert.Null(impl.Fault);
    }
}

/// <summary>What `check` must do with every member of a bug zoo.</summary>
static class ZooCheck
{
    /// <summary>
    /// Exit 1; the diagnosis names exactly the member's class, with its description and the pattern
    /// in words; the counterexample is shrunk to at most 2 layers of at most 2 units, 2 inputs and a
    /// batch of 2, and on it, asked afresh, the same property as on the original is wrong; the printed
    /// replay command is there.
    /// </summary>
    public static void RejectedShrunkSmallAndNamedExactly(string command, string bug)
    {
        var (r, report) = CheckRun.WithJson("--impl", command, "--count", "150");
        Assert.True(r.Exit == 1, r.Stdout + r.Stderr);
        Assert.Equal("mismatch", report.GetProperty("verdict").GetString());

        JsonElement diagnosis = report.GetProperty("diagnosis");
        string[] named = diagnosis.GetProperty("matches").EnumerateArray().Select(m => m.GetProperty("bug").GetString()!).ToArray();
        Assert.True(named.SequenceEqual([bug]), $"{bug}: named [{string.Join(", ", named)}]\n{r.Stdout}");
        Assert.Contains($"{bug}: {Bugs.Describe(Bugs.Parse(bug))}", r.Stdout);
        string pattern = diagnosis.GetProperty("pattern").GetString()!;
        Assert.StartsWith("on the ", pattern);
        Assert.Contains($"the pattern: {pattern}", r.Stdout);

        JsonElement failure = report.GetProperty("failure");
        Network min = NetworkJson.Read(failure.GetProperty("minimalNetwork"));
        Assert.True(min.Layers.Count <= 2, $"{min.Layers.Count} layers:\n{min}");
        Assert.True(min.Inputs <= 2 && min.Layers.All(l => l.Units <= 2), $"too wide:\n{min}");
        Assert.True(min.BatchSize <= 2, $"batch of {min.BatchSize}:\n{min}");

        string property = failure.GetProperty("property").GetString()!;
        using (var impl = new ProcessBackprop(command, 10000))
        {
            impl.Start();
            Assert.Equal(Zone.Wrong, BackpropSpec.Oracle.Properties.Judge(BackpropSpec.Oracle.Properties.Named(property), impl, min).Zone);
            Assert.Null(impl.Fault);
        }

        string replay = failure.GetProperty("replay").GetString()!;
        Assert.Contains("--replay", replay);
        Assert.Contains($"replay: {replay}", r.Stdout);
    }
}
