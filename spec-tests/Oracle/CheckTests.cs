using System.Diagnostics;
using System.Text.Json;
using BackpropSpec.Cli;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>Runs `backprop-spec check` in-process, against real processes.</summary>
static class CheckRun
{
    public sealed record Result(int Exit, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Commands.Run(["check", .. args], stdout, stderr);
        return new Result(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>check with --json into a temporary file; returns the result and the parsed report,
    /// which must satisfy golden/check-report.schema.json whatever the run found.</summary>
    public static (Result result, JsonElement report) WithJson(params string[] args)
    {
        string file = Path.Combine(Path.GetTempPath(), $"check-{Guid.NewGuid():N}.json");
        try
        {
            Result r = Run([.. args, "--json", file]);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            AssertSchema(doc.RootElement);
            return (r, doc.RootElement.Clone());
        }
        finally { File.Delete(file); }
    }

    /// <summary>A --json report against golden/check-report.schema.json, every violation named.</summary>
    public static void AssertSchema(JsonElement report)
    {
        List<string> problems = BackpropSpec.SpecTests.OracleTests.Schema.Validate(report, Repo.Path("golden", "check-report.schema.json"));
        Assert.True(problems.Count == 0, $"the --json report does not satisfy golden/check-report.schema.json:\n{string.Join("\n", problems)}");
    }

    public static string Python(params string[] path) => $"{Python3} {Repo.Path(path)}";

    /// <summary>
    /// The python3 on PATH, resolved once to the interpreter itself (its sys.executable). A version
    /// manager's shim costs a start far more than the interpreter: pyenv's is a bash script that runs
    /// `pyenv exec`, 0.30 s against 0.05 s on the CI machine, and the suite starts Python about 130
    /// times. What the tests judge is the program, not its launcher.
    /// </summary>
    public static string Python3 => python3.Value;
    static readonly Lazy<string> python3 = new(() =>
        OutputLines("python3", "-c", "import sys; print(sys.executable)") is [var exe] && File.Exists(exe) ? exe : "python3");

    /// <summary>The command that runs <paramref name="program"/> (python3 as <see cref="Python3"/>).</summary>
    public static string Interpreter(string program) => program == "python3" ? Python3 : program;

    /// <summary>The lines a program writes to stdout.</summary>
    public static string[] OutputLines(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
    public static string Fixture(string name) => Python("spec-tests", "Oracle", "fixtures", name);
}

/// <summary>The correct examples pass; the same seed gives the same bytes; bad usage is refused.</summary>
public class CheckTests
{
    [Fact]
    public void Python_example_passes()
    {
        var (r, report) = CheckRun.WithJson("--impl", CheckRun.Python("examples", "python", "backprop.py"), "--count", "150");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        Assert.Contains("PASS", r.Stdout);
        Assert.Equal("python-example", report.GetProperty("implementation").GetString());
        Assert.Equal(Examples.Names.Count, report.GetProperty("counts").GetProperty("examples").GetInt32());
        Assert.Equal(150, report.GetProperty("counts").GetProperty("networks").GetInt32());
    }

    [Fact]
    public void Node_example_passes()
    {
        var (r, report) = CheckRun.WithJson("--impl", $"node {Repo.Path("examples", "node", "backprop.js")}", "--count", "150");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        Assert.Equal("node-example", report.GetProperty("implementation").GetString());
        Assert.Equal(150, report.GetProperty("counts").GetProperty("networks").GetInt32());
    }

    [Fact]
    public void Hello_gives_the_name_and_capabilities()
    {
        using var impl = new ProcessBackprop(CheckRun.Python("examples", "python", "backprop.py"), 10000);
        impl.Start();
        Assert.Equal("python-example", impl.Name);
        Assert.Equal(Activations.All, impl.Capabilities.Activations);
        Assert.Equal(Loss.All, impl.Capabilities.Losses);
        Gradients g = impl.Gradients(Examples.Load("002"));
        Assert.Equal(0.08216704056, g.dE_dW[1][0, 0], 11);       // 002 prints dE/dw5 = 0.08216704056
    }

    /// <summary>A softmax output under a squared loss, saturated: o = (1 − 1e-11, 4e-18, 1e-11). The
    /// examples once wrote 1 − o_j with its cancellation and were 3e-6 off here (rare in random runs).</summary>
    [Theory]
    [InlineData("python3", "examples/python/backprop.py")]
    [InlineData("node", "examples/node/backprop.js")]
    public void Examples_are_accurate_on_a_saturated_softmax_under_a_squared_loss(string runtime, string program)
    {
        Network saturated = NetworkJson.Parse("""
            {"format":"backprop-spec/network@1","inputs":1,
             "layers":[{"units":3,"activation":"softmax","bias":"none","weights":[[20],[-20],[-5]]}],
             "loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[1]],"targets":[[0.3,0.7,0.1]]}}
            """);
        using var impl = new ProcessBackprop($"{CheckRun.Interpreter(runtime)} {Repo.Path(program.Split('/'))}", 10000);
        Assert.Null(BackpropSpec.Oracle.Properties.FirstFailure(impl, saturated));
        Assert.Null(impl.Fault);
    }

    [Fact]
    public void The_same_seed_gives_byte_identical_reports_and_stdout()
    {
        string[] pass = ["--impl", CheckRun.Python("examples", "python", "backprop.py"), "--count", "20", "--seed", "7"];
        string[] fail = ["--impl", $"{CheckRun.Python("examples", "zoo", "zoo.py")} --bug transposed-weights", "--count", "20", "--seed", "7"];
        foreach (string[] args in new[] { pass, fail })
        {
            string a = Path.GetTempFileName(), b = Path.GetTempFileName(), ja = Path.GetTempFileName(), jb = Path.GetTempFileName();
            try
            {
                CheckRun.Result first = CheckRun.Run([.. args, "--json", a, "--junit", ja]);
                CheckRun.Result second = CheckRun.Run([.. args, "--json", b, "--junit", jb]);
                Assert.Equal(first.Exit, second.Exit);
                Assert.Equal(first.Stdout, second.Stdout);
                Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
                Assert.Equal(File.ReadAllBytes(ja), File.ReadAllBytes(jb));
                Assert.DoesNotContain("second", File.ReadAllText(a));          // no durations in the report
            }
            finally { foreach (string f in new[] { a, b, ja, jb }) File.Delete(f); }
        }
    }

    [Fact]
    public void JUnit_report_has_a_testcase_per_example_and_per_property()
    {
        string file = Path.GetTempFileName();
        try
        {
            CheckRun.Result r = CheckRun.Run("--impl", $"{CheckRun.Python("examples", "zoo", "zoo.py")} --bug sign-flip", "--count", "10", "--junit", file);
            Assert.Equal(1, r.Exit);
            var xml = System.Xml.Linq.XDocument.Load(file);
            var cases = xml.Descendants("testcase").ToArray();
            Assert.Equal(Examples.Names.Count + BackpropSpec.Oracle.Properties.All.Count, cases.Length);
            var failed = Assert.Single(cases, c => c.Element("failure") is not null);
            Assert.Equal("000-one-hidden-unit", failed.Attribute("name")!.Value);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData(new string[0], "Option '--impl' is required")]
    [InlineData(new[] { "--impl", "true", "--frobnicate" }, "Unrecognized command or argument '--frobnicate'")]
    [InlineData(new[] { "--impl", "true", "--count", "many" }, "Cannot parse argument 'many' for option '--count'")]
    [InlineData(new[] { "--impl", "true", "--count", "-1" }, "--count expects a whole number ≥ 0, got '-1'")]
    [InlineData(new[] { "--impl", "true", "--timeout-ms", "0" }, "--timeout-ms expects a whole number ≥ 1")]
    [InlineData(new[] { "--impl", "true", "--seed", "-3" }, "Cannot parse argument '-3' for option '--seed'")]
    [InlineData(new[] { "--impl" }, "Required argument missing for option: '--impl'")]
    [InlineData(new[] { "--impl", "  " }, "--impl is empty")]
    [InlineData(new[] { "--impl", "true", "--count", "10", "--replay", "random:10" }, "random network 10 is not below --count 10")]
    [InlineData(new[] { "--impl", "true", "--replay", "random:x" }, "expected random:N")]
    [InlineData(new[] { "--impl", "true", "--replay", "999" }, "no built-in example named '999'")]
    public void Bad_usage_exits_2_with_a_message(string[] args, string message)
    {
        CheckRun.Result r = CheckRun.Run(args);
        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
