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
/// The whole check against implementations served in this process: the workers of --jobs, the
/// shrinking of a wrong answer and of a broken protocol, an interrupt in the middle of shrinking, the
/// replay line. ZooCheckTests and ProtocolCheckTests show the same through real processes.
/// </summary>
public class InProcessCheckTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_reference_passes_with_any_number_of_workers(int jobs)
    {
        CheckReport r = Check(ReferenceServed, new CheckOptions("reference", Count: 60, Jobs: jobs));
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(60, r.NetworksChecked);
        Assert.Equal(Examples.Names.Count, r.ExamplesChecked);
        Assert.Equal("reference (in process)", r.Implementation);
        Assert.Null(r.Mismatch);
        Assert.Null(r.Broken);
    }

    /// <summary>The network a check fails on was judged: it counts as checked. (A Rust newcomer read "golden examples:
    /// 0 checked, 0 skipped" above "WRONG in golden example 000-one-hidden-unit" as a contradiction.) A network
    /// with a broken protocol was not judged, and does not count.</summary>
    [Fact]
    public void The_network_a_check_fails_on_counts_as_checked()
    {
        CheckReport example = Check(Backprop(new Mutant(Bug.SignFlip)), new CheckOptions("sign-flip", Count: 20));
        Assert.Equal("golden example 000-one-hidden-unit", example.Mismatch!.Where);
        Assert.Equal((1, 0), (example.ExamplesChecked, example.NetworksChecked));
        Assert.Contains("golden examples: 1 checked, 0 skipped\n", example.Text());

        CheckReport random = Check(Backprop(new Mutant(Bug.SignFlip)), new CheckOptions("sign-flip", Count: 20, Replay: "random:7"));
        Assert.Equal("random network 7", random.Mismatch!.Where);
        Assert.Equal(1, random.NetworksChecked);
        Assert.Contains("random networks (seed 20261123, count 20): 1 checked, 0 skipped\n", random.Text());

        CheckReport broken = Check(ReferenceBut((r, io) => { io.Line("not json"); return null; }, FirstGradients), new CheckOptions("garbage", Count: 20));
        Assert.NotNull(broken.Broken);
        Assert.Equal(0, broken.ExamplesChecked);
    }

    [Fact]
    public void A_wrong_answer_is_shrunk_diagnosed_and_given_a_replay_line()
    {
        CheckReport r = Check(Backprop(new Mutant(Bug.SignFlip)), new CheckOptions("sign-flip", Count: 20, TimeoutMs: 4000, Precision: Precision.Float64));
        Mismatch m = Assert.IsType<Mismatch>(r.Mismatch);
        Assert.Equal("golden example 000-one-hidden-unit", m.Where);
        Assert.Equal(Zone.Wrong, m.Verdict.Zone);
        Assert.Equal(Zone.Wrong, m.MinimalVerdict.Zone);
        Assert.True(m.Minimal.ParameterCount <= m.Original.ParameterCount);
        Assert.Equal("shrunk from 000-one-hidden-unit", m.Minimal.Name);
        Assert.Equal([Bug.SignFlip], m.Diagnosis!.Classes);
        Assert.NotNull(m.Table);
        Assert.Null(m.DiagnosisNote);
        Assert.Null(m.PrecisionHint);
        Assert.Empty(m.Causes);
        Assert.Equal("backprop-spec check --impl 'sign-flip' --replay 000-one-hidden-unit --timeout-ms 4000 --precision float64", m.Replay);
    }

    [Fact]
    public void A_wrong_random_network_is_shrunk_to_a_small_one_and_its_replay_names_seed_count_shape_and_strict()
    {
        // no golden example has a softmax output: the mutant is wrong on random networks only
        var options = new CheckOptions("jacobian", Count: 60, Seed: 5, Strict: true, Shape: new NetworkShape([3, 4, 3], 2));
        CheckReport r = Check(Backprop(new Mutant(Bug.SoftmaxJacobianTwice)), options);
        Mismatch m = Assert.IsType<Mismatch>(r.Mismatch);
        Assert.NotNull(m.Index);
        Assert.True(m.ShrinkSteps > 0);
        Assert.True(m.Minimal.ParameterCount < m.Original.ParameterCount, $"{m.Minimal}");
        Assert.Equal($"backprop-spec check --impl 'jacobian' --seed 5 --count 60 --replay random:{m.Index} --shape 3-4-3 --batch 2 --strict", m.Replay);
        Assert.Contains(Bug.SoftmaxJacobianTwice, m.Diagnosis!.Classes);
    }

    [Fact]
    public void A_wrong_answer_that_is_right_when_asked_again_is_called_not_deterministic()
    {
        int gradients = 0;
        Served once = Script((r, io) =>
        {
            IBackprop by = r.Op == "gradients" && Interlocked.Increment(ref gradients) == 1 ? new Mutant(Bug.SignFlip) : new ReferenceBackprop();
            io.Line(Answer(r, by));
            return null;
        });
        Mismatch m = Assert.IsType<Mismatch>(Check(once, new CheckOptions("flaky", Count: 5)).Mismatch);
        Assert.Equal(Zone.Agrees, m.MinimalVerdict.Zone);
        Assert.Equal("(passed when asked again: the implementation is not deterministic)", m.MinimalVerdict.Message);
        Assert.Equal(0, m.ShrinkSteps);
    }

    [Fact]
    public void Float32_answers_judged_as_float64_get_the_precision_hint()
    {
        Mismatch m = Assert.IsType<Mismatch>(Check(Backprop(new TextbookBackprop(Precision.Float32)), new CheckOptions("float32 undeclared", Count: 50)).Mismatch);
        Assert.Equal(Zone.Wrong, m.Verdict.Zone);
        Assert.Equal("judged in float64, where these answers are wrong: a bug, if the implementation computes in float64. " +
                     "Every one of them would be right in float32 arithmetic: if it computes in float32 " +
                     "(float32 arrays or tensors, Math.fround), declare \"precision\": \"float32\" in hello or pass --precision float32", m.PrecisionHint);
    }

    /// <summary>Declines every network with one input: the shrinker meets declined candidates, and
    /// what they leave behind must not spoil the candidates after them, the diagnosis or the hint.</summary>
    static Served DecliningOneInput(IBackprop inner) => Script((r, io) =>
    {
        io.Line(r.Network?.Inputs == 1 ? $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"one input\"}}}}" : Answer(r, inner));
        return null;
    });

    [Fact]
    public void Declined_candidates_while_shrinking_spoil_neither_the_diagnosis_nor_the_hint()
    {
        Mismatch wrong = Assert.IsType<Mismatch>(Check(DecliningOneInput(new Mutant(Bug.SignFlip)), new CheckOptions("sign-flip", Count: 5)).Mismatch);
        Assert.Equal([Bug.SignFlip], wrong.Diagnosis!.Classes);
        Assert.Null(wrong.DiagnosisNote);
        Assert.True(wrong.ShrinkSteps > 1, $"{wrong.ShrinkSteps} steps");
        Assert.Equal(2, wrong.Minimal.Inputs);

        Mismatch float32 = Assert.IsType<Mismatch>(Check(DecliningOneInput(new TextbookBackprop(Precision.Float32)), new CheckOptions("float32", Count: 5)).Mismatch);
        Assert.NotNull(float32.PrecisionHint);
    }

    [Fact]
    public void No_float32_hint_when_the_original_answers_are_wrong_even_in_float32()
    {
        // float32 arithmetic everywhere, and twice the gradient on networks of three layers: the
        // shrunk network of two layers is wrong only by float32's rounding, the original is not
        var doubledOnThree = new Bent(new TextbookBackprop(Precision.Float32));
        var options = new CheckOptions("bent", Count: 1, Replay: "random:0", Shape: new NetworkShape([2, 3, 3, 2], 2));
        Mismatch m = Assert.IsType<Mismatch>(Check(Backprop(doubledOnThree), options).Mismatch);
        Assert.Equal(3, m.Original.Layers.Count);
        Assert.Null(m.PrecisionHint);
    }

    sealed class Bent(IBackprop inner) : IBackprop
    {
        public string Name => "bent";
        public Evaluation Forward(Network n) => inner.Forward(n);
        public Parameters Step(Network n) => inner.Step(n);
        public Gradients Gradients(Network n)
        {
            Gradients g = inner.Gradients(n);
            if (n.Layers.Count < 3) return g;
            return g with { dE_dW = g.dE_dW.Select(w => { var d = (double[,])w.Clone(); for (int j = 0; j < d.GetLength(0); j++) for (int i = 0; i < d.GetLength(1); i++) d[j, i] *= 2; return d; }).ToArray() };
        }
    }

    [Fact]
    public void Float32_answers_whose_probes_are_refused_still_get_the_precision_hint()
    {
        // the hint judges the answers already given; a refused probe of the diagnosis says nothing
        // about them, so it must not leave a fault behind that hides the hint
        Served refuses = Script((r, io) =>
        {
            bool isProbe = r.Network?.Name?.StartsWith("diagnosis probe", StringComparison.Ordinal) == true;
            io.Line(isProbe ? $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"no probes\"}}}}"
                            : Answer(r, new TextbookBackprop(Precision.Float32)));
            return null;
        });
        Mismatch m = Assert.IsType<Mismatch>(Check(refuses, new CheckOptions("float32 refusing probes", Count: 5)).Mismatch);
        Assert.Equal(Zone.Wrong, m.Verdict.Zone);
        Assert.Null(m.Diagnosis);
        Assert.EndsWith("with error code \"internal\": no probes", m.DiagnosisNote);
        Assert.NotNull(m.PrecisionHint);
    }

    /// <summary>The reference on everything but the diagnosis's probes, which it answers with
    /// <paramref name="probe"/> (null: as the reference does).</summary>
    static Served SignFlipAndProbes(Func<Request, string?> probe) => Script((r, io) =>
    {
        bool isProbe = r.Network?.Name?.StartsWith("diagnosis probe", StringComparison.Ordinal) == true;
        io.Line(isProbe && probe(r) is { } line ? line : Answer(r, new Mutant(Bug.SignFlip)));
        return null;
    });

    [Fact]
    public void A_diagnosis_whose_probes_are_refused_says_which_refusal_came_first()
    {
        int probes = 0;
        Served refuses = SignFlipAndProbes(r => Interlocked.Increment(ref probes) switch
        {
            1 => $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"no probes\"}}}}",
            2 => $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"probe failed\"}}}}",
            _ => null,
        });
        Mismatch m = Assert.IsType<Mismatch>(Check(refuses, new CheckOptions("refuses", Count: 5)).Mismatch);
        Assert.Null(m.Diagnosis);
        Assert.StartsWith("could not ask the implementation again: answered `", m.DiagnosisNote);
        Assert.EndsWith("with error code \"internal\": probe failed", m.DiagnosisNote);

        Served declines = SignFlipAndProbes(r => $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"no probes\"}}}}");
        Mismatch d = Assert.IsType<Mismatch>(Check(declines, new CheckOptions("declines", Count: 5)).Mismatch);
        Assert.Equal("could not ask the implementation again: no probes", d.DiagnosisNote);
    }

    [Fact]
    public void An_interrupt_during_the_diagnosis_reports_the_failure_unshrunk()
    {
        var interrupt = new Interrupt();
        Served stops = SignFlipAndProbes(_ => { interrupt.Request("SIGINT", 130); return null; });
        Mismatch m = Assert.IsType<Mismatch>(Check(stops, new CheckOptions("stops", Count: 5), interrupt).Mismatch);
        Assert.Equal("not shrunk or diagnosed: the check was interrupted by SIGINT", m.DiagnosisNote);
        Assert.Null(m.Diagnosis);
    }

    /// <summary>A reply whose loss is a bare NaN (the number it had kept under another name).</summary>
    static string WithNaNLoss(string reply) => reply.Replace("\"loss\":", "\"loss\":NaN,\"was\":", StringComparison.Ordinal);

    [Fact]
    public void Shrinking_a_broken_reply_stops_after_150_candidates()
    {
        Served nan = Script((r, io) =>
        {
            string reply = Answer(r);
            // NaN on every network of 500 parameters or more: most candidates near that edge are not it
            io.Line(r.Op == "gradients" && r.Network!.ParameterCount >= 500 ? WithNaNLoss(reply) : reply);
            return null;
        });
        var options = new CheckOptions("nan", Count: 1, Replay: "random:0", Shape: new NetworkShape([20, 30, 30, 10], 10));
        Broken b = Assert.IsType<Broken>(Check(nan, options).Broken);
        Assert.Equal("shrinking stopped after 150 candidates", b.Note);
        Assert.Same(b.Minimal, b.Fault.Network);
        Assert.True(b.ShrinkSteps > 0);
    }

    [Fact]
    public void The_shrink_budget_gives_exactly_its_limit_and_is_exhausted_only_by_a_refusal()
    {
        var budget = new Checker.Budget(150);
        for (int i = 1; i <= 150; i++)
        {
            Assert.True(budget.Take(), $"candidate {i}");
            Assert.False(budget.Exhausted);
        }
        Assert.Equal(150, budget.Taken);
        Assert.False(budget.Take());
        Assert.True(budget.Exhausted);
        Assert.Equal(150, budget.Taken);
    }

    [Theory]
    [InlineData("a NaN loss")]
    [InlineData("an error reply")]
    public void A_candidate_out_of_the_textbooks_range_is_not_the_same_fault(string fault)
    {
        // random network 13 of 60 (shape 6-8-2, batch 2): a sigmoid hidden layer, a softmax output. Its
        // candidate with the hidden layer linear sends nets past e^709 into the softmax: out of range, so
        // a NaN or an error reply there is a range finding, not the fault the original got. The
        // implementation answers so on every network with the original's weights (whatever the
        // activations): the linear candidate too.
        var shape = new NetworkShape([6, 8, 2], 2);
        Network original = NetworkGen.Sample(RunSettings.DefaultSeed, 13, 60, null, shape);
        Network linear = NetworkGen.Shrink(original).First(c => c.Layers.Count == 2 && c.Layers[0].Activation == Activation.Identity
                                                               && c.Layers[0].B is not null && c.BatchSize == 2);
        Assert.Equal(Activation.Sigmoid, original.Layers[0].Activation);
        Assert.False(Truth.For(original, Precision.Float64).OutOfRange);
        Assert.True(Truth.For(linear, Precision.Float64).OutOfRange);
        static bool SameWeights(Network a, Network b) =>
            a.Layers.Count == b.Layers.Count && a.Layers.Zip(b.Layers).All(p => p.First.W.Cast<double>().SequenceEqual(p.Second.W.Cast<double>()));
        Served nan = Script((r, io) =>
        {
            string reply = Answer(r);
            string broken = fault == "a NaN loss" ? WithNaNLoss(reply)
                          : $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"overflow\"}}}}";
            io.Line(r.Op == "gradients" && SameWeights(r.Network!, original) ? broken : reply);
            return null;
        });
        Broken b = Assert.IsType<Broken>(Check(nan, new CheckOptions("nan", Count: 60, Replay: "random:13", Shape: shape)).Broken);
        Assert.Equal(fault == "a NaN loss" ? ProtocolFailure.NonFinite : ProtocolFailure.ErrorReply, b.Fault.Kind);
        Assert.Equal(original.ToString(), b.Original?.ToString());
        // the minimal network is one the textbook can represent, and its hidden layer is still the sigmoid
        Assert.False(Truth.For(b.Minimal!, Precision.Float64).OutOfRange, $"{b.Minimal}");
        Assert.Equal(Activation.Sigmoid, b.Minimal!.Layers[0].Activation);
    }

    [Fact]
    public void A_candidate_out_of_range_whose_fault_came_from_its_half_in_range_is_the_same_fault()
    {
        // The range test asks about the network the fault came from, not the candidate. Random network 13
        // of 60 (shape 6-8-2, batch 2) has a candidate with its hidden layer linear that is out of the
        // textbook's range in one example only: its other half is in range. The implementation sends an
        // error reply for the original and for that half, and answers as the reference elsewhere: the
        // candidate's own answers are right, and it fails through its half (the batch law asks for it),
        // an error where the textbook can represent everything: the same fault, so the shrink takes it.
        var shape = new NetworkShape([6, 8, 2], 2);
        Network original = NetworkGen.Sample(RunSettings.DefaultSeed, 13, 60, null, shape);
        Network linear = NetworkGen.Shrink(original).First(c => c.Layers.Count == 2 && c.Layers[0].Activation == Activation.Identity
                                                               && c.Layers[0].B is not null && c.BatchSize == 2);
        Assert.False(Truth.For(original, Precision.Float64).OutOfRange);
        Assert.True(Truth.For(linear, Precision.Float64).OutOfRange);
        Network half = Assert.Single(Derived.Halves(linear), h => !Truth.For(h, Precision.Float64).OutOfRange);
        Served breaks = Script((r, io) =>
        {
            bool broken = r.Op == "gradients" && (Same(r.Network!, original) || Same(r.Network!, half));
            io.Line(broken ? $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"broken\"}}}}" : Answer(r));
            return null;
        });
        Broken b = Assert.IsType<Broken>(Check(breaks, new CheckOptions("breaks", Count: 60, Replay: "random:13", Shape: shape)).Broken);
        Assert.Equal(ProtocolFailure.ErrorReply, b.Fault.Kind);
        Assert.True(b.ShrinkSteps >= 1, "the candidate with the linear hidden layer was not taken");
        Assert.Equal(Activation.Identity, b.Minimal!.Layers[0].Activation);
        Assert.False(Truth.For(b.Fault.Network!, Precision.Float64).OutOfRange, $"{b.Fault.Network}");
    }

    /// <summary>The same layers, batch and loss (the name aside).</summary>
    static bool Same(Network a, Network b) =>
        a.Loss == b.Loss && a.Inputs == b.Inputs && a.Layers.Count == b.Layers.Count
        && a.Layers.Zip(b.Layers).All(p => p.First.Activation == p.Second.Activation && p.First.Bias == p.Second.Bias
                                          && p.First.W.Cast<double>().SequenceEqual(p.Second.W.Cast<double>())
                                          && (p.First.B ?? []).SequenceEqual(p.Second.B ?? []))
        && a.BatchSize == b.BatchSize && a.X.Zip(b.X).All(p => p.First.SequenceEqual(p.Second)) && a.T.Zip(b.T).All(p => p.First.SequenceEqual(p.Second));

    [Fact]
    public void A_shrink_that_ends_within_the_budget_has_no_note()
    {
        // NaN only on the one network checked: none of its candidates fails, so the shrink ends after
        // trying each of them once (fewer than 150), the network unchanged and nothing to note
        string? first = null;
        Served once = Script((r, io) =>
        {
            string reply = Answer(r);
            if (r.Op == "gradients") Interlocked.CompareExchange(ref first, r.Network!.ToString(), null);
            io.Line(r.Op == "gradients" && r.Network!.ToString() == first ? WithNaNLoss(reply) : reply);
            return null;
        });
        var options = new CheckOptions("nan once", Count: 1, Replay: "random:0", Shape: new NetworkShape([2, 3, 1], 1));
        Broken b = Assert.IsType<Broken>(Check(once, options).Broken);
        Assert.Equal("", b.Note);
        Assert.Equal(0, b.ShrinkSteps);
        Assert.Equal(first, b.Minimal!.ToString());
    }

    [Fact]
    public void A_strict_accuracy_failure_names_its_causes_and_is_not_diagnosed()
    {
        Mismatch m = Assert.IsType<Mismatch>(Check(Backprop(new TextbookBackprop(Precision.Float64)), new CheckOptions("textbook", Count: 400, Strict: true)).Mismatch);
        Assert.Equal(Zone.Accuracy, m.Verdict.Zone);
        Assert.NotEmpty(m.Causes);
        Assert.Null(m.Diagnosis);
        Assert.Null(m.PrecisionHint);
    }

    [Fact]
    public void A_diagnosis_that_cannot_ask_again_says_why()
    {
        // wrong, then broken for good once the shrinking is over: the diagnosis cannot ask
        int gradients = 0;
        Served breaks = Script((r, io) =>
        {
            if (r.Op == "gradients" && Interlocked.Increment(ref gradients) > 2) { io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"out of memory\"}}}}"); return null; }
            io.Line(Answer(r, new Mutant(Bug.SignFlip)));
            return null;
        });
        Mismatch m = Assert.IsType<Mismatch>(Check(breaks, new CheckOptions("tired", Count: 5)).Mismatch);
        Assert.Null(m.Diagnosis);
        Assert.Equal("could not ask the implementation again: answered `gradients` (id 11) with error code \"internal\": out of memory", m.DiagnosisNote);
    }

    [Fact]
    public void A_non_finite_reply_is_shrunk_to_a_small_network_that_still_gets_one()
    {
        // NaN on every network with a tanh layer: the shrunk one keeps a tanh layer and little else
        Served nanOnTanh = Script((r, io) =>
        {
            string reply = Answer(r);
            bool tanh = r.Network?.Layers.Any(l => l.Activation == Activation.Tanh) == true;
            io.Line(tanh && r.Op == "gradients" ? WithNaNLoss(reply) : reply);
            return null;
        });
        CheckReport r = Check(nanOnTanh, new CheckOptions("nan on tanh", Count: 100, Seed: 3, Shape: new NetworkShape([3, 4, 2])));
        Broken b = Assert.IsType<Broken>(r.Broken);
        Assert.Equal("non-finite", b.Fault.KindName);
        Network min = Assert.IsType<Network>(b.Minimal);
        Assert.Contains(min.Layers, l => l.Activation == Activation.Tanh);
        Assert.True(b.ShrinkSteps > 0);
        Assert.True(min.ParameterCount < b.Original!.ParameterCount, $"{min}");
        Assert.Same(min, b.Fault.Network);                             // the fault reported is the minimal network's
        Assert.Equal("", b.Note);
        Assert.Equal($"backprop-spec check --impl 'nan on tanh' --seed 3 --count 100 --replay random:{b.Index} --shape 3-4-2", b.Replay);
    }

    [Theory]
    [InlineData(false, "not shrunk: every candidate would restart the implementation", "crash")]
    [InlineData(true, "not shrunk: every candidate would cost a timeout", "hang")]
    public void A_crash_or_a_hang_is_not_shrunk(bool hang, string note, string kind)
    {
        Served breaks = ReferenceBut((_, io) => hang ? io.Hang() : 9, FirstGradients);
        CheckReport r = Check(breaks, new CheckOptions("breaks", Count: 5, TimeoutMs: 300));
        Broken b = Assert.IsType<Broken>(r.Broken);
        Assert.Equal(kind, b.Fault.KindName);
        Assert.Equal(note, b.Note);
        Assert.Equal(0, b.ShrinkSteps);
        Assert.Null(b.Minimal);
        Assert.Equal("backprop-spec check --impl 'breaks' --replay 000-one-hidden-unit --timeout-ms 300", b.Replay);
    }

    [Fact]
    public void An_interrupt_while_shrinking_a_broken_reply_reports_it_unshrunk()
    {
        var interrupt = new Interrupt();
        int faults = 0;
        Served nan = Script((r, io) =>
        {
            if (r.Op != "gradients") { io.Line(Answer(r)); return null; }
            if (Interlocked.Increment(ref faults) == 3) interrupt.Request("SIGINT", 130);
            io.Line(WithNaNLoss(Answer(r)));
            return null;
        });
        CheckReport r = Check(nan, new CheckOptions("nan", Count: 5), interrupt);
        Broken b = Assert.IsType<Broken>(r.Broken);
        Assert.Equal("not shrunk: the check was interrupted by SIGINT", b.Note);
        Assert.Null(b.Minimal);
        Assert.Equal("backprop-spec check --impl 'nan' --replay 000-one-hidden-unit", b.Replay);
        Assert.Equal("SIGINT", r.Interrupted!.Signal);
    }

    [Fact]
    public void An_interrupt_while_shrinking_a_wrong_answer_reports_it_unshrunk()
    {
        var interrupt = new Interrupt();
        int gradients = 0;
        Served wrong = Script((r, io) =>
        {
            if (r.Op == "gradients" && Interlocked.Increment(ref gradients) == 3) interrupt.Request("SIGTERM", 143);
            io.Line(Answer(r, new Mutant(Bug.SignFlip)));
            return null;
        });
        Mismatch m = Assert.IsType<Mismatch>(Check(wrong, new CheckOptions("wrong", Count: 5), interrupt).Mismatch);
        Assert.Equal("not shrunk or diagnosed: the check was interrupted by SIGTERM", m.DiagnosisNote);
        Assert.Same(m.Original, m.Minimal);
        Assert.Equal(0, m.ShrinkSteps);
        Assert.Null(m.Diagnosis);
    }
}
