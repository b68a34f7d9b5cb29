using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;
using static BackpropSpec.SpecTests.Checking.Serve;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The protocol client against implementations served in this process (<see cref="Serve"/>), over OS
/// pipes: every way a reply can be broken is reported as its kind, with the words that say what came,
/// and the client restarts exactly after the kinds that leave the replies out of line. The fixture
/// programs (ProtocolCheckTests, HostileImplementationTests) show the same through real processes;
/// these run in milliseconds, so Stryker can mutate the client against them.
/// </summary>
public class InProcessClientTests
{
    static readonly Network N000 = Examples.Load("000-one-hidden-unit");

    /// <summary>A reference whose first gradients reply (over all its starts) is <paramref name="line"/>
    /// with {id} replaced by the request's id.</summary>
    static Served FirstGradientsReply(string line)
    {
        int seen = 0;
        return ReferenceBut((r, io) => { io.Line(line.Replace("{id}", r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))); return null; },
                            r => r.Op == "gradients" && Interlocked.Increment(ref seen) == 1);
    }

    public static TheoryData<string, string, string, bool> BrokenReplies => new()
    {
        // reply line, kind, words of the message, whether the implementation is restarted after it
        { "computing gradients... done", "garbage", "replied to `gradients` (id 2) with a line that is not JSON (", true },
        { "[1,2,3]", "garbage", "with JSON that is not a reply object (an object with \"ok\": true or false): [1,2,3]", true },
        { "{\"id\":{id},\"ok\":\"yes\"}", "garbage", "not a reply object", true },
        { "{\"id\":7,\"ok\":true}", "wrong-id", "answered request id 2 (`gradients`) with id 7", true },
        { "{\"ok\":true}", "wrong-id", "answered request id 2 (`gradients`) with id (missing)", true },
        { "{\"id\":\"2\",\"ok\":true}", "wrong-id", "with id \"2\"", true },
        { "{\"id\":2.5,\"ok\":true}", "wrong-id", "with id 2.5", true },
        { "{\"id\":9,\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"boom\"}}", "wrong-id", "answered request id 2 (`gradients`) with id 9", true },
        { "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad-request\",\"message\":\"could not read\"}}", "error-reply", "answered `gradients` (id 2) with error code \"bad-request\": could not read", false },
        { "{\"ok\":false,\"error\":{\"code\":\"internal\"}}", "error-reply", "with error code \"internal\": (no message)", false },
        { "{\"id\":{id},\"ok\":false}", "error-reply", "with an error reply without error.code: (no message)", false },
        { "{\"id\":{id},\"ok\":false,\"error\":{\"code\":7,\"message\":[1]}}", "error-reply", "with an error reply without error.code: (no message)", false },
        { "{\"id\":{id},\"ok\":false,\"error\":\"internal\"}", "error-reply", "without error.code", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":NaN}", "non-finite", "loss: NaN is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[nan]],\"loss\":1}", "non-finite", "outputs[0][0]: NaN is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[-inf]],\"loss\":1}", "non-finite", "outputs[0][0]: -Infinity is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":Infinity}", "non-finite", "loss: Infinity is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"note\":NaN,\"outputs\":[[0.5]],\"loss\":0.1,\"gradients\":[]}", "wrong-shape", "gradients: expected 2", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":1e999}", "non-finite", "loss: 1e999 overflows a double", false },
        { "{\"id\":{id},\"ok\":true,\"note\":\" NaN -inf\",\"outputs\":[[0.5]],\"loss\":NaN}", "non-finite", "loss: NaN is not a finite number", false },
        { "NaN", "garbage", "replied to `gradients` (id 2) with JSON that is not a reply object (an object with \"ok\": true or false): NaN", true },
        { "computing gradients... done", "garbage", "replied to `gradients` (id 2) with a line that is not JSON ('c' is an invalid start of a value): computing gradients... done", true },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":-Infinity}", "non-finite", "loss: -Infinity is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":inf}", "non-finite", "loss: Infinity is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":-inf}", "non-finite", "loss: -Infinity is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[NaN]],\"loss\":1}", "non-finite", "outputs[0][0]: NaN is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"note\":\"say \\\"NaN\\\" or \\\\\",\"outputs\":[[0.5]],\"loss\":NaN}", "non-finite", "loss: NaN is not a finite number", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5],[0.5]],\"loss\":1}", "wrong-shape", "outputs: expected 1", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]]}", "wrong-shape", "the reply to `gradients` (id 2): loss: missing", false },
        { "{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":0.1,\"gradients\":[{\"weights\":[[]],\"biases\":null},{\"weights\":[[0]],\"biases\":null}]}",
          "wrong-shape", "gradients[0].weights[0]: expected 2 numbers (inputs), got 0", false },
    };

    [Theory]
    [MemberData(nameof(BrokenReplies))]
    public void A_broken_reply_is_its_kind_and_the_restart_follows_the_kind(string line, string kind, string words, bool restarts)
    {
        using var impl = ProcessBackprop.InProcess("broken", FirstGradientsReply(line), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal(kind, e.KindName);
        Assert.Contains(words, e.Message);
        Assert.Equal("gradients", e.Op);
        Assert.Equal(2, e.Id);
        Assert.Same(N000, e.Network);
        Assert.Same(e, impl.Fault);
        Assert.Equal(restarts, ProtocolFailures.KillsProcess(e.Kind));

        // asked again: the reference answers, in the same process unless the kind ends it
        impl.ClearFaults();
        Assert.Null(impl.Fault);
        Gradients g = impl.Gradients(N000);
        Assert.Equal(new ReferenceBackprop().Gradients(N000).Flatten(), g.Flatten());
        Assert.Equal(restarts ? 2 : 1, impl.Starts);
        Assert.Equal(restarts ? 4 : 3, impl.Requests);          // hello again after a restart
        Assert.Null(impl.Fault);
    }

    [Theory]
    [InlineData("forward", "{\"id\":2,\"ok\":true,\"outputs\":[[0.5]],\"loss\":NaN}", "the reply to `forward` (id 2): loss: NaN is not a finite number")]
    [InlineData("forward", "{\"id\":2,\"ok\":true,\"outputs\":[[0.5]]}", "the reply to `forward` (id 2): loss: missing")]
    [InlineData("forward", "{\"id\":2,\"ok\":true,\"outputs\":[[0.5]],\"loss\":1e999}", "the reply to `forward` (id 2): loss: 1e999 overflows a double")]
    [InlineData("forward", "{\"id\":2,\"ok\":true,\"outputs\":[[0.5,]],\"loss\":1}", "replied to `forward` (id 2) with a line that is not JSON (The JSON array contains a trailing comma at the end which is not supported in this mode. Change the reader options): {\"id\":2,\"ok\":true,\"outputs\":[[0.5,]],\"loss\":1}")]
    [InlineData("forward", "{\"id\":2,\"ok\":true,\"loss\":NaN,\"x\":\"\\", "replied to `forward` (id 2) with a line that is not JSON ('N' is an invalid start of a value): {\"id\":2,\"ok\":true,\"loss\":NaN,\"x\":\"\\")]
    [InlineData("step", "{\"id\":2,\"ok\":true}", "the reply to `step` (id 2): layers: missing")]
    [InlineData("step", "{\"id\":2,\"ok\":true,\"layers\":[]}", "the reply to `step` (id 2): layers: expected 2 entries (one entry per layer), got 0")]
    public void Forward_and_step_replies_are_read_field_by_field(string op, string line, string message)
    {
        using var impl = ProcessBackprop.InProcess(op, ReferenceBut((_, io) => { io.Line(line); return null; }, r => r.Number == 2), 5000);
        var e = Assert.Throws<ProtocolException>(() => op == "forward" ? impl.Forward(N000) : (object)impl.Step(N000));
        Assert.Equal(message, e.Message);
        Assert.Equal(op, e.Op);
    }

    [Fact]
    public void Before_hello_the_name_is_a_question_mark_and_a_hello_without_a_name_is_unnamed()
    {
        using var impl = ProcessBackprop.InProcess("anonymous", Script((r, io) =>
        {
            io.Line(r.Op == "hello" ? "{\"id\":1,\"ok\":true,\"activations\":[\"sigmoid\"],\"losses\":[\"half-sse\"]}" : Answer(r));
            return null;
        }), 5000);
        Assert.Equal("?", impl.Name);
        Assert.Equal(0, impl.Requests);
        impl.Start();
        Assert.Equal("(unnamed)", impl.Name);
        using var numbered = ProcessBackprop.InProcess("numbered", Script((r, io) =>
        {
            io.Line(r.Op == "hello" ? "{\"id\":1,\"ok\":true,\"implementation\":5,\"activations\":[\"sigmoid\"],\"losses\":[\"half-sse\"]}" : Answer(r));
            return null;
        }), 5000);
        numbered.Start();
        Assert.Equal("(unnamed)", numbered.Name);
    }

    [Fact]
    public void A_timeout_of_1_ms_is_allowed()
    {
        using var impl = new ProcessBackprop("true", 1);
        Assert.Equal(1, impl.TimeoutMs);
        Assert.Equal("true", impl.CommandLine);
    }

    [Fact]
    public void The_waiting_time_counts_requests_only()
    {
        using var impl = ProcessBackprop.InProcess("slow hello", Script((r, io) =>
        {
            if (r.Op == "hello") Thread.Sleep(200);
            io.Line(Answer(r));
            return null;
        }), 5000);
        Assert.Equal(TimeSpan.Zero, impl.Waiting);
        impl.Start();
        TimeSpan afterHello = impl.Waiting;
        Assert.True(afterHello >= TimeSpan.FromMilliseconds(190), $"{afterHello}");
        Thread.Sleep(100);
        Assert.Equal(afterHello, impl.Waiting);                        // stopped between requests
        impl.Forward(N000);
        TimeSpan afterForward = impl.Waiting;
        Assert.True(afterForward > afterHello);
        Thread.Sleep(100);
        Assert.Equal(afterForward, impl.Waiting);
    }

    [Fact]
    public void A_bare_NaN_in_a_string_is_text_not_a_number()
    {
        // the token inside a string is left alone: the line is JSON, and its fields are fine
        using var impl = ProcessBackprop.InProcess("quoted", Script((r, io) =>
        {
            string reply = Answer(r);
            io.Line(r.Op == "forward" ? reply[..^1] + ",\"note\":\"NaN inf -Infinity \\\" nan\"}" : reply);
            return null;
        }), 5000);
        Evaluation e = impl.Forward(N000);
        Assert.Equal(new ReferenceBackprop().Forward(N000).Loss, e.Loss);
    }

    [Theory]
    [InlineData("{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":0.1,\"junk\":[NaN]}", "with a bare NaN or Infinity, which is not JSON: ")]
    [InlineData("{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":0.1,\"junk\":inferno}", "with a line that is not JSON")]
    [InlineData("{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":0.1,\"junk\":xnan}", "with a line that is not JSON")]
    [InlineData("{\"id\":{id},\"ok\":true,\"outputs\":[[0.5]],\"loss\":0.1,\"junk\":NaN1}", "with a line that is not JSON")]
    public void A_non_finite_token_is_named_only_where_it_stands_alone(string line, string words)
    {
        using var impl = ProcessBackprop.InProcess("tokens", ReferenceBut((r, io) => { io.Line(line.Replace("{id}", r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))); return null; }, r => r.Op == "forward"), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Forward(N000));
        Assert.Contains(words, e.Message);
        Assert.Equal(words.Contains("bare", StringComparison.Ordinal) ? "non-finite" : "garbage", e.KindName);
    }

    [Fact]
    public void A_long_line_is_shown_cut_to_200_characters_with_its_length()
    {
        string junk = new('x', 500);
        using var impl = ProcessBackprop.InProcess("long", FirstGradientsReply(junk), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.EndsWith(": " + junk[..200] + "… (500 characters)", e.Message);

        using var exact = ProcessBackprop.InProcess("200", FirstGradientsReply(junk[..200]), 5000);
        var e200 = Assert.Throws<ProtocolException>(() => exact.Gradients(N000));
        Assert.EndsWith(": " + junk[..200], e200.Message);
    }

    [Fact]
    public void Blank_lines_between_replies_are_tolerated()
    {
        using var impl = ProcessBackprop.InProcess("blank", Script((r, io) => { io.Write("\n  \r\n" + Answer(r) + "\r\n"); return null; }), 5000);
        Assert.Equal(new ReferenceBackprop().Step(N000).Flatten(), impl.Step(N000).Flatten());
        Assert.Equal(1, impl.Starts);
    }

    [Fact]
    public void An_unsupported_reply_declines_the_network_and_keeps_the_process()
    {
        int asked = 0;
        using var impl = ProcessBackprop.InProcess("declines", ReferenceBut((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\"{(asked++ == 0 ? ",\"message\":\"no tanh\"" : "")}}}}}");
            return null;
        }, r => r.Op == "forward"), 5000);
        var e = Assert.Throws<UnsupportedNetworkException>(() => impl.Forward(N000));
        Assert.Equal("no tanh", e.Message);
        Assert.Equal("forward", e.Op);
        Assert.Same(e, impl.Declined);
        Assert.Null(impl.Fault);
        var second = Assert.Throws<UnsupportedNetworkException>(() => impl.Forward(N000));
        Assert.Equal("(no message)", second.Message);
        Assert.Same(e, impl.Declined);                                  // the first is kept
        Assert.Equal(new ReferenceBackprop().Gradients(N000).Flatten(), impl.Gradients(N000).Flatten());
        Assert.Equal(1, impl.Starts);
        impl.ClearFaults();
        Assert.Null(impl.Declined);
    }

    [Fact]
    public void Unsupported_in_hello_is_an_error_reply()
    {
        using var impl = ProcessBackprop.InProcess("hello declines", Script((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"no\"}}}}");
            return null;
        }), 5000);
        var e = Assert.Throws<ProtocolException>(impl.Start);
        Assert.Equal("error-reply", e.KindName);
        Assert.Equal("hello", e.Op);
        Assert.Contains("answered `hello` (id 1) with error code \"unsupported\": no", e.Message);
    }

    [Fact]
    public void Hello_lists_capabilities_in_the_reference_order_and_reports_unknown_names()
    {
        using var impl = ProcessBackprop.InProcess("hello", Script((r, io) =>
        {
            io.Line(r.Op == "hello" ? Hello(r.Id, ["tanh", "gelu", "identity"], ["softmax-cross-entropy", "hinge", "half-sse"], "\"float32\"") : Answer(r));
            return null;
        }), 5000);
        impl.Start();
        Assert.Equal("reference (in process)", impl.Name);
        Assert.Equal([Activation.Identity, Activation.Tanh], impl.Capabilities.Activations);
        Assert.Equal([LossKind.HalfSse, LossKind.SoftmaxCrossEntropy], impl.Capabilities.Losses);
        Assert.Equal(BackpropSpec.Oracle.Judging.Precision.Float32, impl.Capabilities.Precision);
        Assert.Equal(["gelu", "hinge"], impl.UnknownCapabilities);
        Assert.Null(impl.UnknownPrecision);
        Assert.Equal(1, impl.Requests);
        impl.Start();                                                  // running already: nothing sent
        Assert.Equal(1, impl.Requests);
    }

    [Theory]
    [InlineData("\"float16\"", "precision \"float16\"")]
    [InlineData("64", "precision 64")]
    [InlineData("null", "precision null")]
    public void An_unknown_precision_is_reported_and_not_taken_for_float64(string precision, string unknown)
    {
        using var impl = ProcessBackprop.InProcess("precision", Script((r, io) => { io.Line(r.Op == "hello" ? Hello(r.Id, ["sigmoid"], ["half-sse"], precision) : Answer(r)); return null; }), 5000);
        impl.Start();
        Assert.Equal(precision, impl.UnknownPrecision);
        Assert.Equal([unknown], impl.UnknownCapabilities);
        Assert.Equal(BackpropSpec.Oracle.Judging.Precision.Float64, impl.Capabilities.Precision);
    }

    [Fact]
    public void Hello_without_a_precision_is_float64_and_without_a_name_is_unnamed()
    {
        using var impl = ProcessBackprop.InProcess("plain hello", Script((r, io) =>
        {
            io.Line(r.Op == "hello" ? $"{{\"id\":{r.Id},\"ok\":true,\"implementation\":\"\",\"activations\":[\"sigmoid\"],\"losses\":[\"half-sse\"]}}" : Answer(r));
            return null;
        }), 5000);
        impl.Start();
        Assert.Equal("(unnamed)", impl.Name);
        Assert.Equal(BackpropSpec.Oracle.Judging.Precision.Float64, impl.Capabilities.Precision);
        Assert.Empty(impl.UnknownCapabilities);
        Assert.Null(impl.UnknownPrecision);
    }

    [Theory]
    [InlineData("{\"id\":1,\"ok\":true,\"losses\":[\"half-sse\"]}", "the reply to `hello` (id 1): activations: missing")]
    [InlineData("{\"id\":1,\"ok\":true,\"activations\":[\"sigmoid\"]}", "the reply to `hello` (id 1): losses: missing")]
    [InlineData("{\"id\":2,\"ok\":true}", "answered request id 1 (`hello`) with id 2")]
    [InlineData("{\"id\":1,\"ok\":true,\"activations\":\"sigmoid\",\"losses\":[\"half-sse\"]}", "the reply to `hello` (id 1): activations: expected an array of names, got the string \"sigmoid\"")]
    [InlineData("{\"id\":1,\"ok\":true,\"activations\":[\"sigmoid\"],\"losses\":{}}", "the reply to `hello` (id 1): losses: expected an array of names, got an object")]
    [InlineData("{\"id\":1,\"ok\":true,\"activations\":[\"sigmoid\",\"tanh\",3],\"losses\":[\"half-sse\"]}", "the reply to `hello` (id 1): activations[2]: expected a name, got the number 3")]
    [InlineData("{\"id\":1,\"ok\":true,\"activations\":[\"sigmoid\"],\"losses\":[null]}", "the reply to `hello` (id 1): losses[0]: expected a name, got null")]
    public void A_broken_hello_is_a_protocol_error_in_hello(string hello, string words)
    {
        using var impl = ProcessBackprop.InProcess("bad hello", Script((r, io) => { io.Line(hello); return null; }), 5000);
        var e = Assert.Throws<ProtocolException>(impl.Start);
        Assert.Equal("hello", e.Op);
        Assert.Null(e.Network);
        Assert.Equal(words.Contains("expected", StringComparison.Ordinal) || words.Contains("missing", StringComparison.Ordinal) ? "wrong-shape" : "wrong-id", e.KindName);
        Assert.Contains(words, e.Message);
        Assert.Same(e, impl.Fault);
    }

    [Fact]
    public void An_exit_is_a_crash_with_its_exit_code_and_the_last_lines_of_stderr()
    {
        using var impl = ProcessBackprop.InProcess("crash", ReferenceBut((r, io) =>
        {
            for (int i = 0; i < 30; i++) io.Err($"line {i}\n");
            io.Err(new string('e', 1000) + "\n");
            io.Err("no end of line");
            return 3;
        }, FirstGradients), 60000);                                    // the stderr tail is not waited out
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("crash", e.KindName);
        Assert.Equal(3, e.ExitCode);
        Assert.StartsWith("the implementation exited with code 3 before answering `gradients` (id 2)\nlast lines of its stderr:\n  | line 12\n", e.Message);
        string[] tail = e.StderrTail!.Split('\n');
        Assert.Equal(20, tail.Length);                                  // the last 20 lines
        Assert.Equal("line 12", tail[0]);
        Assert.Equal(new string('e', 400) + "…", tail[^2]);            // cut at 400 characters
        Assert.Equal("no end of line", tail[^1]);                       // the last line, unended
    }

    [Fact]
    public void A_thrown_exception_is_a_crash_with_exit_code_1_and_its_message()
    {
        using var impl = ProcessBackprop.InProcess("throws", ReferenceBut((_, _) => throw new InvalidOperationException("simulated segmentation fault"), FirstGradients), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal(1, e.ExitCode);
        Assert.Equal("InvalidOperationException: simulated segmentation fault", e.StderrTail);
    }

    [Fact]
    public void An_exit_with_nothing_on_stderr_says_so()
    {
        using var impl = ProcessBackprop.InProcess("quiet", ReferenceBut((_, _) => 0, FirstGradients), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("the implementation exited with code 0 before answering `gradients` (id 2)\nit wrote nothing to stderr", e.Message);
        Assert.Equal("", e.StderrTail);
    }

    [Fact]
    public void Closing_stdout_and_sleeping_on_is_a_crash_that_kept_running()
    {
        using var impl = ProcessBackprop.InProcess("closes", ReferenceBut((_, io) => { io.Err("bye"); io.CloseStdout(); return io.Hang(); }, FirstGradients), 60000);   // asleep after 1 s: not the timeout
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("crash", e.KindName);
        Assert.Null(e.ExitCode);
        Assert.StartsWith("the implementation closed its stdout (and kept running) before answering `gradients` (id 2)\nlast lines of its stderr:\n  | bye", e.Message);
    }

    [Fact]
    public void No_reply_within_the_timeout_is_a_hang_and_half_a_line_is_shown()
    {
        using var silent = ProcessBackprop.InProcess("hangs", ReferenceBut((_, io) => io.Hang(), FirstGradients), 300);
        var e = Assert.Throws<ProtocolException>(() => silent.Gradients(N000));
        Assert.Equal("hang", e.KindName);
        Assert.Equal("no reply within 300 ms while answering `gradients` (id 2) (--timeout-ms sets the limit)", e.Message);

        using var half = ProcessBackprop.InProcess("half", ReferenceBut((_, io) => { io.Write("{\"id\":2,\"ok\":tr"); return io.Hang(); }, FirstGradients), 300);
        var h = Assert.Throws<ProtocolException>(() => half.Gradients(N000));
        Assert.Equal("no reply within 300 ms while answering `gradients` (id 2) (--timeout-ms sets the limit); it wrote 15 bytes of a line and no end of line: {\"id\":2,\"ok\":tr", h.Message);
        // a restart follows: the next process answers
        half.ClearFaults();
        Assert.Equal(new ReferenceBackprop().Forward(N000).Loss, half.Forward(N000).Loss);
        Assert.Equal(2, half.Starts);
    }

    [Fact]
    public void An_implementation_that_stops_reading_its_stdin_is_a_hang_in_writing()
    {
        // the request for a network of 101,770 parameters is far longer than a pipe holds
        Network big = NetworkGen.Sample(1, 0, 1, Capabilities.Everything, new NetworkShape([784, 128, 10], 1));
        using var impl = ProcessBackprop.InProcess("deaf", Script((r, io) => { io.Line(Answer(r)); return io.Hang(); }), 300);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(big));
        Assert.Equal("hang", e.KindName);
        Assert.Equal("did not read its request within 300 ms while answering `gradients` (id 2)", e.Message);
    }

    [Fact]
    public void An_implementation_that_exits_before_reading_its_request_is_a_crash_in_writing()
    {
        Network big = NetworkGen.Sample(1, 0, 1, Capabilities.Everything, new NetworkShape([784, 128, 10], 1));
        using var impl = ProcessBackprop.InProcess("gone", Script((r, io) => { io.Line(Answer(r)); io.Err("leaving"); return 4; }), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(big));
        Assert.Equal("crash", e.KindName);
        Assert.Equal(4, e.ExitCode);
        Assert.StartsWith("the implementation exited with code 4 stopped reading its stdin before answering `gradients` (id 2)", e.Message);
    }

    [Fact]
    public void A_reply_line_past_the_limit_is_too_long_and_not_kept()
    {
        long limit = ProcessBackprop.LineLimitFor(N000);
        Assert.Equal(ProcessBackprop.MinLineLimit, limit);
        using var impl = ProcessBackprop.InProcess("too long", ReferenceBut((_, io) =>
        {
            string mib = new('7', 1 << 20);
            io.Write("{\"id\":2,\"ok\":true,\"loss\":");
            for (int i = 0; i < 65; i++) io.Write(mib);
            io.Write("\n");
            return io.Hang();
        }, FirstGradients), 20000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("too-long", e.KindName);
        Assert.StartsWith($"replied to `gradients` (id 2) with a line longer than {limit:N0} bytes (the limit; ", e.Message);
        Assert.Contains(": {\"id\":2,\"ok\":true,\"loss\":777", e.Message);
        // refused within one read (64 KiB) of passing the limit: the rest is never kept
        var read = System.Text.RegularExpressions.Regex.Match(e.Message, @"the limit; ([0-9,]+) read without an end of line");
        long bytes = long.Parse(read.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(bytes, limit + 1, limit + 65536);
    }

    [Fact]
    public void A_reply_line_of_exactly_the_limit_is_read()
    {
        long limit = ProcessBackprop.LineLimitFor(N000);
        using var impl = ProcessBackprop.InProcess("at the limit", ReferenceBut((r, io) =>
        {
            string reply = $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"full\"}}}}";
            io.Write(reply);
            long pad = limit - reply.Length;                           // the line, without its newline, is the limit
            string mib = new(' ', 1 << 20);
            for (; pad >= mib.Length; pad -= mib.Length) io.Write(mib);
            io.Write(new string(' ', (int)pad) + "\n");
            return null;
        }, FirstGradients), 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("error-reply", e.KindName);
        Assert.EndsWith("with error code \"internal\": full", e.Message);
    }

    [Fact]
    public void The_line_limit_grows_with_the_network_and_is_bounded()
    {
        Assert.Equal(ProcessBackprop.MinLineLimit, ProcessBackprop.LineLimitFor((Network?)null));
        Assert.Equal(ProcessBackprop.MinLineLimit, ProcessBackprop.LineLimitFor(1_048_576));
        Assert.Equal(64L * 1_048_577, ProcessBackprop.LineLimitFor(1_048_577));
        Assert.Equal(ProcessBackprop.MaxLineLimit, ProcessBackprop.LineLimitFor(100_000_000));
        Network big = NetworkGen.Sample(1, 0, 1, Capabilities.Everything, new NetworkShape([784, 1400, 10], 2));
        Assert.Equal(64L * (big.ParameterCount + 2 * 10 + 1), ProcessBackprop.LineLimitFor(big));
    }

    [Fact]
    public void Megabytes_on_stderr_are_drained_while_the_replies_come()
    {
        string flood = string.Concat(Enumerable.Repeat(new string('s', 1023) + "\n", 1024));   // 1 MiB a request
        using var impl = ProcessBackprop.InProcess("chatty", Script((r, io) => { io.Err(flood); io.Line(Answer(r)); return null; }), 5000);
        for (int i = 0; i < 4; i++) Assert.Equal(new ReferenceBackprop().Forward(N000).Loss, impl.Forward(N000).Loss);
        Assert.Null(impl.Fault);
    }

    [Fact]
    public void Replies_sent_ahead_are_read_in_order_and_forgotten_ones_dropped()
    {
        Network a = Examples.Load("002-mazur-2-2-2"), b = N000;
        var reference = new ReferenceBackprop();
        using var impl = ProcessBackprop.InProcess("ahead", ReferenceServed, 5000);
        object groupA = new(), groupB = new();
        impl.Prefetch("gradients", a, groupA);
        impl.Prefetch("step", a, groupA);
        impl.Prefetch("gradients", b, groupB);
        impl.Prefetch("gradients", b, groupB);                         // sent once only
        impl.Prefetch("hello", b);                                     // not an op to send ahead
        Assert.Equal(4, impl.Requests);
        Assert.Equal(reference.Gradients(b).Flatten(), impl.Gradients(b).Flatten());   // reads a's two first and keeps them
        Assert.Equal(reference.Step(a).Flatten(), impl.Step(a).Flatten());
        impl.Prefetch("forward", a, groupA);
        impl.Forget(groupA);                                           // its forward is read and dropped
        Assert.Equal(reference.Forward(b).Loss, impl.Forward(b).Loss);
        Assert.Equal(6, impl.Requests);
        Assert.Equal(reference.Forward(a).Loss, impl.Forward(a).Loss);                 // its forward was dropped: asked afresh
        Assert.Equal(7, impl.Requests);
        Assert.Equal(reference.Gradients(a).Flatten(), impl.Gradients(a).Flatten());   // asked afresh
        Assert.Equal(8, impl.Requests);
        Assert.Equal(1, impl.Starts);
    }

    [Fact]
    public void A_group_forgotten_with_nothing_outstanding_can_be_used_again()
    {
        Network a = Examples.Load("002-mazur-2-2-2"), b = N000;
        using var impl = ProcessBackprop.InProcess("ahead", ReferenceServed, 5000);
        object group = new();
        impl.Forget(group);                                            // nothing outstanding: not remembered
        impl.Prefetch("gradients", a, group);
        impl.Prefetch("gradients", b);
        impl.Gradients(b);                                             // reads a's reply ahead and keeps it
        Assert.Equal(new ReferenceBackprop().Gradients(a).Flatten(), impl.Gradients(a).Flatten());
        Assert.Equal(3, impl.Requests);
    }

    [Fact]
    public void Replies_out_of_order_are_a_wrong_id()
    {
        // the first start swaps its first two replies; the state is its own, as a process's is
        int starts = 0;
        Served swaps = (stdin, stdout, stderr, killed) =>
        {
            bool first = Interlocked.Increment(ref starts) == 1;
            string? held = null;
            return Script((r, io) =>
            {
                if (first && r.Number == 2) { held = Answer(r); return null; }
                io.Line(Answer(r));
                if (held is { } h) { held = null; io.Line(h); }
                return null;
            })(stdin, stdout, stderr, killed);
        };
        using var impl = ProcessBackprop.InProcess("swaps", swaps, 5000);
        impl.Prefetch("gradients", N000);
        impl.Prefetch("forward", N000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("wrong-id", e.KindName);
        Assert.Contains("answered request id 2 (`gradients`) with id 3", e.Message);
        // the process went, and what was sent ahead with it
        impl.ClearFaults();
        Assert.Equal(new ReferenceBackprop().Forward(N000).Loss, impl.Forward(N000).Loss);
        Assert.Equal(2, impl.Starts);
    }

    [Fact]
    public void A_request_sent_ahead_that_breaks_is_reported_when_asked_for()
    {
        using var impl = ProcessBackprop.InProcess("dies", ReferenceBut((_, _) => 5, FirstGradients), 5000);
        impl.Prefetch("gradients", N000);                              // no throw here
        Assert.Null(impl.Fault);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal(5, e.ExitCode);
    }

    [Fact]
    public void An_interrupt_stops_the_wait_and_ends_the_implementation()
    {
        using var cts = new CancellationTokenSource();
        using var impl = ProcessBackprop.InProcess("slow", ReferenceBut((_, io) => io.Hang(), FirstGradients), 60000);
        impl.Interrupt = cts.Token;
        impl.Start();
        cts.CancelAfter(100);
        Assert.ThrowsAny<OperationCanceledException>(() => impl.Gradients(N000));
        Assert.Null(impl.Fault);
        Assert.ThrowsAny<OperationCanceledException>(impl.Start);       // nothing more is sent
        impl.Prefetch("forward", N000);                                  // nor sent ahead
        Assert.Equal(2, impl.Requests);
    }

    /// <summary>The token a served implementation is killed by, one per start.</summary>
    static Served Watched(List<CancellationToken> starts, Served inner) => (stdin, stdout, stderr, killed) =>
    {
        lock (starts) starts.Add(killed);
        return inner(stdin, stdout, stderr, killed);
    };

    [Fact]
    public void An_interrupt_in_hello_ends_the_implementation()
    {
        var starts = new List<CancellationToken>();
        using var cts = new CancellationTokenSource();
        using var impl = ProcessBackprop.InProcess("slow to greet", Watched(starts, Script((_, io) => io.Hang())), 60000);
        impl.Interrupt = cts.Token;
        cts.CancelAfter(100);
        Assert.ThrowsAny<OperationCanceledException>(impl.Start);
        Assert.True(Assert.Single(starts).IsCancellationRequested);
        Assert.Null(impl.Fault);
    }

    [Fact]
    public void An_interrupt_mid_request_ends_the_implementation_and_forgets_what_was_sent()
    {
        var starts = new List<CancellationToken>();
        using var cts = new CancellationTokenSource();
        Network a = Examples.Load("002-mazur-2-2-2");
        using var impl = ProcessBackprop.InProcess("stalls", Watched(starts, ReferenceBut((_, io) => io.Hang(), r => r.Number == 3)), 60000);
        impl.Interrupt = cts.Token;
        impl.Prefetch("gradients", N000);
        impl.Prefetch("gradients", a);
        cts.CancelAfter(100);
        Assert.ThrowsAny<OperationCanceledException>(() => impl.Gradients(a));
        Assert.True(starts[0].IsCancellationRequested);
        // a new token: the next request starts afresh; nothing sent to the old process is awaited
        impl.Interrupt = CancellationToken.None;
        Assert.Equal(new ReferenceBackprop().Gradients(N000).Flatten(), impl.Gradients(N000).Flatten());
        Assert.Equal(2, impl.Starts);
        Assert.Equal(5, impl.Requests);
    }

    [Fact]
    public void Sending_ahead_after_an_interrupt_ends_the_implementation()
    {
        var starts = new List<CancellationToken>();
        using var cts = new CancellationTokenSource();
        using var impl = ProcessBackprop.InProcess("interrupted", Watched(starts, ReferenceServed), 5000);
        impl.Interrupt = cts.Token;
        impl.Start();
        cts.Cancel();
        impl.Prefetch("forward", N000);
        Assert.True(Assert.Single(starts).IsCancellationRequested);
    }

    [Fact]
    public void A_fault_that_ends_the_implementation_ends_it_and_drops_the_replies_read_ahead()
    {
        var starts = new List<CancellationToken>();
        Network a = Examples.Load("002-mazur-2-2-2");
        using var impl = ProcessBackprop.InProcess("garbles", Watched(starts, ReferenceBut((_, io) => { io.Line("garbage"); return null; }, r => r.Number == 3 && r.Network!.Inputs == 2 && r.Network.Layers[0].Units == 2)), 5000);
        impl.Prefetch("gradients", N000);
        impl.Prefetch("gradients", a);
        Assert.Throws<ProtocolException>(() => impl.Gradients(a));     // N000's reply is read ahead, then a's is garbage
        Assert.True(starts[0].IsCancellationRequested);
        ProtocolException first = impl.Fault!;
        impl.Gradients(N000);                                          // asked afresh of the new process
        Assert.Equal(5, impl.Requests);
        Assert.Equal(2, impl.Starts);
        Assert.Same(first, impl.Fault);
    }

    [Fact]
    public void The_first_fault_is_kept_until_cleared()
    {
        int gradients = 0;
        using var impl = ProcessBackprop.InProcess("twice", ReferenceBut((r, io) => { io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"e{++gradients}\"}}}}"); return null; }, r => r.Op == "gradients"), 5000);
        var first = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        var second = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.NotSame(first, second);
        Assert.Same(first, impl.Fault);
        impl.ClearFaults();
        var third = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Same(third, impl.Fault);
    }

    [Fact]
    public void Closing_waits_a_moment_for_the_implementation_to_exit_on_its_own()
    {
        bool? killedBeforeExit = null;
        var impl = ProcessBackprop.InProcess("tidy", (stdin, stdout, stderr, killed) =>
        {
            int exit = ReferenceServed(stdin, stdout, stderr, killed);  // returns when stdin closes
            Thread.Sleep(100);                                           // tidies up
            killedBeforeExit = killed.IsCancellationRequested;
            return exit;
        }, 5000);
        impl.Start();
        impl.Dispose();
        Assert.False(killedBeforeExit);
    }

    [Fact]
    public void A_process_that_exits_slowly_after_closing_stdout_is_waited_for()
    {
        using var impl = ProcessBackprop.InProcess("slow exit", ReferenceBut((_, io) => { io.CloseStdout(); Thread.Sleep(300); return 7; }, FirstGradients), 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal(7, e.ExitCode);
    }

    [Fact]
    public void Stderr_lines_are_kept_whole_up_to_400_characters_and_split_where_the_newline_falls()
    {
        using var impl = ProcessBackprop.InProcess("stderr", ReferenceBut((_, io) =>
        {
            io.Err(new string('a', 400) + "\n");
            io.Err("first half");
            Thread.Sleep(50);                                            // the reader takes it before the rest comes
            io.Err("\nsecond line\n");
            return 2;
        }, FirstGradients), 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal(new string('a', 400) + "\nfirst half\nsecond line", e.StderrTail);
    }

    [Fact]
    public void A_reply_of_megabytes_is_read_across_many_reads()
    {
        Network big = NetworkGen.Sample(1, 0, 1, Capabilities.Everything, new NetworkShape([784, 128, 10], 2));
        using var impl = ProcessBackprop.InProcess("big", ReferenceServed, 60000);
        Assert.Equal(new ReferenceBackprop().Gradients(big).Flatten(), impl.Gradients(big).Flatten());
    }

    [Fact]
    public void A_slow_reader_of_a_long_request_is_waited_for_up_to_the_timeout()
    {
        Network big = NetworkGen.Sample(1, 0, 1, Capabilities.Everything, new NetworkShape([784, 128, 10], 1));
        using var impl = ProcessBackprop.InProcess("slow reader", (stdin, stdout, stderr, killed) =>
        {
            var wrapped = new SlowStream(stdin);
            return ReferenceServed(wrapped, stdout, stderr, killed);
        }, 60000);
        Assert.Equal(new ReferenceBackprop().Forward(big).Loss, impl.Forward(big).Loss);
    }

    /// <summary>A stream that can only be read, the read left to the test's double.</summary>
    abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Waits 100 ms before its first read: a request longer than a pipe holds waits for it.</summary>
    sealed class SlowStream(Stream inner) : ReadOnlyStream
    {
        bool waited;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!waited) { Thread.Sleep(100); waited = true; }
            return inner.Read(buffer, offset, count);
        }
    }

    [Fact]
    public void The_line_limit_follows_the_largest_network_asked_about()
    {
        // 1,051,000 parameters: a reply may be 64 bytes a number, 67.2 MB, more than the 64 MiB floor
        Network huge = Network.Create(1050, [new Layer(Activation.Identity, new double[1000, 1050], null, BiasMode.None), new Layer(Activation.Identity, new double[1, 1000], null, BiasMode.None)],
                                      LossKind.HalfSse, 0.1, [new double[1050]], [[0.0]]);
        long limit = ProcessBackprop.LineLimitFor(huge);
        Assert.Equal(64L * (1_051_000 + 1 + 1), limit);             // 155,264 bytes above the floor
        using var impl = ProcessBackprop.InProcess("padded", (stdin, stdout, _, _) =>
        {
            // not parsed: hello (id 1), then the forward request (id 2) gets a correct error reply,
            // padded with spaces past the floor (JSON allows the whitespace)
            using var reader = new StreamReader(stdin);
            var io = new Io(stdout, Stream.Null, default);
            reader.ReadLine();
            io.Line(Hello(1, ["identity"], ["half-sse"], null));
            reader.ReadLine();
            io.Write("{\"id\":2,\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"padded\"}}");
            string mib = new(' ', 1 << 20);
            for (int i = 0; i < 64; i++) io.Write(mib);
            io.Write(new string(' ', 50_000) + "\n");                 // 64 MiB + 50,080 bytes in all
            return reader.ReadLine() is null ? 0 : 1;
        }, 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Forward(huge));
        Assert.Equal("error-reply", e.KindName);
        Assert.EndsWith("with error code \"internal\": padded", e.Message);
    }

    [Fact]
    public void A_closed_client_refuses_requests_and_its_implementation_is_ended()
    {
        CancellationToken seen = default;
        var impl = ProcessBackprop.InProcess("ended", (stdin, stdout, stderr, killed) => { seen = killed; return ReferenceServed(stdin, stdout, stderr, killed); }, 5000);
        impl.Start();
        impl.Dispose();
        Assert.True(seen.IsCancellationRequested);
        Assert.Throws<ObjectDisposedException>(impl.Start);
        Assert.Throws<ObjectDisposedException>(() => impl.Forward(N000));
        impl.Prefetch("forward", N000);                                  // ignored
        impl.Dispose();                                                  // twice is fine
    }

    [Theory]
    [InlineData("", 1000, "the implementation's command line is empty")]
    [InlineData("  ", 1000, "the implementation's command line is empty")]
    [InlineData("python3 x.py", 0, "the timeout must be at least 1 ms, got 0")]
    public void A_client_without_a_command_or_a_timeout_is_refused(string command, int timeoutMs, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new ProcessBackprop(command, timeoutMs)).Message);

    [Fact]
    public void A_reply_line_one_byte_past_the_limit_is_refused_with_its_byte_count_exact()
    {
        // limit + 1 bytes: the limit is passed in the read that holds the last byte, so exactly limit + 1
        // have been read then, however the pipe splits the line. The pause makes the last byte a read of
        // its own (a count that took 256 bytes for that read's share would be off by 255); the count is
        // exact with or without it
        long limit = ProcessBackprop.LineLimitFor(N000);
        using var impl = ProcessBackprop.InProcess("one byte past", ReferenceBut((_, io) =>
        {
            const string head = "{\"id\":2,\"ok\":true,\"loss\":";
            io.Write(head);
            long pad = limit - head.Length;                            // the line so far is the limit
            string mib = new('7', 1 << 20);
            for (; pad >= mib.Length; pad -= mib.Length) io.Write(mib);
            io.Write(new string('7', (int)pad));
            Thread.Sleep(200);
            io.Write("7\n");
            return io.Hang();
        }, FirstGradients), 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("too-long", e.KindName);
        Assert.Contains($"(the limit; {limit + 1:N0} read without an end of line): {{\"id\":2,\"ok\":true,\"loss\":777", e.Message);
    }

    [Fact]
    public void A_served_implementation_that_closed_its_stderr_and_throws_is_a_crash_with_exit_code_1_and_no_stderr()
    {
        // its exception's message cannot go to the stderr it closed: that is dropped, not thrown on its thread
        using var impl = ProcessBackprop.InProcess("closes stderr", (stdin, stdout, stderr, killed) =>
            ReferenceBut((_, _) => { stderr.Dispose(); throw new InvalidOperationException("after closing stderr"); }, FirstGradients)(stdin, stdout, stderr, killed), 5000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(N000));
        Assert.Equal("crash", e.KindName);
        Assert.Equal(1, e.ExitCode);
        Assert.Equal("", e.StderrTail);
    }

    [Fact]
    public void Closing_leaves_no_end_of_the_served_implementations_pipes_open()
    {
        // its three pipes, each known by the inode its file descriptors link to in /proc/self/fd: once the
        // client is closed no descriptor of this process links to one (the client's ends are disposed, not
        // left to a finalizer)
        var pipes = new List<string>();
        var impl = ProcessBackprop.InProcess("pipes", (stdin, stdout, stderr, killed) =>
        {
            lock (pipes) pipes.AddRange(new[] { stdin, stdout, stderr }.Select(s => LinkOf(((System.IO.Pipes.PipeStream)s).SafePipeHandle.DangerousGetHandle().ToString())!));
            return ReferenceServed(stdin, stdout, stderr, killed);
        }, 5000);
        impl.Start();
        lock (pipes) Assert.Equal(3, pipes.Where(p => p.StartsWith("pipe:[", StringComparison.Ordinal)).Distinct().Count());
        Assert.Contains(OpenDescriptors(), pipes.Contains);                  // the client's ends, while it runs
        impl.Dispose();
        Assert.DoesNotContain(OpenDescriptors(), pipes.Contains);
    }

    /// <summary>What /proc/self/fd/<paramref name="fd"/> links to ("pipe:[1234]"), null when it is gone.</summary>
    static string? LinkOf(string fd)
    {
        try { return new FileInfo(Path.Combine("/proc/self/fd", fd)).LinkTarget; }
        catch (IOException) { return null; }
    }

    /// <summary>What every open file descriptor of this process links to.</summary>
    static List<string> OpenDescriptors() =>
        Directory.GetFiles("/proc/self/fd").Select(f => LinkOf(Path.GetFileName(f))).OfType<string>().ToList();

    [Fact]
    public void Killing_a_served_implementation_closes_its_ends_of_the_pipes_as_a_killed_process_loses_them()
    {
        // one that watches neither its token nor its stdin, like a process that only SIGKILL stops: after
        // its garbage reply the client kills it, and its stdout is closed under it at once
        bool? closed = null;
        using var done = new ManualResetEventSlim();
        using var impl = ProcessBackprop.InProcess("deaf", (stdin, stdout, stderr, killed) => ReferenceBut((_, _) =>
        {
            stdout.Write("garbage\n"u8);                                // one write, no flush: the kill may come right after it
            closed = SpinWait.SpinUntil(() => !((System.IO.Pipes.PipeStream)stdout).IsConnected, 5000);
            done.Set();
            return 0;
        }, FirstGradients)(stdin, stdout, stderr, killed), 5000);
        Assert.Equal("garbage", Assert.Throws<ProtocolException>(() => impl.Gradients(N000)).KindName);
        Assert.True(done.Wait(30_000), "the served implementation never returned");
        Assert.True(closed, "its stdout stayed open after the kill");
    }

    [Fact]
    public void A_read_of_stdout_or_stderr_that_fails_ends_its_reader_as_the_end_of_the_stream_does()
    {
        // an I/O error on a pipe ends the lines (the client then reports a crash) and the stderr tail; the
        // exception must not escape the reader's thread, which would end the checker itself
        var child = new ProcessBackprop.Child(new IdleRun(), Stream.Null, new FailingStream(), new FailingStream());
        Assert.True(SpinWait.SpinUntil(() => child.Lines.IsCompleted, 10_000), "stdout's reader did not end");
        Assert.Empty(child.Lines);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("", child.StderrTail(waitMs: 60_000));
        Assert.True(clock.ElapsedMilliseconds < 30_000, "stderr's reader did not end");
    }

    /// <summary>What runs behind a child whose pipes are not a process's: nothing.</summary>
    sealed class IdleRun : ProcessBackprop.IRun
    {
        public int? WaitForExit(int ms) => null;
        public bool Asleep() => true;
        public void Kill() { }
        public void Dispose() { }
    }

    /// <summary>A pipe whose every read fails with an I/O error.</summary>
    sealed class FailingStream : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("simulated I/O error");
    }

    [Fact]
    public void Read_reply_reads_a_line_as_the_live_client_does()
    {
        var r = new Serve.Request(5, "step", N000, 2, "");
        var p = Assert.IsType<Parameters>(ProcessBackprop.ReadReply("step", Answer(r), 5, N000));
        Assert.Equal(new ReferenceBackprop().Step(N000).Flatten(), p.Flatten());
        Assert.IsType<Evaluation>(ProcessBackprop.ReadReply("forward", Answer(r with { Op = "forward" }), 5, N000));
        Assert.IsType<Gradients>(ProcessBackprop.ReadReply("gradients", Answer(r with { Op = "gradients" }), 5, N000));
        Assert.Equal("unknown request 'hello'", Assert.Throws<ArgumentException>(() => ProcessBackprop.ReadReply("hello", Answer(r), 5, N000)).Message);
    }
}

/// <summary>The one thing about starting a real process that the in-process tests cannot show: the
/// command runs in the working directory given, and so do the workers made from it.</summary>
public class ProcessClientTests
{
    static readonly Network N000 = Examples.Load("000-one-hidden-unit");

    [Fact]
    public void A_relative_command_runs_in_the_working_directory_given_and_so_do_its_workers()
    {
        using var impl = new ProcessBackprop($"{CheckRun.Python3} backprop.py", 10000, Repo.Path("examples", "python"));
        impl.Start();
        Assert.Equal("python-example", impl.Name);
        using ProcessBackprop worker = impl.Another();
        Assert.Equal(impl.CommandLine, worker.CommandLine);
        Assert.Equal(impl.TimeoutMs, worker.TimeoutMs);
        worker.Start();
        Assert.Equal("python-example", worker.Name);
        Assert.Null(worker.Fault);
    }

    [Fact]
    public void A_command_with_shell_operators_runs_whole_under_the_shell()
    {
        // not a plain command: it must not be run with exec, or only its first part would run
        using var impl = new ProcessBackprop($"cd {Repo.Path("examples", "python")} && {CheckRun.Python3} backprop.py", 10000);
        impl.Start();
        Assert.Equal("python-example", impl.Name);
    }

    [Theory]
    [InlineData("--new-session")]   // left the process group, still in the tree: the tree kill finds it
    [InlineData("--orphan")]        // left the tree, still in the process group: the group kill finds it
    public void A_helper_that_left_the_group_or_the_tree_does_not_outlive_the_implementation(string how)
    {
        var fixture = Tagged.Fixture($"bpsfx_escaping_helper.py {how}");
        using (var impl = new ProcessBackprop(fixture.Command, 10000))
            Assert.Equal(3, impl.Gradients(N000).Flatten().Length);      // the helper is started by now
        fixture.AssertNoProcessLeft();
    }

    [Fact]
    public void A_working_directory_that_does_not_exist_is_a_crash_before_hello()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-directory-{Guid.NewGuid():N}");
        using var impl = new ProcessBackprop("true", 10000, missing);
        var e = Assert.Throws<ProtocolException>(impl.Start);
        Assert.Equal("crash", e.KindName);
        Assert.Equal("hello", e.Op);
        Assert.Equal(0, e.Id);
        Assert.Null(e.Network);
        Assert.StartsWith("could not start /bin/sh -c \"true\": ", e.Message);
        Assert.Contains(missing, e.Message);                           // the start's own words name the directory
        Assert.Same(e, impl.Fault);
        Assert.Equal(0, impl.Requests);                                // nothing was sent
    }

    [Fact]
    public void A_crash_report_holds_stderr_to_its_end_even_what_comes_after_the_exit()
    {
        // stderr is read until it closes (up to the timeout) before the crash is reported: here a helper
        // in a session of its own, re-parented when the shell exits, so neither kill reaches it, holds
        // stderr and writes its line 2 s after the exit. The shell exits only once the helper has left
        // its group (the marker file), or the group kill at the exit could take the helper too.
        string marker = Path.Combine(Path.GetTempPath(), $"bpsfx-left-the-group-{Guid.NewGuid():N}");
        var command = Tagged.Of($"sh -c 'exec >&-; echo leaving >&2; setsid sh -c \"touch {marker}; sleep 2; echo written after the exit >&2\" & "
                                + $"while [ ! -e {marker} ]; do sleep 0.01; done; exit 3'");
        try
        {
            using var impl = new ProcessBackprop(command.Command, 10000);
            var e = Assert.Throws<ProtocolException>(impl.Start);
            Assert.Equal("crash", e.KindName);
            Assert.Equal(3, e.ExitCode);
            Assert.Equal("leaving\nwritten after the exit", e.StderrTail);
            command.AssertNoProcessLeft();
        }
        finally { File.Delete(marker); }
    }

    [Fact]
    public void A_process_asleep_after_closing_stdout_is_called_a_crash_after_a_second_not_the_timeout()
    {
        // /proc says it sleeps (state S): waiting out the 60 s timeout would be a hang in all but name
        using var impl = new ProcessBackprop(CheckRun.Fixture("bpsfx_closes_stdout.py"), 60000);
        var e = Assert.Throws<ProtocolException>(() => impl.Gradients(Examples.Load("000-one-hidden-unit")));
        Assert.Equal("crash", e.KindName);
        Assert.Null(e.ExitCode);
        Assert.Contains("closed its stdout (and kept running)", e.Message);
    }
}
