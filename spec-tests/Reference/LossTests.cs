using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>Each loss against a value worked by hand, and its derivative at the output.</summary>
public class LossTests
{
    static double E(LossKind loss, double[][] net, double[][] o, double[][] t) =>
        Loss.Evaluate(loss, Wrap(net), Wrap(o), t).Value;

    static Real[][] Wrap(double[][] a) => a.Select(r => r.Select(v => new Real(v)).ToArray()).ToArray();

    [Fact]
    public void Half_sse_sums_half_squares_over_outputs_and_examples()
    {
        // ½(0.2)² + ½(0.5)² + ½(1)² = 0.02 + 0.125 + 0.5
        double e = E(LossKind.HalfSse, [[0, 0], [0]], [[0.3, 0.5], [2]], [[0.5, 1.0], [1]]);
        Assert.Equal(0.645, e, 15);
        Assert.Equal(-0.2, Loss.DerivativeByOut(LossKind.HalfSse, 0.3, 0.5, 2), 15);  // −(t − o)
    }

    [Fact]
    public void Half_mse_is_half_sse_over_the_batch_size()
    {
        double e = E(LossKind.HalfMse, [[0, 0], [0, 0]], [[0.3, 0.5], [2, 1]], [[0.5, 1.0], [1, 1]]);
        Assert.Equal(0.645 / 2, e, 15);
        Assert.Equal(-0.1, Loss.DerivativeByOut(LossKind.HalfMse, 0.3, 0.5, 2), 15);   // −(t − o)/m
    }

    [Fact]
    public void Binary_cross_entropy_is_the_mean_of_minus_log_likelihoods()
    {
        double z1 = 0.4, z2 = -1.3;
        double o1 = 1 / (1 + Math.Exp(-z1)), o2 = 1 / (1 + Math.Exp(-z2));
        double expected = (-Math.Log(o1) - Math.Log(1 - o2)) / 2;   // targets 1 and 0
        Assert.Equal(expected, E(LossKind.BinaryCrossEntropy, [[z1], [z2]], [[o1], [o2]], [[1], [0]]), 14);
        Assert.Equal((o1 - 1) / (o1 * (1 - o1)) / 2, Loss.DerivativeByOut(LossKind.BinaryCrossEntropy, o1, 1, 2), 14);
    }

    [Fact]
    public void Binary_cross_entropy_stays_finite_when_the_sigmoid_saturates()
    {
        // o rounds to 1 at z = 40: −ln(1 − o) would be ∞; the true loss is ≈ 40.
        double e = E(LossKind.BinaryCrossEntropy, [[40]], [[1.0]], [[0]]);
        Assert.Equal(40.0, e, 12);
    }

    [Fact]
    public void Softmax_cross_entropy_is_minus_log_of_the_target_class()
    {
        double[] z = [1, 2, 3];
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        double[] p = z.Select(v => Math.Exp(v - lse)).ToArray();
        Assert.Equal(lse - 2, E(LossKind.SoftmaxCrossEntropy, [z], [p], [[0, 1, 0]]), 14);
        Assert.Equal(-1 / p[1], Loss.DerivativeByOut(LossKind.SoftmaxCrossEntropy, p[1], 1, 1), 14);
    }

    [Fact]
    public void Cross_entropies_demand_their_own_output_activation()
    {
        Assert.Equal(Activation.Sigmoid, Loss.RequiredOutput(LossKind.BinaryCrossEntropy));
        Assert.Equal(Activation.Softmax, Loss.RequiredOutput(LossKind.SoftmaxCrossEntropy));
        Assert.Null(Loss.RequiredOutput(LossKind.HalfSse));
        Assert.True(Loss.IsFused(LossKind.SoftmaxCrossEntropy));
        Assert.False(Loss.IsFused(LossKind.HalfMse));
    }
}
