using System.Text.RegularExpressions;
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
/// How `check` turns what it finds into the report's accuracy and range summaries, with
/// implementations served in process: where the textbook formulations cannot represent an answer, an
/// error reply, a non-finite number or a number off the exact value is a range finding under the
/// range issue's cause (not a broken protocol, not wrong); a law's finding takes the cause of the
/// answers it combines; and, finding by finding (<see cref="Tallies"/>), the worst of a cause is the
/// one that lost the most digits.
/// </summary>
public class InProcessFindingsTests
{
    const int Count = 300;

    /// <summary>The networks of a check at the default seed (examples, then random ones) that are
    /// out of float32's range for the textbook formulations, with the first range issue of each.</summary>
    static (string Where, RangeIssue Issue, Network Network)[] OutOfFloat32Range() => outOfFloat32Range.Value;
    static readonly Lazy<(string Where, RangeIssue Issue, Network Network)[]> outOfFloat32Range = new(FindOutOfFloat32Range);

    static (string Where, RangeIssue Issue, Network Network)[] FindOutOfFloat32Range()
    {
        var all = Examples.Names.Select(e => ($"golden example {e}", Examples.Load(e)))
            .Concat(Enumerable.Range(0, Count).Select(i => ($"random network {i}", NetworkGen.Sample(RunSettings.DefaultSeed, i, Count))));
        var found = all.Select(x => (x.Item1, Truth: Truth.For(x.Item2, Precision.Float32))).Where(x => x.Truth.OutOfRange)
                       .Select(x => (x.Item1, x.Truth.RangeCause, x.Truth.Network)).ToArray();
        // the default seed draws networks of several range kinds for this test to mean anything
        Assert.True(found.Select(x => x.Item2.Kind).Distinct().Count() >= 3, string.Join(", ", found.Select(x => x.Item2.Kind)));
        return found;
    }

    static bool OutOfFloat32Range(Request r) => r.Network is { } n && Truth.For(n, Precision.Float32).OutOfRange;

    /// <summary>One summary per range kind, counting its networks, with one of them as its case.</summary>
    static void AssertRangeSummaries(CheckReport r, (string Where, RangeIssue Issue, Network Network)[] expected, Action<FindingSummary> each)
    {
        Assert.True("pass" == r.Verdict, r.Text());
        Assert.True(expected.Length == r.NetworksWithRange, string.Join(", ", expected.Select(x => x.Where)) + "\n" + r.Text());
        Assert.Equal(0, r.NetworksWithAccuracy);
        Assert.Empty(r.Accuracy);
        Assert.Equal(expected.Select(x => x.Issue.Kind).Distinct(), r.Range.Select(s => s.Key));
        foreach (FindingSummary s in r.Range)
        {
            var mine = expected.Where(x => x.Issue.Kind == s.Key).ToArray();
            Assert.Equal(Zone.Range, s.Zone);
            Assert.Equal(mine.Length, s.Networks);
            Assert.Contains(s.WorstNetwork, mine.Select(x => x.Where));
            Assert.Equal(mine[0].Issue.Reason, s.Operation);
            Assert.Equal(Tallies.FixFor(mine[0].Issue), s.Fix);
            each(s);
        }
    }

