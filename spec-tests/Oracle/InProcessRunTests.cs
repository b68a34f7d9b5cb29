using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Properties;
using Xunit;
using static BackpropSpec.SpecTests.Checking.Serve;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The run loop of `check` against implementations served in process: how many workers it starts
/// and that it ends them, what it skips and counts (networks declined, examples outside the hello),
/// what an unusable hello says, --replay and --precision, and the accuracy and range tallies.
/// </summary>
public class InProcessRunTests
{
    /// <summary>Counts the starts of a served implementation, and how many are still running.</summary>
    sealed class Counted(Served inner)
    {
        int started, running;
        public int Started => Volatile.Read(ref started);
        public int Running => Volatile.Read(ref running);
        public Served Serve => (stdin, stdout, stderr, killed) =>
        {
            Interlocked.Increment(ref started);
            Interlocked.Increment(ref running);
            try { return inner(stdin, stdout, stderr, killed); }
            finally { Interlocked.Decrement(ref running); }
        };
    }

    static string Names(IEnumerable<Activation> a) => string.Join(",", a.Select(Activations.Name));

    /// <summary>The reference, with its hello replaced.</summary>
    static Served ReferenceSaying(Func<long, string> hello) =>
        ReferenceBut((r, io) => { io.Line(hello(r.Id)); return null; }, r => r.Op == "hello");

    [Fact]
    public void The_oracles_own_problems_are_reported_apart_from_the_verdict_the_first_twenty_with_their_network()
    {
        // a cross-check of the exact values that fails twice on every network: 2 per golden example and 2 per random network
        var options = new CheckOptions("reference", Count: 10) { CrossCheck = (truth, seed) => [$"planted at seed {seed}", $"planted on {truth.Parameters} parameters"] };
        CheckReport r = Check(ReferenceServed, options);
        Assert.Equal("pass", r.Verdict);                       // a problem of the oracle is no verdict on the implementation
        Assert.True(2 * (r.Examples.Count + 10) > 20, "more problems than are kept");
        Assert.Equal(20, r.OracleProblems.Count);
        Network first = Examples.Load(r.Examples[0].Name);
        Assert.Equal($"golden example {r.Examples[0].Name}: planted at seed {RunSettings.DefaultSeed}", r.OracleProblems[0]);
        Assert.Equal($"golden example {r.Examples[0].Name}: planted on {first.ParameterCount} parameters", r.OracleProblems[1]);
    }

    [Theory]
    [InlineData(60, 1, 1)]
    [InlineData(60, 3, 3)]
    [InlineData(5, 100, 5)]          // never more workers than networks
    [InlineData(0, 4, 1)]            // no random network: the examples' process only
    public void Workers_are_never_more_than_asked_nor_than_the_networks_and_all_end(int count, int jobs, int starts)
    {
        var served = new Counted(ReferenceServed);
        CheckReport r = Check(served.Serve, new CheckOptions("reference", Count: count, Jobs: jobs));
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(count, r.NetworksChecked);
        // a worker starts its implementation at its first network: on a loaded machine the others may
        // have claimed every network before a late worker claims one, so it never starts (seen once in
        // a full run: 4 starts of 5). Never more than asked, never more than the networks.
        Assert.InRange(served.Started, 1, starts);
        Assert.True(SpinWait.SpinUntil(() => served.Running == 0, 10_000), $"{served.Running} of the {starts} implementations still run after the check");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Networks_declined_as_unsupported_are_skipped_counted_and_named_up_to_five(int jobs)
    {
        static bool HasRelu(Network? n) => n is not null && n.Layers.Any(l => l.Activation == Activation.Relu);
        Served declining = ReferenceBut((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"relu is not implemented yet\"}}}}");
            return null;
        }, r => r.Op != "hello" && HasRelu(r.Network));
        CheckReport r = Check(declining, new CheckOptions("declines relu", Count: 80, Jobs: jobs));

        int[] withRelu = Enumerable.Range(0, 80).Where(i => HasRelu(NetworkGen.Sample(RunSettings.DefaultSeed, i, 80))).ToArray();
        Assert.True(withRelu.Length > 5, "the seed must draw more than five relu networks for this test to mean anything");
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(withRelu.Length, r.NetworksSkipped);
        Assert.Equal(80 - withRelu.Length, r.NetworksChecked);
        Assert.Equal(withRelu.Take(5).Select(i => $"random network {i}: declined by the implementation (unsupported): relu is not implemented yet"), r.SkipExamples);
        // those out of the textbook range are counted apart (declining is right there), the rest are a gap
        int outOfRange = withRelu.Count(i => Truth.For(NetworkGen.Sample(RunSettings.DefaultSeed, i, 80)).OutOfRange);
        Assert.InRange(outOfRange, 1, withRelu.Length - 5);
        Assert.Equal(outOfRange, r.NetworksDeclinedOutOfRange);
        // the report lists the five and says how many more there are (a Java newcomer read a cut list as the whole of it)
        Assert.Contains($"{withRelu.Length} skipped ({outOfRange} of them declined where a standard formulation cannot represent some answer, as the range fixes recommend):\n" +
                        $"{string.Join("\n", r.SkipExamples.Select(x => "  " + x))}\n  ... and {withRelu.Length - 5} more\n", r.Text());

        string[] examplesWithRelu = Examples.Names.Where(n => HasRelu(Examples.Load(n))).ToArray();
        Assert.NotEmpty(examplesWithRelu);                                      // 004-batched-relu
        Assert.Equal(examplesWithRelu.Length, r.ExamplesSkipped);
        Assert.Equal(Examples.Names.Count - examplesWithRelu.Length, r.ExamplesChecked);
        Assert.Equal(Examples.Names.Count, r.Examples.Count);
        Assert.Equal(examplesWithRelu, r.Examples.Where(e => e.Skipped is not null).Select(e => e.Name));
    }

