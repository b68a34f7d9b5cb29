using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The report's summaries, finding by finding (<see cref="Tallies"/>): the digits an answer lost
/// against careful arithmetic, the worst finding of each cause kept, every network counted once, and
/// the cause a finding is filed under.
/// </summary>
public class TalliesTests
{
    static readonly Cause SigmoidCause = new("sigmoid-derivative-from-out", "sigma' as out*(1 - out)", "layers[0]", "sigma(net)*sigma(-net)");
    static readonly Cause TanhCause = new("tanh-derivative-from-out", "tanh' as 1 - out^2", "layers[1]", "1/cosh^2");

    /// <summary>A loss answer of relative error 10^-<paramref name="digits"/> around 2.0, with a
    /// careful bound of 2·10^-15 (careful arithmetic keeps 15 digits).</summary>
    static Finding Loss(double digits, double exact = 2.0, double careful = 2e-15) =>
        new(Zone.Accuracy, "loss", exact + Math.Abs(exact) * Math.Pow(10, -digits), exact, careful, 1e-6) { On = AnswerKind.Loss };

    [Theory]
    [InlineData(2.0, 2e-15, 15.0)]          // −log10(careful / |exact|)
    [InlineData(-2.0, 2e-15, 15.0)]         // of the magnitude
    [InlineData(2.0, 2e-11, 11.0)]
    [InlineData(2.0, 4.0, 0.0)]             // a bound wider than the value keeps no digit, not fewer
    public void Careful_digits_are_the_digits_the_careful_bound_leaves(double exact, double careful, double digits) =>
        Assert.Equal(digits, Tallies.CarefulDigits(Loss(12, exact, careful), Precision.Float64), 9);

    [Theory]
    [InlineData(Precision.Float64, 15.95)]   // −log10(2^-53)
    [InlineData(Precision.Float32, 7.22)]    // −log10(2^-24)
    public void Careful_digits_are_at_most_the_precisions_own_and_all_of_them_where_the_exact_value_or_the_bound_is_zero(Precision p, double most)
    {
        Assert.Equal(most, Tallies.CarefulDigits(Loss(12, 2.0, 1e-30), p), 2);                 // clamped
        Assert.Equal(most, Tallies.CarefulDigits(Loss(12, 2.0, 0), p), 2);                     // no bound: every digit
        Assert.Equal(most, Tallies.CarefulDigits(new Finding(Zone.Accuracy, "loss", 1e-9, 0, 1e-12, 1e-6), p), 2);   // exact 0
    }

    [Fact]
    public void The_worst_finding_of_a_cause_is_the_one_that_lost_the_most_digits_and_every_network_counts_once()
    {
        var into = new List<FindingSummary>();
        int replays = 0;
        void Take(string where, Finding f, Cause c) => Tallies.Summarise(into, where, f, c, Precision.Float64, () => $"replay {where} {++replays}");

        Take("random network 1", Loss(12), SigmoidCause);       // 3 digits lost
        Take("random network 1", Loss(13), SigmoidCause);       // the same network again, fewer lost
        Take("random network 2", Loss(9), SigmoidCause);        // 6 lost: the worst
        Take("random network 3", Loss(14), SigmoidCause);       // 1 lost
        Take("random network 3", Loss(10), TanhCause);          // another cause: its own summary

        Assert.Equal(["sigmoid-derivative-from-out", "tanh-derivative-from-out"], into.Select(s => s.Key));
        FindingSummary sigmoid = into[0], tanh = into[1];
        Assert.Equal(3, sigmoid.Networks);
        Assert.Equal(6, sigmoid.DigitsLost, 6);
        Assert.Equal("random network 2", sigmoid.WorstNetwork);
        Assert.Equal(9, sigmoid.Worst.Digits, 6);
        Assert.Equal("layers[0]", sigmoid.WorstWhere);
        Assert.Equal("replay random network 2 2", sigmoid.Replay);      // written when kept, not for every finding
        Assert.Equal((Zone.Accuracy, "sigma' as out*(1 - out)", "sigma(net)*sigma(-net)"), (sigmoid.Zone, sigmoid.Operation, sigmoid.Fix));

        Assert.Equal(1, tanh.Networks);
        Assert.Equal(5, tanh.DigitsLost, 6);
        Assert.Equal("random network 3", tanh.WorstNetwork);
        Assert.Equal("replay random network 3 3", tanh.Replay);
    }

