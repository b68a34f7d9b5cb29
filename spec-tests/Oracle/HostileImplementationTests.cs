using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// Implementations that attack the checker rather than get backprop wrong: each is reported as what it
/// is (the PROTOCOL ERROR line, the JSON report's kind, exit 2), the checker's memory stays bounded,
/// and no process of theirs is left behind. The fixtures are small Python programs in fixtures/.
/// </summary>
public class HostileImplementationTests
{
    /// <summary>Only the half line waits out its timeout, so only it gets a short one. The others are
    /// seen without waiting (a line past the limit, an exit), and a short timeout there would let a
    /// loaded machine (Python's start-up, 67 MB through a pipe) turn them into a hang: a generous one
    /// keeps the kind asserted the kind the fixture is.</summary>
    [Theory]
    [InlineData("bpsfx_long_line.py", 60000, "too-long", "with a line longer than 67,108,864 bytes (the limit;")]
    [InlineData("bpsfx_half_line.py", 2000, "hang", "it wrote 34 bytes of a line and no end of line: {\"id\":2,\"ok\":true,\"outputs\":[[0.75")]
    [InlineData("bpsfx_grandchild.py --exit", 60000, "crash", "the implementation exited with code 4 before answering `gradients`")]
    [InlineData("bpsfx_exits_midway.py", 60000, "crash", "the implementation exited with code 0 before answering")]
    [InlineData("bpsfx_stderr_flood.py --crash", 60000, "crash", "the implementation exited with code 5 before answering")]
    public void A_hostile_implementation_is_reported_as_what_it_did(string fixture, int timeoutMs, string kind, string message)
    {
        var impl = Tagged.Fixture(fixture);
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5", "--timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture));
        Assert.True(r.Exit == 2, r.Stdout + r.Stderr);
        Assert.Contains($"PROTOCOL ERROR ({kind}) in golden example ", r.Stdout);
        Assert.Contains(message, r.Stdout);
        Assert.Equal(kind, report.GetProperty("protocolError").GetProperty("kind").GetString());
        Assert.Equal("protocol-error", report.GetProperty("verdict").GetString());
        impl.AssertNoProcessLeft();
    }

    /// <summary>A grandchild that keeps stdout open used to turn this crash into a hang after the
    /// timeout: the crash must be seen well before it.</summary>
    [Fact]
    public void A_crash_is_a_crash_while_a_helper_it_started_holds_the_pipes()
    {
        var clock = Stopwatch.StartNew();
        var impl = Tagged.Fixture("bpsfx_grandchild.py --exit");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5", "--timeout-ms", "20000");
        Assert.True(r.Exit == 2, r.Stdout + r.Stderr);
        Assert.Equal("crash", report.GetProperty("protocolError").GetProperty("kind").GetString());
        Assert.Equal(4, report.GetProperty("protocolError").GetProperty("exitCode").GetInt32());
        Assert.Contains("leaving my helper behind", report.GetProperty("protocolError").GetProperty("stderr").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}: the crash waited for the timeout");
        impl.AssertNoProcessLeft();
    }

    /// <summary>On a loaded machine a crashing process can take a while to exit after its stdout
    /// closes: it is waited for (it is running, not asleep), and its stderr is read to the end. A
    /// fixed 1 s wait once reported such a crash as "closed its stdout (and kept running)" with an
    /// empty stderr.</summary>
    [Fact]
    public void A_crash_that_is_slow_to_exit_is_reported_with_its_exit_code_and_stderr()
    {
        var impl = Tagged.Fixture("bpsfx_slow_exit.py");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5", "--timeout-ms", "10000");
        Assert.True(r.Exit == 2, r.Stdout + r.Stderr);
        JsonElement error = report.GetProperty("protocolError");
        Assert.Equal("crash", error.GetProperty("kind").GetString());
        Assert.Equal(3, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("bpsfx_slow_exit: giving up on this network", error.GetProperty("stderr").GetString());
        impl.AssertNoProcessLeft();
    }

    [Fact]
    public void Helpers_of_a_correct_implementation_are_killed_with_it_at_the_end()
    {
        var impl = Tagged.Fixture("bpsfx_grandchild.py");
        CheckRun.Result r = CheckRun.Run("--impl", impl.Command, "--count", "5");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        impl.AssertNoProcessLeft();
    }

    /// <summary>24 MiB on stderr, one line of it 1 MiB long: drained as it comes (a pipe holds 64 KiB),
    /// and ignored, as the protocol says.</summary>
    [Fact]
    public void Megabytes_on_stderr_are_drained_and_ignored()
    {
        var impl = Tagged.Fixture("bpsfx_stderr_flood.py");
        CheckRun.Result r = CheckRun.Run("--impl", impl.Command, "--count", "5", "--timeout-ms", "5000");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        Assert.Contains("PASS", r.Stdout);
        impl.AssertNoProcessLeft();
    }

    [Fact]
    public void A_crash_after_a_flood_of_stderr_shows_its_last_lines_cut_to_size()
    {
        var (r, report) = CheckRun.WithJson("--impl", CheckRun.Fixture("bpsfx_stderr_flood.py --crash"), "--count", "5", "--timeout-ms", "5000");
        Assert.Equal(2, r.Exit);
        string[] lines = report.GetProperty("protocolError").GetProperty("stderr").GetString()!.Split('\n');
        Assert.Equal(20, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 401, $"a stderr line of {l.Length} characters is kept"));
        Assert.Equal("bpsfx_stderr_flood: the last words", lines[^2]);
        Assert.Equal(new string('y', 400) + "…", lines[^1]);
    }

    /// <summary>check sends a random network's requests before reading their replies; an implementation
    /// that answers a later one first is caught by the ids, never believed.</summary>
    [Fact]
    public void Replies_out_of_order_are_a_wrong_id_not_believed()
    {
        var impl = Tagged.Fixture("bpsfx_out_of_order.py");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "20", "--timeout-ms", "5000");
        Assert.True(r.Exit == 2, r.Stdout + r.Stderr);
        Assert.Contains("PROTOCOL ERROR (wrong-id) in random network ", r.Stdout);
        Assert.Matches(@"answered request id \d+ \(`\w+`\) with id \d+", r.Stdout);
        JsonElement error = report.GetProperty("protocolError");
        Assert.Equal("wrong-id", error.GetProperty("kind").GetString());
        // the golden examples, asked one request at a time, are answered in order and agree
        Assert.Equal(report.GetProperty("examples").GetArrayLength(), report.GetProperty("counts").GetProperty("examples").GetInt32());
        // no reply of a network was believed out of order: nothing after the first pipelined one passed
        Assert.Equal(error.GetProperty("index").GetInt32(), report.GetProperty("counts").GetProperty("networks").GetInt32());
        impl.AssertNoProcessLeft();
    }

    /// <summary>Unknown names in hello are ignored and reported; an unknown precision is not judged as
    /// float64 (every rounding of another arithmetic would be called wrong) unless --precision says so.</summary>
    [Fact]
    public void Hello_with_unknown_activations_and_precision_is_unusable_until_precision_is_given()
    {
        var impl = Tagged.Fixture("bpsfx_hello_unknown.py");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5");
        Assert.Equal(2, r.Exit);
        Assert.Contains("ignored (unknown to this checker): gelu, swish, hinge, precision \"bfloat16\"", r.Stdout);
        Assert.Contains("UNUSABLE: its hello declares precision \"bfloat16\", which this checker cannot judge", r.Stdout);
        Assert.Equal("unusable", report.GetProperty("verdict").GetString());

        var (given, judged) = CheckRun.WithJson("--impl", impl.Command, "--count", "20", "--precision", "float64");
        Assert.True(given.Exit == 0, given.Stdout + given.Stderr);
        JsonElement caps = judged.GetProperty("capabilities");
        Assert.Equal(["sigmoid"], caps.GetProperty("activations").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["half-sse"], caps.GetProperty("losses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["gelu", "swish", "hinge", "precision \"bfloat16\""], caps.GetProperty("ignored").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(20, judged.GetProperty("counts").GetProperty("networks").GetInt32());
        impl.AssertNoProcessLeft();
    }

    [Fact]
    public void Hello_with_no_known_activation_is_unusable()
    {
        var impl = Tagged.Fixture("bpsfx_hello_unknown.py --only-unknown");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5", "--precision", "float64");
        Assert.Equal(2, r.Exit);
        Assert.Contains("UNUSABLE: its hello lists no activation this checker knows", r.Stdout);
        Assert.Equal("unusable", report.GetProperty("verdict").GetString());
        impl.AssertNoProcessLeft();
    }

    /// <summary>The limit is far above any reply a network needs: 24 characters and a comma for the
    /// longest number at round-trip precision, times the numbers of a gradients reply (its parameters,
    /// its outputs and the loss), up to 10⁷ numbers and more (a line of 1 GiB is the most a string holds).</summary>
    [Theory]
    [InlineData(2 * 2 + 2 * 2, 2)]
    [InlineData(784 * 128 + 128 * 10, 10)]
    [InlineData(1_000_000, 10)]
    [InlineData(10_000_000, 1000)]
    public void The_line_limit_is_well_above_the_longest_reply_a_network_needs(long parameters, long outputs)
    {
        long longest = (parameters + outputs + 1) * "-2.2250738585072014E-308,".Length + 1000;
        long limit = ProcessBackprop.LineLimitFor(parameters + outputs + 1);
        Assert.True(limit >= 2 * longest, $"limit {limit} for a reply of up to {longest} bytes");
        Assert.True(limit >= ProcessBackprop.MinLineLimit);
    }

    [Fact]
    public void The_line_limit_of_a_network_counts_its_parameters_and_outputs()
    {
        Network n = Network.Create(3, [new Layer(Activation.Sigmoid, new double[1000, 3], null, BiasMode.None), new Layer(Activation.Identity, new double[4, 1000], new double[4], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.5, [new double[3], new double[3]], [new double[4], new double[4]]);
        Assert.Equal(ProcessBackprop.LineLimitFor(3000 + 4000 + 4 + 2 * 4 + 1), ProcessBackprop.LineLimitFor(n));
        Assert.Equal(ProcessBackprop.MinLineLimit, ProcessBackprop.LineLimitFor((Network?)null));
        Assert.Equal(ProcessBackprop.MaxLineLimit, ProcessBackprop.LineLimitFor(long.MaxValue / 100));
    }
}