    [Fact]
    public void Examples_outside_the_hello_are_skipped_and_random_networks_stay_inside_it()
    {
        Activation[] known = [Activation.Sigmoid, Activation.Relu];   // 003 lacks identity, 004 its loss
        CheckReport r = Check(ReferenceSaying(id => Hello(id, known.Select(Activations.Name), ["half-sse"], "\"float64\"")),
                              new CheckOptions("sigmoid and relu", Count: 30));
        bool Inside(Network n) => n.Loss == LossKind.HalfSse && n.Layers.All(l => known.Contains(l.Activation));
        string[] outside = Examples.Names.Where(n => !Inside(Examples.Load(n))).ToArray();
        Assert.NotEmpty(outside);
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(outside.Length, r.ExamplesSkipped);
        Assert.Equal(Examples.Names.Count - outside.Length, r.ExamplesChecked);
        // every example stays in the report, a skipped one with the first thing its hello lacks
        Assert.Equal(Examples.Names, r.Examples.Select(e => e.Name));
        string? Lacks(Network n) => n.Loss != LossKind.HalfSse ? $"loss {Loss.Name(n.Loss)}"
            : n.Layers.Select(l => l.Activation).Where(a => !known.Contains(a)).Select(a => $"activation {Activations.Name(a)}").FirstOrDefault();
        Assert.Equal(Examples.Names.Select(n => Lacks(Examples.Load(n)) is { } what ? $"outside the capabilities of its hello ({what})" : null),
                     r.Examples.Select(e => e.Skipped));
        Assert.Contains(r.Examples, e => e.Skipped?.Contains("(loss ") == true);
        Assert.Contains(r.Examples, e => e.Skipped?.Contains("(activation ") == true);
        Assert.Equal(30, r.NetworksChecked);
        Assert.Equal(0, r.NetworksSkipped);
        Assert.True(r.RandomRunStarted);
        Assert.Equal([LossKind.HalfSse], r.Capabilities.Losses);
        Assert.Equal(known.Order(), r.Capabilities.Activations.Order());
    }

    [Theory]
    [InlineData("\"activations\":[\"gelu\"],\"losses\":[\"half-sse\"]", "its hello lists no activation this checker knows")]
    [InlineData("\"activations\":[\"relu\"],\"losses\":[\"softmax-cross-entropy\",\"binary-cross-entropy\"]", "its hello lists no loss this checker can build a network for")]
    public void A_hello_that_leaves_nothing_to_judge_is_unusable_and_says_why(string lists, string why)
    {
        CheckReport r = Check(ReferenceSaying(id => $"{{\"id\":{id},\"ok\":true,\"implementation\":\"narrow\",{lists},\"precision\":\"float64\"}}"),
                              new CheckOptions("narrow", Count: 10));
        Assert.Equal("unusable", r.Verdict);
        Assert.Equal(why, r.Unusable);
        Assert.Equal(0, r.NetworksChecked);
        Assert.Equal(0, r.ExamplesChecked);
        Assert.False(r.RandomRunStarted);
    }

    [Fact]
    public void A_hello_that_is_no_reply_is_a_broken_protocol_at_hello_and_nothing_is_judged()
    {
        CheckReport r = Check(ReferenceSaying(_ => "hello yourself"), new CheckOptions("rude", Count: 10));
        Assert.Equal("protocol-error", r.Verdict);
        Assert.Equal(("hello", null, null, 0, "the implementation did not get through hello"), (r.Broken!.Where, r.Broken.Index, r.Broken.Example, r.Broken.ShrinkSteps, r.Broken.Note));
        Assert.Equal(ProtocolFailure.Garbage, r.Broken.Fault.Kind);
        Assert.Equal(0, r.ExamplesChecked + r.NetworksChecked);
        Assert.Empty(r.Examples);
    }