    [Fact]
    public void An_error_reply_where_the_textbook_cannot_represent_an_answer_is_a_range_finding_under_the_range_cause()
    {
        var expected = OutOfFloat32Range();
        Served overflowing = ReferenceBut((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"overflow\",\"message\":\"exp overflowed (id {r.Id})\"}}}}");
            return null;
        }, OutOfFloat32Range);
        CheckReport r = Check(overflowing, new CheckOptions("overflowing", Count: Count, Precision: Precision.Float32));
        AssertRangeSummaries(r, expected, s =>
        {
            // an answer that is no number loses every digit: the first network of its kind is the case
            var first = expected.First(x => x.Issue.Kind == s.Key);
            Assert.Equal(first.Where, s.WorstNetwork);
            Assert.Equal(first.Issue.Where, s.WorstWhere);
            // the request id is cut from the message: ids depend on the workers, the report must not
            Assert.Equal("an error reply: answered `gradients` with error code \"overflow\": exp overflowed", s.Worst.Note);
            Assert.Equal(s.Worst.Note, s.Worst.Describe());               // the line the report prints: the sentence alone
        });
    }

    /// <summary>
    /// Declining a network with `unsupported` skips it (PROTOCOL.md), and where some standard formulation cannot
    /// represent an answer that is what the range findings' fixes recommend: such networks are counted apart
    /// (JSON declinedOutOfRange), and their reasons name the range issue, so that a user reading the skipped
    /// count can tell the declines that leave a gap in the check (a network every formulation can represent)
    /// from those that do not. Here in float32, declining the networks out of range, the ones with one input
    /// that are in range, or both.
    /// </summary>
    [Fact]
    public void Declines_out_of_the_textbook_range_are_counted_apart_from_the_skipped_networks_in_range()
    {
        static string Decline(Request r) => $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unsupported\",\"message\":\"not finite (id {r.Id})\"}}}}";
        static bool OneInputInRange(Request r) => r.Network is { Inputs: 1 } && !OutOfFloat32Range(r);
        CheckReport Declining(Func<Request, bool> picks) =>
            Check(ReferenceBut((r, io) => { io.Line(Decline(r)); return null; }, picks), new CheckOptions("declining", Count: Count, Precision: Precision.Float32));

        CheckReport outOfRange = Declining(OutOfFloat32Range);
        int randomOutOfRange = OutOfFloat32Range().Count(x => x.Where.StartsWith("random", StringComparison.Ordinal));
        Assert.Equal("pass", outOfRange.Verdict);
        Assert.Equal(0, outOfRange.NetworksWithRange);
        Assert.True(outOfRange.NetworksSkipped >= randomOutOfRange && randomOutOfRange > 0, $"{outOfRange.NetworksSkipped} of {randomOutOfRange}");
        Assert.Equal(outOfRange.NetworksSkipped, outOfRange.NetworksDeclinedOutOfRange);
        Assert.Contains($"{outOfRange.NetworksSkipped} skipped (each declined where a standard formulation cannot represent some answer, as the range fixes recommend)", outOfRange.Text());
        Assert.All(outOfRange.SkipExamples, x => Assert.Matches(@"^random network \d+: declined by the implementation \(unsupported\): not finite \(id \d+\); a standard formulation cannot represent some answer here \(.+\)$", x));

        CheckReport inRange = Declining(OneInputInRange);
        Assert.True(inRange.NetworksSkipped > 0);
        Assert.Equal(0, inRange.NetworksDeclinedOutOfRange);
        Assert.Contains($"{inRange.NetworksSkipped} skipped:\n", inRange.Text());
        Assert.All(inRange.SkipExamples, x => Assert.DoesNotContain("cannot represent", x));

        CheckReport both = Declining(r => OutOfFloat32Range(r) || OneInputInRange(r));
        Assert.Equal(outOfRange.NetworksDeclinedOutOfRange, both.NetworksDeclinedOutOfRange);
        Assert.True(both.NetworksSkipped > both.NetworksDeclinedOutOfRange);
        Assert.Contains($"{both.NetworksSkipped} skipped ({both.NetworksDeclinedOutOfRange} of them declined where a standard formulation cannot represent some answer, as the range fixes recommend)", both.Text());
        using var json = System.Text.Json.JsonDocument.Parse(both.Json());
        Assert.Equal(both.NetworksDeclinedOutOfRange, json.RootElement.GetProperty("counts").GetProperty("declinedOutOfRange").GetInt32());
    }

    [Fact]
    public void A_non_finite_answer_where_the_textbook_cannot_represent_one_is_a_range_finding_named_non_finite()
    {
        var expected = OutOfFloat32Range();
        Served nulls = ReferenceBut((r, io) =>
        {
            // JSON.stringify's NaN: the loss (forward, gradients) or the first weight (step) as null
            string line = Answer(r);
            io.Line(r.Op == "step" ? Regex.Replace(line, "(\"weights\":\\[\\[)[^,\\]]+", "${1}null") : Regex.Replace(line, "(\"loss\":)[^,}]+", "${1}null"));
            return null;
        }, OutOfFloat32Range);
        CheckReport r = Check(nulls, new CheckOptions("nulls", Count: Count, Precision: Precision.Float32));
        AssertRangeSummaries(r, expected, s =>
        {
            Assert.Equal(expected.First(x => x.Issue.Kind == s.Key).Where, s.WorstNetwork);
            Assert.Equal("a non-finite number: the reply to `gradients`: loss: null where a number belongs (JavaScript's JSON.stringify writes NaN and Infinity as null)", s.Worst.Note);
        });
    }

    /// <summary>The reference's answers with the loss moved far (a thousand careful bounds, and twice
    /// the in-range bound) off the exact value on the networks out of float32's range where the textbook cannot bound the loss (not
    /// where only the backward pass overflows, as σ′ from exponentials does), and exact elsewhere.</summary>
    sealed class LossOffOutOfRange : IBackprop
    {
        readonly ReferenceBackprop r = new();
        public string Name => "loss off out of range";
        static double Off(Network n, double loss)
        {
            if (!LossUnbounded(n)) return loss;
            // beyond the bound of the formulations that stay in range too (twice it), or it would be an
            // accuracy finding of theirs (Truth.InRange)
            Truth t = Truth.For(n, Precision.Float32);
            return t.Exact.Loss + 1000 * t.Careful.Loss + (double.IsFinite(t.InRange.Loss) ? 2 * t.InRange.Loss : 0);
        }
        public static bool LossUnbounded(Network n) => Truth.For(n, Precision.Float32) is { OutOfRange: true } t && double.IsInfinity(t.Textbook.Loss);
        public Evaluation Forward(Network n) { Evaluation e = r.Forward(n); return e with { Loss = Off(n, e.Loss) }; }
        public Gradients Gradients(Network n) { Gradients g = r.Gradients(n); return g with { Loss = Off(n, g.Loss) }; }
        public Parameters Step(Network n) => r.Step(n);
    }

    [Fact]
    public void A_number_off_the_exact_value_where_the_textbook_cannot_represent_one_is_a_range_finding_not_wrong()
    {
        var expected = OutOfFloat32Range().Where(x => LossOffOutOfRange.LossUnbounded(x.Network)).ToArray();
        Assert.True(expected.Length < OutOfFloat32Range().Length, "some networks are out of range in the backward pass alone");
        CheckReport r = Check(Backprop(new LossOffOutOfRange()), new CheckOptions("loss off", Count: Count, Precision: Precision.Float32));
        AssertRangeSummaries(r, expected, s =>
        {
            Assert.Equal("loss", s.Worst.Quantity);
            Assert.True(s.Worst.Actual > s.Worst.Exact + 100 * s.Worst.Careful, s.Worst.Describe());
        });
    }

    /// <summary>On the networks out of float32's range, the reference's answers with the first output
    /// off its exact value by half-way between the careful and the textbook bound (an accuracy finding,
    /// where that bound is finite), and each weight the textbook cannot bound the gradient of moved by
    /// the step far beyond its careful bound (a range finding of a law: the step is not a judged answer).</summary>
    sealed class OutputRoundedStepOffOutOfRange : IBackprop
    {
        readonly ReferenceBackprop r = new();
        public string Name => "output rounded, step off, out of range";
        static Truth? OutOfRange(Network n) => Truth.For(n, Precision.Float32) is { OutOfRange: true } t ? t : null;

        static double[][] Off(Network n, double[][] outputs)
        {
            if (OutOfRange(n) is not { } t || !double.IsFinite(t.Textbook.Outputs[0][0])) return outputs;
            double[][] o = outputs.Select(row => row.ToArray()).ToArray();
            o[0][0] = t.Exact.Outputs[0][0] + (t.Careful.Outputs[0][0] + t.Textbook.Outputs[0][0]) / 2;
            return o;
        }

        public Evaluation Forward(Network n) { Evaluation e = r.Forward(n); return e with { Outputs = Off(n, e.Outputs) }; }
        public Gradients Gradients(Network n) { Gradients g = r.Gradients(n); return g with { Outputs = Off(n, g.Outputs) }; }

        public Parameters Step(Network n)
        {
            Parameters p = r.Step(n);
            if (OutOfRange(n) is not { } t) return p;
            int k = 0;                                                  // ParameterIndex order: each layer's weights, then its biases
            for (int l = 0; l < p.W.Length; l++)
            {
                for (int j = 0; j < p.W[l].GetLength(0); j++)
                    for (int i = 0; i < p.W[l].GetLength(1); i++, k++)
                        if (double.IsInfinity(t.Textbook.Gradient[k])) p.W[l][j, i] += Far(n, t, k, n.Layers[l].W[j, i]);
                k += p.B[l]?.Length ?? 0;
            }
            return p;
        }

        /// <summary>Ten times the bound of the step of parameter k (Properties.StepUsesOriginalWeights) in float32
        /// (ε = 2u), and a thousandth more, with the gradient's bound made an absolute move: the bound of the
        /// formulations that can represent the network where it is finite (within it the step is an accuracy
        /// finding, <see cref="Truth.InRange"/>), else the careful one.</summary>
        static double Far(Network n, Truth t, int k, double w)
        {
            double step = n.LearningRate * Math.Abs(t.Exact.Gradient[k]);
            double gradient = double.IsFinite(t.InRange.Gradient[k]) ? t.InRange.Gradient[k] : t.Careful.Gradient[k];
            return 1e-3 + 10 * (2 * PrecisionProfile.Float32.U * (Math.Abs(w) + 2 * step) + 2 * n.LearningRate * gradient);
        }
    }

    /// <summary>A law's finding takes the cause of the answers only when it has none of its own: where
    /// the textbook cannot represent an answer, the step's range finding stays under the range issue
    /// even on a network whose output has an accuracy finding with a cause of its own (the sigmoid's,
    /// the softmax's) — not filed under that cause as a range finding of a kind that is no range issue.</summary>
    [Fact]
    public void A_law_range_finding_keeps_the_range_cause_beside_an_answer_accuracy_cause()
    {
        var expected = OutOfFloat32Range();
        CheckReport r = Check(Backprop(new OutputRoundedStepOffOutOfRange()), new CheckOptions("step off", Count: Count, Precision: Precision.Float32));
        Assert.Equal("pass", r.Verdict);
        // every out-of-range network has a weight the textbook cannot bound, so a range finding of its step
        Assert.Equal(expected.Select(x => x.Issue.Kind).Distinct().Order(), r.Range.Select(s => s.Key).Order());
        foreach (FindingSummary s in r.Range)
            Assert.Equal(expected.Count(x => x.Issue.Kind == s.Key), s.Networks);
        // the test means something: some of those networks have an output accuracy finding with a cause that is not a range issue
        Assert.NotEmpty(r.Accuracy);
        Assert.All(r.Accuracy, s =>
        {
            Assert.DoesNotContain(s.Key, expected.Select(x => x.Issue.Kind));
            Assert.Contains(s.WorstNetwork, expected.Select(x => x.Where));
            Assert.StartsWith("outputs[0][0]", s.Worst.Quantity, StringComparison.Ordinal);
        });
    }

    /// <summary>The range excuse belongs to the network asked, not to the one it was derived from: an
    /// error reply for half of a batch that is in range is a broken protocol, even though the whole
    /// batch is out of range.</summary>
    [Fact]
    public void An_error_reply_for_a_network_in_range_is_a_broken_protocol_even_when_derived_from_one_out_of_range()
    {
        int index = Enumerable.Range(0, Count).First(i =>
            NetworkGen.Sample(RunSettings.DefaultSeed, i, Count) is var n && Truth.For(n, Precision.Float32).OutOfRange
            && n.BatchSize >= 2 && Derived.Halves(n).Any(h => !Truth.For(h, Precision.Float32).OutOfRange));
        Served erringInRange = ReferenceBut((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"overflow\",\"message\":\"exp overflowed\"}}}}");
            return null;
        }, r => r.Network is { } n && !Truth.For(n, Precision.Float32).OutOfRange);
        CheckReport r = Check(erringInRange, new CheckOptions("erring in range", Count: Count, Precision: Precision.Float32, Replay: $"random:{index}"));
        Assert.Equal("protocol-error", r.Verdict);
        Assert.Equal(ProtocolFailure.ErrorReply, r.Broken!.Fault.Kind);
        Assert.Equal($"random network {index}", r.Broken.Where);
        Assert.Equal(0, r.NetworksWithRange);
    }

    [Fact]
    public void Strictly_a_range_finding_fails()
    {
        Served overflowing = ReferenceBut((r, io) =>
        {
            io.Line($"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"overflow\",\"message\":\"exp overflowed\"}}}}");
            return null;
        }, OutOfFloat32Range);
        CheckReport r = Check(overflowing, new CheckOptions("overflowing", Count: Count, Precision: Precision.Float32, Strict: true));
        Assert.Equal("mismatch", r.Verdict);
        Assert.Equal(OutOfFloat32Range()[0].Where, r.Mismatch!.Where);
        Assert.Equal(Zone.Range, r.Mismatch.Verdict.Zone);
        // no property failed: the range fault itself is the failure, neither shrunk nor diagnosed
        Assert.Equal(("the answers are representable", "a range finding fails under --strict", 0), (r.Mismatch.Property, r.Mismatch.DiagnosisNote, r.Mismatch.ShrinkSteps));
        Assert.StartsWith("an error reply: answered `", r.Mismatch.Verdict.Message, StringComparison.Ordinal);
        Assert.Null(r.Mismatch.Diagnosis);
    }

    /// <summary>The in-process twin of AccuracyCheckTests' test of the same name: network 30627 of
    /// the default seed gives textbook float64 code sigmoid-derivative findings on its gradients and
    /// findings of the laws that combine them (descent slope, batch sums), which on their own are
    /// "unexplained".</summary>
    [Fact]
    public void A_law_finding_takes_the_cause_of_the_answers_it_combines()
    {
        CheckReport r = Check(Backprop(new TextbookBackprop(Precision.Float64)), new CheckOptions("textbook", Count: 100_000, Replay: "random:30627"));
        Assert.Equal("pass", r.Verdict);
        Assert.Equal(["sigmoid-derivative-from-out"], r.Accuracy.Select(s => s.Key));
    }
}
