using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>Cases the random properties reach rarely; each found by mutation testing (spec-tests/MUTATION.md).</summary>
public class AccuracyTests
{
    /// <summary>
    /// A softmax output under a squared loss whose first output rounds to 1 (net 144 against −552):
    /// the textbook Jacobian out_j(g_j − Σ_k g_k out_k) cancels to 0 for that unit, while its true δ
    /// is out_0·out_1·(g_0 − g_1) ≈ 3.4e-303. The reference must keep those digits.
    /// </summary>
    [Fact]
    public void Softmax_jacobian_keeps_its_digits_when_an_output_rounds_to_one()
    {
        var hidden = new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None);
        var softmax = new Layer(Activation.Softmax, new[,] { { 144.2308013 }, { -552.21639 } }, null, BiasMode.None);
        Network n = Network.Create(1, [hidden, softmax], LossKind.HalfMse, 0.5, [[1.0]], [[0.0, 0.0]]);
        ForwardPass<double> f = Forward.Run(n);
        Assert.Equal(1.0, f.Out[1][0][0]);                               // out_0 has rounded to 1

        double delta0 = Backward.Run(n, f)[1].delta[0][0];
        double expected = f.Out[1][0][0] * f.Out[1][0][1] * (f.Out[1][0][0] - f.Out[1][0][1]);   // o0·o1·(g0 − g1), g = o − t
        Assert.Equal(expected, delta0, expected * 1e-14);
        Assert.NotEqual(0.0, delta0);

        // and the exact forward-mode gradient of the weight into unit 0 agrees
        OracleGradients o = Oracles.Compute(n, finiteDifferences: false);
        int k = Array.FindIndex(o.Parameters, p => p is { Layer: 1, J: 0, IsBias: false });
        Assert.Equal(o.Dual[k], Backward.Run(n, f)[1].dE_dW[0, 0], o.Tolerance(k));
    }

    /// <summary>The trace's ∂E/∂out of a fused loss (cross-entropy after its own output activation)
    /// is consistent with its δ = (o − t)/m: through σ′ for binary cross-entropy, through the softmax
    /// Jacobian for softmax cross-entropy, with the 1/m of a batch of 3.</summary>
    [Theory]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    public void The_traced_dE_dout_of_a_cross_entropy_leads_to_its_delta(LossKind loss)
    {
        Activation f = loss == LossKind.BinaryCrossEntropy ? Activation.Sigmoid : Activation.Softmax;
        var layer = new Layer(f, new[,] { { 0.5, -1.0 }, { 1.5, 0.25 }, { -0.75, 2.0 } }, null, BiasMode.None);
        double[][] t = loss == LossKind.BinaryCrossEntropy ? [[1, 0, 0.5], [0, 0, 1], [0.25, 1, 0]] : [[1, 0, 0], [0.2, 0.3, 0.5], [0, 0, 1]];
        Network n = Network.Create(2, [layer], loss, 0.1, [[1, 2], [-1, 0.5], [0.25, -2]], t);
        ForwardPass<double> pass = Forward.Run(n);
        LayerGradients<double> g = Backward.Run(n, pass)[0];
        for (int e = 0; e < 3; e++)
        {
            double[] o = pass.Out[0][e];
            double[] viaOut = f == Activation.Softmax
                ? Activations.SoftmaxJacobianTimes(o, g.dE_dout[e])
                : g.dE_dout[e].Select((d, j) => d * o[j] * (1 - o[j])).ToArray();
            for (int j = 0; j < 3; j++)
            {
                // (o − t)/m, reached two ways: each a handful of roundings of numbers ≤ 1/m·(1/o) in size
                double tol = 64 * Validation.MachineEpsilon * (Math.Abs(g.dE_dout[e][j]) + 1);
                Assert.Equal((o[j] - t[e][j]) / 3, g.delta[e][j], 1e-15);
                Assert.Equal(g.delta[e][j], viaOut[j], tol);
            }
        }
    }
}