    [Fact]
    public void Of_findings_that_lost_as_many_digits_the_first_stays_the_worst()
    {
        var into = new List<FindingSummary>();
        Tallies.Summarise(into, "random network 4", Loss(11), SigmoidCause, Precision.Float64, () => "replay 4");
        Tallies.Summarise(into, "random network 9", Loss(11), SigmoidCause, Precision.Float64, () => "replay 9");
        FindingSummary s = Assert.Single(into);
        Assert.Equal(2, s.Networks);
        Assert.Equal(("random network 4", "replay 4"), (s.WorstNetwork, s.Replay));   // the replay the report prints is of the first
    }

    [Fact]
    public void A_finding_more_accurate_than_the_careful_bound_lost_no_digits()
    {
        var into = new List<FindingSummary>();
        Tallies.Summarise(into, "random network 0", Loss(15.5), SigmoidCause, Precision.Float64, () => null);
        Assert.Equal(0, Assert.Single(into).DigitsLost);
    }

    [Fact]
    public void A_finding_on_a_law_between_answers_has_no_cause_of_its_own()
    {
        Truth truth = Truth.For(Examples.Load("000"));
        Assert.False(truth.OutOfRange);
        var slope = new Finding(Zone.Accuracy, "descent slope", 1.0 + 1e-12, 1.0, 1e-15, 1e-9) { On = AnswerKind.Other };
        Cause c = Tallies.CauseOf(truth, slope);
        Assert.Equal(("unexplained", "rounding beyond careful arithmetic", "-", "careful formulations"), (c.Key, c.Operation, c.Where, c.Fix));
    }