    [Fact]
    public void An_unknown_precision_is_unusable_unless_precision_is_given()
    {
        Served bfloat16 = ReferenceSaying(id => Hello(id, Activations.All.Select(Activations.Name), Loss.All.Select(Loss.Name), "\"bfloat16\""));
        CheckReport refused = Check(bfloat16, new CheckOptions("bfloat16", Count: 10));
        Assert.Equal("unusable", refused.Verdict);
        Assert.Equal("its hello declares precision \"bfloat16\", which this checker cannot judge (float64 or float32); --precision judges the answers as one of them", refused.Unusable);

        CheckReport judged = Check(bfloat16, new CheckOptions("bfloat16", Count: 10, Precision: Precision.Float64));
        Assert.Equal("pass", judged.Verdict);
        Assert.Null(judged.Unusable);
        Assert.Equal(10, judged.NetworksChecked);
        Assert.Equal(Precision.Float64, judged.Precision);
    }

    [Fact]
    public void Precision_given_overrides_the_hello()
    {
        // the reference declares float64; judged as float32 its answers are all within float32's bounds
        CheckReport r = Check(ReferenceServed, new CheckOptions("reference", Count: 10, Precision: Precision.Float32));
        Assert.Equal(Precision.Float32, r.Precision);
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(Precision.Float64, Check(ReferenceServed, new CheckOptions("reference", Count: 1)).Precision);
    }

    [Theory]
    [InlineData("002", "002-mazur-2-2-2")]
    [InlineData("002-mazur-2-2-2", "002-mazur-2-2-2")]
    public void Replay_of_an_example_by_its_number_or_name_checks_that_example_only(string replay, string name)
    {
        Assert.Contains(name, Examples.Names);
        CheckReport r = Check(ReferenceServed, new CheckOptions("reference", Count: 50, Replay: replay));
        Assert.Equal([name], r.Examples.Select(e => e.Name));
        Assert.Equal(1, r.ExamplesChecked);
        Assert.Equal(0, r.NetworksChecked);
        Assert.Equal(0, r.RandomIndices.Count);                // past the examples, no random network
    }

    [Fact]
    public void Replay_of_a_random_network_checks_that_network_only()
    {
        CheckReport r = Check(ReferenceServed, new CheckOptions("reference", Count: 50, Replay: "random:7"));
        Assert.Empty(r.Examples);
        Assert.Equal(1, r.NetworksChecked);
        Assert.Equal(IndexSet.Single(7), r.RandomIndices);
        Assert.True(r.RandomRunStarted);
    }

