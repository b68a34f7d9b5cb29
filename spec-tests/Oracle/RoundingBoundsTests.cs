using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The magnitude pass (RoundingBounds.cs) on networks small enough to follow by hand: each expected
/// bound below is the rule of ErrorModel.cs written out for that network (rule 2 for the sums, the
/// loss's and δ's own roundings), evaluated in the same order as the pass, so the comparison is exact
/// (IEEE arithmetic is deterministic; no tolerance is needed and none is used). The property tests
/// show the bounds are large enough for correct implementations; these pin that they are no larger
/// than the model states, so a term dropped, doubled or given the wrong sign is seen.
/// </summary>
public class RoundingBoundsTests
{
    static readonly double Floor = Math.ScaleB(1, -1022);

    /// <summary>One identity unit with a bias, m = 2: net = w·x + b. Float64 reads exactly, float32
    /// rounds w, b, x and t on reading (0.3, 0.7, 0.1 are no float32s; rule 1).</summary>
    static Network IdentityNet(LossKind loss, double w = 0.3, double b = 0.1) =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { w } }, [b], BiasMode.Trainable)], loss, 0.5,
            [[0.7], [0.3]], [[0.2], [0.4]]);

    [Theory]
    [InlineData(Precision.Float64, LossKind.HalfSse)]
    [InlineData(Precision.Float64, LossKind.HalfMse)]
    [InlineData(Precision.Float32, LossKind.HalfSse)]
    [InlineData(Precision.Float32, LossKind.HalfMse)]
    public void An_identity_unit_with_a_squared_loss_has_the_bounds_of_its_sums_loss_and_delta(Precision precision, LossKind loss)
    {
        Network n = IdentityNet(loss);
        ExactValues x = Exact.Compute(n);
        foreach (ErrorModel model in new[] { ErrorModel.Careful(precision), ErrorModel.Textbook(precision) })
        {
            RoundingBounds r = RoundingBounds.Of(x, model);
            PrecisionProfile p = model.Profile;
            double U = model.U, floor = model.Floor;
            double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;
            double w = 0.3, b = 0.1, eW = Read(w), eB = Read(b);
            int m = 2;
            var eOut = new double[m];
            for (int e = 0; e < m; e++)
            {
                double xi = n.X[e][0], eX = Read(xi);
                // rule 2, two terms: carried errors, γ₂ of the magnitudes, 2 floors
                double size = Math.Abs(w * xi), carried = Math.Abs(w) * eX + eW * Math.Abs(xi) + eW * eX;
                size += Math.Abs(b); carried += eB;
                eOut[e] = carried + model.Gamma(2) * size + 2 * floor;                // identity: e(out) = e(net)
                Assert.Equal(eOut[e], r.Outputs[e][0]);
            }
            // the loss: d = t − o, e(d) = e(o) + e(t) + u|d|; |d|·e(d) + e(d)²/2 + u·d², then the sum's γ
            double bound = 0, lossSize = 0;
            for (int e = 0; e < m; e++)
            {
                double t = n.T[e][0], d = t - x.Out[0][e][0], eD = eOut[e] + Read(t) + U * Math.Abs(d);
                bound += Math.Abs(d) * eD + eD * eD / 2 + U * d * d;
                lossSize += d * d / 2;
            }
            bound += model.Gamma(m) * lossSize + m * floor;
            double expectedLoss = loss == LossKind.HalfMse ? bound / m + 2 * U * Math.Abs(x.Loss) : bound;
            Assert.Equal(expectedLoss, r.Loss);
            // δ = ∂E/∂out = o − t (/m): e = (e(o) + e(t))·s + (1 or 2)·u·|o − t|·s, then δ's own 2u and a floor
            double scale = loss == LossKind.HalfMse ? 1.0 / m : 1.0;
            var eDelta = new double[m];
            for (int e = 0; e < m; e++)
            {
                double t = n.T[e][0], o = x.Out[0][e][0];
                double eG = (eOut[e] + Read(t)) * scale + (loss == LossKind.HalfMse ? 2 : 1) * U * Math.Abs(o - t) * scale;
                eDelta[e] = 1 * eG + Math.Abs(x.dE_dout[0][e][0]) * 0 + eG * 0 + 2 * U * Math.Abs(x.Delta[0][e][0]) + floor;
            }
            // ∂E/∂w = Σ δ·x and ∂E/∂b = Σ δ: m terms each, then the 1/m's 2u and the exact value's 2⁻⁴⁰
            double gSize = 0, gCarried = 0, bSize = 0, bCarried = 0;
            for (int e = 0; e < m; e++)
            {
                double delta = Math.Abs(x.Delta[0][e][0]), a = Math.Abs(n.X[e][0]), ea = Read(n.X[e][0]);
                gSize += delta * a;
                gCarried += delta * ea + a * eDelta[e] + eDelta[e] * ea;
                bSize += delta;
                bCarried += eDelta[e];
            }
            double Finish(double bnd, double g) => bnd + 2 * U * Math.Abs(g) + bnd * Math.ScaleB(1, -40);
            Assert.Equal(Finish(gCarried + model.Gamma(m) * gSize + m * floor, x.Gradient[0]), r.Gradient[0]);
            Assert.Equal(Finish(bCarried + model.Gamma(m) * bSize + m * floor, x.Gradient[1]), r.Gradient[1]);
            Assert.Empty(r.Range);
            Assert.Empty(r.AmbiguousKinks);
            Assert.Same(model, r.Model);
        }
    }

    /// <summary>
    /// Where every operation is exact (w = b = x = ½, t = ¾: net = ¾, out − t = 0), only the floors
    /// remain: each net input is an exact sum (e = 0), the loss's sum adds m·K floors, δ one floor, a
    /// gradient entry m floors plus each example's |x|·e(δ).
    /// </summary>
    [Fact]
    public void Where_every_operation_is_exact_only_the_underflow_floors_remain()
    {
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, [0.5], BiasMode.Trainable)], LossKind.HalfSse, 0.5,
            [[0.5], [0.5]], [[0.75], [0.75]]);
        foreach (Precision precision in new[] { Precision.Float64, Precision.Float32 })
        {
            RoundingBounds r = RoundingBounds.Of(Exact.Compute(n), ErrorModel.Careful(precision));
            double floor = ErrorModel.Careful(precision).Floor;
            Assert.Equal([[0.0], [0.0]], r.Outputs);
            Assert.Equal(2 * floor, r.Loss);
            double gradient = 2 * (0.5 * floor) + 2 * floor;                    // Σ_e |x|·e(δ) + m·floor, e(δ) = floor
            Assert.Equal(gradient + gradient * Math.ScaleB(1, -40), r.Gradient[0]);
            double bias = 2 * floor + 2 * floor;                                 // Σ_e e(δ) + m·floor
            Assert.Equal(bias + bias * Math.ScaleB(1, -40), r.Gradient[1]);
        }
    }
    /// <summary>
    /// One sigmoid unit without a bias under binary cross-entropy, m = 2 (z = 2.21 with t = 1, z = −1.17 with
    /// t = ¼), in float64. The output's bound is ErrorModel's σ rule; the loss term from the logit (and,
    /// textbook, from the probability through two logarithms); δ fused as (o − t)/m (and, textbook,
    /// unfused through ∂E/∂o = (o − t)/(o(1 − o))/m and σ′ from out). The elementary rules are tested
    /// in ErrorModelTests; this pins how the pass combines them.
    /// </summary>
    [Fact]
    public void A_sigmoid_unit_under_binary_cross_entropy_has_the_bounds_of_its_loss_and_fused_or_unfused_delta()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.3 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5,
            [[1.7], [-0.9]], [[1.0], [0.25]]);
        ExactValues x = Exact.Compute(n);
        foreach (ErrorModel model in new[] { ErrorModel.Careful(), ErrorModel.Textbook(Precision.Float64) })
        {
            RoundingBounds r = RoundingBounds.Of(x, model);
            double U = model.U, floor = model.Floor;
            bool textbook = model.Allows(Formulation.LossesFromProbabilities);
            int m = 2;
            var eZ = new double[m];
            var eO = new double[m];
            double bound = 0, lossSize = 0;
            var eDelta = new double[m];
            for (int e = 0; e < m; e++)
            {
                double z = x.Net[0][e][0], o = x.Out[0][e][0], t = n.T[e][0];
                eZ[e] = model.Gamma(1) * Math.Abs(1.3 * n.X[e][0]) + floor;            // one term, exact inputs, an inexact product
                eO[e] = model.SigmoidError(z, eZ[e], o);
                Assert.Equal(eO[e], r.Outputs[e][0]);
                // the loss term: from the logit, softplus(z) − t·z
                double softplus = Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                double careful = Math.Abs(o - t) * eZ[e] + (2 * model.Fn + 4 * U) * (Math.Abs(z) + Math.Abs(t * z) + softplus - Math.Max(z, 0)) + floor;
                double size = Math.Abs(softplus) + Math.Abs(t * z);
                if (textbook)
                {
                    double oneMinusO = 1 / (1 + Math.Exp(z));
                    double lnO = z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z)), lnOneMinusO = lnO - z;
                    double eA = model.LogError(o, eO[e]), eB = model.LogError(oneMinusO, eO[e] + U * oneMinusO);
                    double fromProbabilities = Math.Abs(t) * eA + Math.Abs(1 - t) * eB + 3 * U * (Math.Abs(t * lnO) + Math.Abs((1 - t) * lnOneMinusO)) + floor;
                    careful = Math.Max(careful, fromProbabilities);
                    size = Math.Max(size, Math.Abs(t * lnO) + Math.Abs((1 - t) * lnOneMinusO));
                }
                bound += careful;
                lossSize += size;
                // δ fused: (o − t)/m, two roundings
                eDelta[e] = (eO[e] + 2 * U * Math.Abs(o - t)) / m + floor;
                if (textbook)
                {
                    double oneMinusO = 1 / (1 + Math.Exp(z));
                    double D = o * oneMinusO, eD = oneMinusO * eO[e] + o * (eO[e] + U * oneMinusO) + U * D;
                    double rec = model.ReciprocalRelativeError(D, eD);
                    double diff = Math.Abs(o - t), eDiff = eO[e] + U * diff;
                    double g = diff / D / m, eG = eDiff / D / m * (1 + rec) + g * (rec + 2 * U);
                    double eF = model.Only(Formulation.DerivativesFromOut).SigmoidDerivativeError(z, eZ[e], eO[e], D);
                    eDelta[e] = Math.Max(eDelta[e], D * eG + g * eF + eG * eF + U * diff / m + floor);
                }
            }
            bound += model.Gamma(m) * lossSize + m * floor;
            Assert.Equal(bound / m + 2 * U * Math.Abs(x.Loss), r.Loss);
            double gSize = 0, gCarried = 0;
            for (int e = 0; e < m; e++)
            {
                double a = Math.Abs(n.X[e][0]);
                gSize += Math.Abs(x.Delta[0][e][0]) * a;
                gCarried += a * eDelta[e];
            }
            double gradient = gCarried + model.Gamma(m) * gSize + m * floor;
            Assert.Equal(gradient + 2 * U * Math.Abs(x.Gradient[0]) + gradient * Math.ScaleB(1, -40), r.Gradient[0]);
            Assert.Empty(r.Range);
        }
    }
}