    /// <summary>Two examples through a tanh unit and a sigmoid output under binary cross-entropy, in float32:
    /// in the first (x = 1) the tanh's net is 50 and tanh from exponentials overflows (e^100); in the second
    /// (x = 0.01, net 0.5, z = 70·tanh(0.5) = 32.4) ln(1 − o) of the cross-entropy from probabilities may
    /// be ln 0. The pass meets the tanh first, but a range finding is filed under the commoner textbook
    /// form, the loss from probabilities (random:1890 of seed 7 was once filed under tanh).</summary>
    [Fact]
    public void A_range_finding_is_filed_under_the_commonest_formulation_that_cannot_represent_the_network()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 50.0 } }, null, BiasMode.None),
                new Layer(Activation.Sigmoid, new[,] { { 70.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.0], [0.01]], [[1.0], [0.0]]);
        Truth truth = Truth.For(n, Precision.Float32);
        Assert.Equal(Formulation.TanhFromExponentials, truth.Textbook.Range[0].By);
        Assert.Equal(("ln-of-zero", "output 0, example 1"), (truth.RangeCause.Kind, truth.RangeCause.Where));
        var loss = new Finding(Zone.Range, "loss", double.NaN, 1.0, 1e-7, double.PositiveInfinity) { On = AnswerKind.Loss };
        Assert.Equal(new Cause("ln-of-zero", truth.RangeCause.Reason, "output 0, example 1", Tallies.RangeFix), Tallies.CauseOf(truth, loss));
    }

    /// <summary>One sigmoid output under binary cross-entropy, in float64: in one example z = −800 and ln o of the
    /// loss from probabilities may be ln 0; in the other z = 710 and σ = e^z/(1 + e^z) overflows. The network is
    /// filed under the loss from probabilities, the commoner form; but the output at 710, which no loss touches,
    /// only the overflowing σ cannot represent: a range finding on it is filed there, with that form's fix, in
    /// either order of the examples (an output of index 0 too). The loss, which both forms lose, stays with the
    /// commoner one, and so does a finding on no single answer (no index, or Other with an index).</summary>
    [Theory]
    [InlineData(-800.0, 710.0)]
    [InlineData(710.0, -800.0)]
    public void A_range_finding_on_one_answer_is_filed_under_the_commonest_formulation_that_cannot_represent_that_answer(double x0, double x1)
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[x0], [x1]], [[1.0], [1.0]]);
        int over = x0 > 0 ? 0 : 1;
        Truth truth = Truth.For(n);
        Assert.Equal(Formulation.LossesFromProbabilities, truth.RangeCause.By);
        RangeIssue overflow = Assert.Single(truth.Textbook.Range, r => r.By == Formulation.SigmoidFromExponentials);
        Assert.Equal(double.PositiveInfinity, truth.Textbook.Outputs[over][0]);
        Assert.True(double.IsFinite(truth.Textbook.Outputs[1 - over][0]));

        var output = new Finding(Zone.Range, $"outputs[{over}][0]", double.NaN, 1.0, 1e-16, double.PositiveInfinity) { On = AnswerKind.Output, Index = over };
        Assert.Equal(overflow, Causes.RangeIssueOf(truth, output));
        Assert.Equal(new Cause("sigmoid-exp-overflow", overflow.Reason, overflow.Where, Tallies.FixFor(overflow)), Tallies.CauseOf(truth, output));
        var loss = new Finding(Zone.Range, "loss", double.NaN, 800.0, 1e-13, double.PositiveInfinity) { On = AnswerKind.Loss, Index = 0 };
        Assert.Equal(truth.RangeCause, Causes.RangeIssueOf(truth, loss));
        Assert.Equal(truth.RangeCause, Causes.RangeIssueOf(truth, output with { Index = -1 }));
        Assert.Equal(truth.RangeCause, Causes.RangeIssueOf(truth, output with { On = AnswerKind.Other }));
    }

    /// <summary>Each range issue's standard fix is the overflow-free form of what overflows.</summary>
    [Fact]
    public void A_range_issue_s_fix_names_the_form_that_does_not_overflow()
    {
        static string Fix(Formulation by) => Tallies.FixFor(new RangeIssue("w", "r", "k", by));
        Assert.Equal("the library's tanh(net), or decline with `unsupported`", Fix(Formulation.TanhFromExponentials));
        Assert.Equal("sigma(net) = 1/(1 + e^-net), sigma'(net) = sigma(net)*sigma(-net), or decline with `unsupported`", Fix(Formulation.SigmoidFromExponentials));
        Assert.Equal("compute from the logits, shift the softmax, or decline with `unsupported`", Fix(Formulation.LossesFromProbabilities));
        Assert.Equal(Tallies.RangeFix, Fix(Formulation.UnshiftedSoftmax));
        Assert.Equal(Tallies.RangeFix, Fix(Formulation.Careful));
    }

    [Fact]
    public void A_range_finding_on_a_network_out_of_range_is_filed_under_its_range_cause()
    {
        Network n = Enumerable.Range(0, 300).Select(i => NetworkGen.Sample(RunSettings.DefaultSeed, i, 300)).First(x => Truth.For(x, Precision.Float32).OutOfRange);
        Truth truth = Truth.For(n, Precision.Float32);
        RangeIssue issue = truth.RangeCause;
        var loss = new Finding(Zone.Range, "loss", double.PositiveInfinity, 1.0, 1e-7, double.PositiveInfinity) { On = AnswerKind.Loss };
        Assert.Equal(new Cause(issue.Kind, issue.Reason, issue.Where, Tallies.FixFor(issue)), Tallies.CauseOf(truth, loss));
        // an accuracy finding on the same network is not a range one: it is explained as rounding
        Assert.NotEqual(issue.Kind, Tallies.CauseOf(truth, loss with { Zone = Zone.Accuracy, Actual = 1.0 + 1e-5, Textbook = 1e-3 }).Key);
    }
}
