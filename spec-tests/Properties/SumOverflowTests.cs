using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// Sums whose value is representable but whose partial sums may not be: a newcomer's kit found five
/// networks (2026-12-07) where correct code answered ∞ and was called wrong. The net input
/// 2e38 + 2e38 − 2e38 in float32, summed in the document's order; a batch gradient summed over the
/// examples in order; a mean's 1/m or a squared error's ½ applied after the sum. Each is now a range
/// issue ("sum-overflow") of every formulation, careful arithmetic included, and an ∞ there a range finding.
/// </summary>
public class SumOverflowTests
{
    /// <summary>The reference's answers with one quantity overflowed to +∞, as the user's program answered.</summary>
    sealed class OverflowingAt(string what) : IBackprop
    {
        readonly ReferenceBackprop r = new();
        public string Name => $"reference, {what} overflowed";
        public Evaluation Forward(Network n) { Evaluation e = r.Forward(n); return what == "outputs" ? new(e.Outputs.Select(o => o.Select(_ => double.PositiveInfinity).ToArray()).ToArray(), double.PositiveInfinity) : what == "loss" ? e with { Loss = double.PositiveInfinity } : e; }
        public Gradients Gradients(Network n)
        {
            Gradients g = r.Gradients(n);
            Evaluation e = Forward(n);
            var dW = g.dE_dW.Select(w => (double[,])w.Clone()).ToArray();
            if (what is "gradient" or "outputs") dW[0][0, 0] = double.PositiveInfinity;
            return g with { Outputs = e.Outputs, Loss = e.Loss, dE_dW = dW };
        }
        public Parameters Step(Network n) => r.Step(n);
    }

    [Theory]
    // 900: relu net input 2e38 + 2e38 − 2e38 (exactly 2e38) in float32: everything after it is ∞
    [InlineData("""{"format":"backprop-spec/network@1","inputs":3,"layers":[{"units":1,"activation":"relu","weights":[[2e38,2e38,-2e38]]},{"units":1,"activation":"identity","weights":[[1e-30]]}],"loss":"half-sse","learningRate":0,"batch":{"inputs":[[1,1,1]],"targets":[[2e8]]}}""", Precision.Float32, "outputs")]
    // 901: the batch gradient 1.96e38 summed over three examples in order passes float32's max
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[1]]}],"loss":"half-sse","learningRate":0,"batch":{"inputs":[[1.4e19],[1.4e19],[1.4e19]],"targets":[[0],[0],[2.8e19]]}}""", Precision.Float32, "gradient")]
    // 902: half-mse's 1/m applied after the batch sum: Σ δx = 4e308 before it, in float64
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[1e-160]]}],"loss":"half-mse","learningRate":0,"batch":{"inputs":[[1e160],[1e160],[1e160],[1e160]],"targets":[[-1e148],[-1e148],[-1e148],[-1e148]]}}""", Precision.Float64, "gradient")]
    // 903: the mean loss's sum 4.5e38 before the 1/m, in float32
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[1.5e19]]}],"loss":"half-mse","learningRate":0,"batch":{"inputs":[[1],[1],[1],[1]],"targets":[[0],[0],[0],[0]]}}""", Precision.Float32, "loss")]
    // P6: (t − o)² = 4.84e38 before the ½, in float32
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[2.2e19]]}],"loss":"half-sse","learningRate":0,"batch":{"inputs":[[1]],"targets":[[0]]}}""", Precision.Float32, "loss")]
    public void A_sum_whose_partial_sums_may_overflow_is_a_range_finding_not_a_bug(string json, Precision precision, string overflowed)
    {
        Network n = NetworkJson.Parse(json);
        Truth truth = Truth.For(n, precision);
        Assert.Contains(truth.Careful.Range, r => r.Kind == "sum-overflow");              // careful arithmetic overflows there too
        Assert.Equal("sum-overflow", truth.RangeCause.Kind);
        var impl = new OverflowingAt(overflowed);
        PropertyVerdict forward = Oracle.Properties.ForwardAgreesWithExactValues(impl, n, precision), gradients = Oracle.Properties.GradientsAgreeWithExactValues(impl, n, precision);
        Assert.Equal(Zone.Range, (Zone)Math.Max((int)forward.Zone, (int)gradients.Zone));
        Assert.NotEqual(Zone.Wrong, forward.Zone);
        Assert.NotEqual(Zone.Wrong, gradients.Zone);
    }

    /// <summary>The laws ask for derived networks: the doubled batch of a half-sse network, the half-sse
    /// form of a half-mse one. Where the original's gradient (2e38, 1e38·4/4) fits in float32 and the
    /// derived one's (4e38) does not, a float32 program answers ∞ there, a range finding of the law, not
    /// a bug (the newcomer's P4 and P5, once called wrong).</summary>
    [Theory]
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[1]]}],"loss":"half-sse","learningRate":0,"batch":{"inputs":[[1e19],[1e19]],"targets":[[0],[0]]}}""")]
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","weights":[[1]]}],"loss":"half-mse","learningRate":0,"batch":{"inputs":[[1e19],[1e19],[1e19],[1e19]],"targets":[[0],[0],[0],[0]]}}""")]
    public void A_law_whose_derived_network_is_beyond_float32_is_a_range_finding_not_a_bug(string json)
    {
        Network n = NetworkJson.Parse(json);
        var verdicts = Oracle.Properties.Run(new TextbookFloat32(), n, Precision.Float32);
        Assert.Contains(verdicts, v => v.Verdict.Zone == Zone.Range);
        Assert.DoesNotContain(verdicts, v => v.Verdict.Zone == Zone.Wrong);
    }

    /// <summary>Below the edge nothing is recorded: a net input of terms 1e38, 1e38, −1e38 (3e38 in all,
    /// under float32's 3.4e38) whose output meets its target is an ordinary network, and an ∞ there is wrong.</summary>
    [Fact]
    public void A_sum_whose_terms_fit_records_nothing_and_an_overflow_there_is_wrong()
    {
        Network n = NetworkJson.Parse("""{"format":"backprop-spec/network@1","inputs":3,"layers":[{"units":1,"activation":"identity","weights":[[1e38,1e38,-1e38]]}],"loss":"half-sse","learningRate":0,"batch":{"inputs":[[1,1,1]],"targets":[[1e38]]}}""");
        Truth truth = Truth.For(n, Precision.Float32);
        Assert.Empty(truth.Textbook.Range);
        Assert.Equal(Zone.Wrong, Oracle.Properties.ForwardAgreesWithExactValues(new OverflowingAt("outputs"), n, Precision.Float32).Zone);
    }
}
