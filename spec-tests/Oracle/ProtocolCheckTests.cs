using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>Implementations that break the protocol are reported as exactly what they did, with
/// exit 2, and leave no process behind. The fixtures are small Python programs in fixtures/.</summary>
public class ProtocolCheckTests
{
    [Theory]
    [InlineData("bpsfx_crash.py", "crash", "exited with code 3")]
    [InlineData("bpsfx_hang.py", "hang", "no reply within 1500 ms")]
    [InlineData("bpsfx_garbage.py", "garbage", "computing gradients... done")]
    [InlineData("bpsfx_wrong_id.py", "wrong-id", "with id 3")]
    [InlineData("bpsfx_wrong_shape.py", "wrong-shape", "gradients[0].weights[0]: expected 1 numbers (inputs), got 0")]
    [InlineData("bpsfx_nan.py", "non-finite", "gradients[0].weights[0][0]: NaN is not a finite number")]
    [InlineData("bpsfx_huge.py", "non-finite", "loss: 1e999 overflows a double")]
    [InlineData("bpsfx_error.py", "error-reply", "error code \"internal\": KeyError: 'biases'")]
    [InlineData("bpsfx_closes_stdout.py", "crash", "closed its stdout (and kept running)")]
    public void Broken_protocol_is_reported_as_exactly_that(string fixture, string kind, string message)
    {
        var impl = Tagged.Fixture(fixture);
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "5", "--timeout-ms", "1500");
        Assert.True(r.Exit == 2, r.Stdout + r.Stderr);
        Assert.Contains($"PROTOCOL ERROR ({kind}) in golden example 000-one-hidden-unit", r.Stdout);
        Assert.Contains(message, r.Stdout);
        JsonElement error = report.GetProperty("protocolError");
        Assert.Equal(kind, error.GetProperty("kind").GetString());
        Assert.Equal("gradients", error.GetProperty("op").GetString());
        Assert.True(error.TryGetProperty("network", out _), "the report carries the network that triggered it");
        Assert.Equal("protocol-error", report.GetProperty("verdict").GetString());
        if (kind == "crash" && fixture == "bpsfx_crash.py")
        {
            Assert.Equal(3, error.GetProperty("exitCode").GetInt32());
            Assert.Contains("simulated segmentation fault", error.GetProperty("stderr").GetString());
        }
        impl.AssertNoProcessLeft();
    }

    [Fact]
    public void A_program_that_does_not_exist_is_a_crash_in_hello()
    {
        var (r, report) = CheckRun.WithJson("--impl", "bpsfx-no-such-program --serve", "--count", "5");
        Assert.Equal(2, r.Exit);
        Assert.Contains("PROTOCOL ERROR (crash) in hello", r.Stdout);
        Assert.Equal(127, report.GetProperty("protocolError").GetProperty("exitCode").GetInt32());
        Assert.Contains("not found", report.GetProperty("protocolError").GetProperty("stderr").GetString());
    }

    [Fact]
    public void Declined_networks_are_skipped_and_counted_not_failed()
    {
        var impl = Tagged.Fixture("bpsfx_declines_tanh.py");
        var (r, report) = CheckRun.WithJson("--impl", impl.Command, "--count", "80");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        JsonElement counts = report.GetProperty("counts");
        int skipped = counts.GetProperty("skippedUnsupported").GetInt32(), checkedCount = counts.GetProperty("networks").GetInt32();
        Assert.True(skipped > 0, "some random networks have a tanh layer");
        Assert.Equal(80, skipped + checkedCount);
        Assert.Contains("declined by the implementation (unsupported): tanh is not implemented yet", r.Stdout);
        impl.AssertNoProcessLeft();
    }
}