    [Theory]
    [InlineData("python3 backprop.py", "'python3 backprop.py'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    public void A_command_in_a_replay_line_is_one_shell_word(string command, string word) =>
        Assert.Equal(word, BackpropSpec.Oracle.Checking.CheckRun.ShellQuote(command));

    [Fact]
    public void Float32_answers_declared_float32_pass_and_their_findings_are_tallied_per_network_and_cause()
    {
        var textbook = new TextbookBackprop(Precision.Float32);
        Served served = Script((r, io) =>
        {
            io.Line(r.Op == "hello" ? Hello(r.Id, Activations.All.Select(Activations.Name), Loss.All.Select(Loss.Name), "\"float32\"") : Answer(r, textbook));
            return null;
        });
        CheckReport r = Check(served, new CheckOptions("textbook float32", Count: 150));
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(Precision.Float32, r.Precision);
        int judged = r.NetworksChecked + r.ExamplesChecked;
        Assert.NotEmpty(r.Accuracy);
        // a network counts once however many findings and causes it has
        Assert.InRange(r.NetworksWithAccuracy, r.Accuracy.Max(s => s.Networks), Math.Min(judged - 1, r.Accuracy.Sum(s => s.Networks)));
        if (r.Range.Count > 0) Assert.InRange(r.NetworksWithRange, r.Range.Max(s => s.Networks), Math.Min(judged - 1, r.Range.Sum(s => s.Networks)));
        else Assert.Equal(0, r.NetworksWithRange);
        // a network with findings of both kinds counts once among those that do not agree throughout
        Assert.InRange(r.NetworksWithFindings, Math.Max(r.NetworksWithAccuracy, r.NetworksWithRange), r.NetworksWithAccuracy + r.NetworksWithRange);
        Assert.Contains($"{judged - r.NetworksWithFindings} of {judged} networks agree throughout", r.Text());
        foreach (FindingSummary s in r.Accuracy.Concat(r.Range))
        {
            Assert.InRange(s.DigitsLost, 0, 7.3);                           // a float32 answer cannot lose more than float32 has
            Assert.True(s.Replay?.StartsWith("backprop-spec check --impl 'textbook float32' ", StringComparison.Ordinal), s.Replay);
            Assert.Contains(s.WorstNetwork.StartsWith("random network ", StringComparison.Ordinal) ? "--replay random:" : "--replay 0", s.Replay);
        }
    }
    /// <summary>The gradients request of random network <paramref name="i"/> itself (not one derived from it).</summary>
    static Func<Request, bool> GradientsOf(int i, int count, Capabilities? caps = null)
    {
        string n = NetworkGen.Sample(RunSettings.DefaultSeed, i, count, caps ?? Capabilities.Everything).ToString();
        return r => r.Op == "gradients" && r.Network?.ToString() == n;
    }

    [Fact]
    public void Two_jobs_judge_random_networks_in_two_implementations_at_once()
    {
        // the implementation that gets random network 0 holds its answer until a second one has
        // started: with one worker it waits ten seconds in vain and the count below fails
        Counted? served = null;
        Func<Request, bool> first = GradientsOf(0, 8);
        served = new Counted(ReferenceBut((r, io) =>
        {
            SpinWait.SpinUntil(() => served!.Started >= 2, 10_000);
            io.Line(Answer(r));
            return null;
        }, first));
        CheckReport r = Check(served.Serve, new CheckOptions("reference", Count: 8, Jobs: 2, TimeoutMs: 60_000));
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(8, r.NetworksChecked);
        Assert.Equal(2, served.Started);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Random_networks_outside_the_hello_are_skipped_with_the_reason_and_never_asked(int jobs)
    {
        // softmax with cross-entropy alone: a network of one layer is inside, a deeper one needs a
        // hidden activation the hello does not list
        var caps = new Capabilities([Activation.Softmax], [LossKind.SoftmaxCrossEntropy]);
        var asked = new System.Collections.Concurrent.ConcurrentBag<Network>();
        Served softmaxOnly = Script((r, io) =>
        {
            if (r.Network is { } n) asked.Add(n);
            io.Line(r.Op == "hello" ? Hello(r.Id, ["softmax"], ["softmax-cross-entropy"], "\"float64\"") : Answer(r));
            return null;
        });
        CheckReport r = Check(softmaxOnly, new CheckOptions("softmax only", Count: 40, Jobs: jobs));

        string?[] reasons = [.. Enumerable.Range(0, 40).Select(i => BackpropSpec.Oracle.Checking.CheckRun.Outside(NetworkGen.Sample(RunSettings.DefaultSeed, i, 40, caps), caps))];
        int[] outside = [.. Enumerable.Range(0, 40).Where(i => reasons[i] is not null)];
        Assert.True(outside.Length > 5 && outside.Length < 35, $"the seed must draw networks of both kinds for this test to mean anything: {outside.Length} of 40 outside");
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(outside.Length, r.NetworksSkipped);
        Assert.Equal(40 - outside.Length, r.NetworksChecked);
        Assert.Equal(outside.Take(5).Select(i => $"random network {i}: outside the capabilities of its hello (activation identity)"), r.SkipExamples);
        // not one request, not even one sent ahead, for a network outside the hello
        Assert.NotEmpty(asked);
        Assert.All(asked, n => Assert.True(n.Loss == LossKind.SoftmaxCrossEntropy && n.Layers.All(l => l.Activation == Activation.Softmax), n.ToString()));
    }

    [Fact]
    public void An_interrupt_in_the_random_run_drops_the_network_it_cut_short_and_reports_those_before()
    {
        var interrupt = new Interrupt();
        Served stopping = ReferenceBut((r, io) =>
        {
            interrupt.Request("SIGINT", 130);
            return io.Hang();                                          // until the check kills it
        }, GradientsOf(3, 10));
        CheckReport r = Check(stopping, new CheckOptions("stopped", Count: 10), interrupt);
        Assert.Equal("interrupted", r.Verdict);
        Assert.Equal(130, r.ExitCode);
        Assert.Null(r.Broken);                                         // the killed reply is no protocol error
        Assert.True(r.RandomRunStarted);
        // network 2 may still be under judgement when the interrupt comes (its requests were answered
        // before network 3's arrived): it is dropped too, or taken in if it was through
        Assert.InRange(r.RandomJudged, 2, 3);
        Assert.Equal(r.RandomJudged, r.NetworksChecked);
    }
}
