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
    /// One sigmoid unit without a bias under binary cross-entropy. In float64 (m = 2: z = 2.21 with t = 1,
    /// z = −1.17 with t = ¼) every number is read exactly. In float32 (m = 3: z = 2.21, −1.17, −0.13 with
    /// t = 0.9, 0.1, 0.9) w, x and t are no float32s and carry their reading errors (rule 1), so the
    /// loss's e(t) terms count; at z = −0.13 with t = 0.9 the term from the probability exceeds the one
    /// from the logit (textbook, Fn = 8u: t·e(ln o) ≈ 0.9·(18u of σ + 8u·|ln o|) plus the (1 − t) and 3u
    /// terms, about 27u, against the logit's 20u·(|z| + |t·z| + ln(1 + e^z)) ≈ 18u), so its ln σ(z) for
    /// z &lt; 0 and its e(t) terms are what is compared. Two more rows put the output near
    /// the underflow floor (z = −690 in float64, z = −85 in float32, t = 0), where e(o) is mostly a floor
    /// and δ's own floor is a large part of its bound. The output's bound is ErrorModel's σ rule; the
    /// loss term from the logit (and, textbook, from the probability through two logarithms); δ fused
    /// as (o − t)/m (and, textbook, unfused through ∂E/∂o = (o − t)/(o(1 − o))/m and σ′ from out or from
    /// exponentials). The
    /// elementary rules are tested in ErrorModelTests; this pins how the pass combines them.
    /// </summary>
    [Theory]
    [InlineData(Precision.Float64, new[] { 1.7, -0.9 }, new[] { 1.0, 0.25 })]
    [InlineData(Precision.Float32, new[] { 1.7, -0.9, -0.1 }, new[] { 0.9, 0.1, 0.9 })]
    [InlineData(Precision.Float64, new[] { -690 / 1.3 }, new[] { 0.0 })]
    [InlineData(Precision.Float32, new[] { -85 / 1.3, 1.7 }, new[] { 0.0, 0.9 })]
    public void A_sigmoid_unit_under_binary_cross_entropy_has_the_bounds_of_its_loss_and_fused_or_unfused_delta(Precision precision, double[] xs, double[] ts)
    {
        const double w = 1.3;
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5,
            xs.Select(v => new[] { v }).ToArray(), ts.Select(v => new[] { v }).ToArray());
        ExactValues x = Exact.Compute(n);
        // the textbook formulations but the frameworks' clip, which widens the saturated rows' bounds
        // (A_clipped_probability_widens_the_bounds_by_what_the_clip_may_move)
        ErrorModel unclipped = ErrorModel.Textbook(precision).Only(Formulation.All & ~Formulation.ClampedProbabilities);
        foreach (ErrorModel model in new[] { ErrorModel.Careful(precision), unclipped })
        {
            RoundingBounds r = RoundingBounds.Of(x, model);
            PrecisionProfile p = model.Profile;
            double U = model.U, floor = model.Floor;
            double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;
            bool textbook = model.Allows(Formulation.LossesFromProbabilities);
            int m = n.BatchSize;
            var eZ = new double[m];
            var eO = new double[m];
            double bound = 0, lossSize = 0;
            var eDelta = new double[m];
            double eW = Read(w);
            for (int e = 0; e < m; e++)
            {
                double z = x.Net[0][e][0], o = x.Out[0][e][0], t = n.T[e][0], eT = Read(t), xi = n.X[e][0], eX = Read(xi);
                // one term (rule 2): the carried reading errors of w and x, γ₁ of the inexact product, a floor
                eZ[e] = Math.Abs(w) * eX + eW * Math.Abs(xi) + eW * eX + model.Gamma(1) * Math.Abs(w * xi) + floor;
                eO[e] = model.SigmoidError(z, eZ[e], o);
                Assert.Equal(eO[e], r.Outputs[e][0]);
                // the loss term: from the logit, softplus(z) − t·z, with t's error times |z|
                double softplus = Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                double careful = Math.Abs(o - t) * eZ[e] + Math.Abs(z) * eT + (2 * model.Fn + 4 * U) * (Math.Abs(z) + Math.Abs(t * z) + softplus - Math.Max(z, 0)) + floor;
                double size = Math.Abs(softplus) + Math.Abs(t * z);
                if (textbook)
                {
                    // from the probability: −[t ln o + (1 − t) ln(1 − o)], ln σ(z) = −ln(1 + e^−z) = z − ln(1 + e^z), ln σ(−z) = ln σ(z) − z
                    double oneMinusO = 1 / (1 + Math.Exp(z));
                    double lnO = z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z)), lnOneMinusO = lnO - z;
                    double eA = model.LogError(o, eO[e]), eB = model.LogError(oneMinusO, eO[e] + U * oneMinusO);
                    double fromProbabilities = Math.Abs(t) * eA + Math.Abs(lnO) * eT + Math.Abs(1 - t) * eB + Math.Abs(lnOneMinusO) * eT
                                               + 3 * U * (Math.Abs(t * lnO) + Math.Abs((1 - t) * lnOneMinusO)) + floor;
                    careful = Math.Max(careful, fromProbabilities);
                    size = Math.Max(size, Math.Abs(t * lnO) + Math.Abs((1 - t) * lnOneMinusO));
                }
                bound += careful;
                lossSize += size;
                // δ fused: (o − t)/m, two roundings
                eDelta[e] = (eO[e] + eT + 2 * U * Math.Abs(o - t)) / m + floor;
                if (textbook)
                {
                    double oneMinusO = 1 / (1 + Math.Exp(z));
                    double D = o * oneMinusO, eD = oneMinusO * eO[e] + o * (eO[e] + U * oneMinusO) + U * D;
                    double rec = model.ReciprocalRelativeError(D, eD);
                    double diff = Math.Abs(o - t), eDiff = eO[e] + eT + U * diff;
                    double g = diff / D / m, eG = eDiff / D / m * (1 + rec) + g * (rec + 2 * U);
                    // σ′ from out, or from exponentials: at z = −690 in float64 the latter's (1 + e^−z)² overflows, σ′ may be 0
                    double eF = model.Only(Formulation.DerivativesFromOut | Formulation.SigmoidFromExponentials).SigmoidDerivativeError(z, eZ[e], eO[e], D);
                    eDelta[e] = Math.Max(eDelta[e], D * eG + g * eF + eG * eF + U * diff / m + floor);
                }
            }
            bound += model.Gamma(m) * lossSize + m * floor;
            Assert.Equal(bound / m + 2 * U * Math.Abs(x.Loss), r.Loss);
            double gSize = 0, gCarried = 0;
            for (int e = 0; e < m; e++)
            {
                double a = Math.Abs(n.X[e][0]), ea = Read(n.X[e][0]), delta = Math.Abs(x.Delta[0][e][0]);
                gSize += delta * a;
                gCarried += delta * ea + a * eDelta[e] + eDelta[e] * ea;
            }
            double gradient = gCarried + model.Gamma(m) * gSize + m * floor;
            Assert.Equal(gradient + 2 * U * Math.Abs(x.Gradient[0]) + gradient * Math.ScaleB(1, -40), r.Gradient[0]);
            Assert.Empty(r.Range);
        }
    }
    /// <summary>
    /// A tanh layer under a softmax layer with softmax cross-entropy (one example): the softmax outputs'
    /// relative error and underflow term, the loss from the logits (and, textbook, from ln o), δ fused
    /// (and, textbook, −t/(o·m) through the Jacobian from out), ∂E/∂out of the hidden layer as a sum
    /// over the units above, and tanh′'s error. In float64 (soft targets ¾, ¼) every number is read
    /// exactly; in float32 (targets 0.9, 0.1) the input, the weights and the targets are no float32s
    /// and carry their reading errors (rule 1), so each e(t) term counts: t's error times |ln o| in the
    /// loss, e(t)/(o·m) in the unfused ∂E/∂o. Each step is the rule of the pass written out, with
    /// ErrorModel's elementary rules (tested in ErrorModelTests) called by name.
    /// </summary>
    [Theory]
    [InlineData(Precision.Float64, 0.75, 0.25)]
    [InlineData(Precision.Float32, 0.9, 0.1)]
    public void A_tanh_layer_under_a_softmax_with_cross_entropy_has_the_bounds_of_each_step(Precision precision, double t0, double t1)
    {
        double[,] w0 = { { 0.9 }, { -1.3 } }, w1 = { { 0.6, -0.4 }, { -0.8, 1.1 } };
        Network n = Network.Create(1, [new Layer(Activation.Tanh, w0, null, BiasMode.None), new Layer(Activation.Softmax, w1, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[0.7]], [[t0, t1]]);
        ExactValues x = Exact.Compute(n);
        // the textbook formulations but the frameworks' clip and ε, which widen every cross-entropy's bounds
        // (A_clipped_probability_widens_the_bounds_by_what_the_clip_may_move)
        foreach (ErrorModel model in new[] { ErrorModel.Careful(precision), ErrorModel.Textbook(precision).Only(Formulation.All & ~Formulation.ClampedProbabilities) })
        {
            RoundingBounds r = RoundingBounds.Of(x, model);
            PrecisionProfile p = model.Profile;
            double U = model.U, floor = model.Floor, input = 0.7;
            double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;
            double eInput = Read(input);
            bool textbook = model.Allows(Formulation.LossesFromProbabilities);
            double[] net0 = x.Net[0][0], out0 = x.Out[0][0], z = x.Net[1][0], o = x.Out[1][0], t = n.T[0];
            double[] eT = [Read(t[0]), Read(t[1])];
            // forward: the tanh layer (one term each), the softmax layer (two terms each), with the reading errors carried
            var eNet0 = new double[2];
            var eOut0 = new double[2];
            var eZ = new double[2];
            var eO = new double[2];
            for (int j = 0; j < 2; j++)
            {
                double eW = Read(w0[j, 0]);
                eNet0[j] = Math.Abs(w0[j, 0]) * eInput + eW * Math.Abs(input) + eW * eInput + model.Gamma(1) * Math.Abs(w0[j, 0] * input) + floor;
                eOut0[j] = model.TanhError(net0[j], eNet0[j], out0[j]);
            }
            for (int j = 0; j < 2; j++)
            {
                double size = 0, carried = 0;
                for (int i = 0; i < 2; i++)
                {
                    double eW = Read(w1[j, i]);
                    size += Math.Abs(w1[j, i] * out0[i]);
                    carried += Math.Abs(w1[j, i]) * eOut0[i] + eW * Math.Abs(out0[i]) + eW * eOut0[i];
                }
                eZ[j] = carried + model.Gamma(2) * size + 2 * floor;
            }
            double maxENet = Math.Max(eZ[0], eZ[1]), underflow = model.SoftmaxUnderflowError(z);
            for (int j = 0; j < 2; j++)
            {
                eO[j] = o[j] * model.SoftmaxRelativeError(z, eZ, o, j, maxENet) + underflow + 2 * floor;
                Assert.Equal(eO[j], r.Outputs[0][j]);
            }
            // the loss from the logits: −Σ t_k (z_k − LSE), plus e(t_k)·|ln o_k|
            double c = z.Max(), S = z.Sum(v => Math.Exp(v - c)), lse = c + Math.Log(S);
            double eLse = model.Gamma(2) + model.Fn + model.Fn * Math.Abs(Math.Log(S)) + U * Math.Abs(lse);
            for (int k = 0; k < 2; k++) eLse += o[k] * (eZ[k] + U * Math.Abs(z[k] - c));
            double careful = 0, size2 = 0;
            for (int k = 0; k < 2; k++)
            {
                double logO = z[k] - lse;
                careful += t[k] * (eZ[k] + eLse + 2 * U * Math.Abs(logO)) + eT[k] * Math.Abs(logO);
                size2 += t[k] * Math.Abs(logO);
            }
            careful += model.Gamma(2) * size2 + 2 * floor;
            if (textbook)
            {
                double fromProbabilities = 0;
                for (int k = 0; k < 2; k++) fromProbabilities += t[k] * (model.LogError(o[k], eO[k]) + U * Math.Abs(z[k] - lse)) + eT[k] * Math.Abs(z[k] - lse);
                careful = Math.Max(careful, fromProbabilities + model.Gamma(2) * size2 + 2 * floor);
            }
            double loss = careful + model.Gamma(2) * size2 + 2 * floor;               // the batch's sum of m·K = 2 terms
            Assert.Equal(loss / 1 + 2 * U * Math.Abs(x.Loss), r.Loss);
            // δ of the softmax layer: fused (o − t)/m; textbook, g = −t/(o·m) through the Jacobian from out
            double[] delta1 = x.Delta[1][0];
            var eDelta1 = new double[2];
            for (int k = 0; k < 2; k++) eDelta1[k] = (eO[k] + eT[k] + 2 * U * Math.Abs(o[k] - t[k])) / 1 + floor;
            if (textbook)
            {
                var g = new double[2];
                var eG = new double[2];
                for (int k = 0; k < 2; k++)
                {
                    double rec = model.ReciprocalRelativeError(o[k], eO[k]);
                    g[k] = t[k] / o[k] / 1;
                    eG[k] = eT[k] / o[k] / 1 * (1 + rec) + g[k] * (rec + 2 * U);
                }
                double[] jacobian = SoftmaxJacobianErrors(model.Only(Formulation.DerivativesFromOut), o, eO, g, eG, delta1);
                for (int k = 0; k < 2; k++) eDelta1[k] = Math.Max(eDelta1[k], jacobian[k]);
            }
            // ∂E/∂out of the tanh layer: Σ_j W[j, i]·δ_j, two terms, W's reading errors carried; then δ = g·tanh′
            var eDelta0 = new double[2];
            for (int i = 0; i < 2; i++)
            {
                double size = 0, carried = 0;
                for (int j = 0; j < 2; j++)
                {
                    double eW = Read(w1[j, i]);
                    size += Math.Abs(w1[j, i] * delta1[j]);
                    carried += Math.Abs(w1[j, i]) * eDelta1[j] + eW * Math.Abs(delta1[j]) + eW * eDelta1[j];
                }
                double eG = carried + model.Gamma(2) * size + 2 * floor;
                double fPrime = Activations.Derivative(Activation.Tanh, net0[i]);
                double eF = model.TanhDerivativeError(net0[i], eNet0[i], out0[i], eOut0[i], fPrime);
                eDelta0[i] = Math.Abs(fPrime) * eG + Math.Abs(x.dE_dout[0][0][i]) * eF + eG * eF + 2 * U * Math.Abs(x.Delta[0][0][i]) + floor;
            }
            // the gradient, m = 1: one product each
            double Finish(double bound, double gradient) => bound + 2 * U * Math.Abs(gradient) + bound * Math.ScaleB(1, -40);
            for (int j = 0; j < 2; j++)
            {
                double d = Math.Abs(x.Delta[0][0][j]), a = Math.Abs(input);
                double bound = d * eInput + a * eDelta0[j] + eDelta0[j] * eInput + model.Gamma(1) * (d * a) + floor;
                Assert.Equal(Finish(bound, x.Gradient[j]), r.Gradient[j]);
            }
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++)
                {
                    double d = Math.Abs(delta1[j]), a = Math.Abs(out0[i]);
                    double bound = d * eOut0[i] + a * eDelta1[j] + eDelta1[j] * eOut0[i] + model.Gamma(1) * (d * a) + floor;
                    Assert.Equal(Finish(bound, x.Gradient[2 + 2 * j + i]), r.Gradient[2 + 2 * j + i]);
                }
            Assert.Empty(r.Range);
        }
    }

    /// <summary>The softmax Jacobian's bound as RoundingBounds states it: careful o_j·(g_j·Σ_{k≠j} o_k − Σ_{k≠j} g_k·o_k),
    /// and from out o_j·(g_j − Σ_k g_k·o_k).</summary>
    static double[] SoftmaxJacobianErrors(ErrorModel model, double[] o, double[] eO, double[] g, double[] eG, double[] delta)
    {
        int K = o.Length;
        var err = new double[K];
        for (int j = 0; j < K; j++)
        {
            double restO = 0, restGO = 0, eRestO = 0, eRestGO = 0;
            for (int k = 0; k < K; k++)
            {
                if (k == j) continue;
                restO += o[k];
                restGO += Math.Abs(g[k]) * o[k];
                eRestO += eO[k];
                eRestGO += eG[k] * o[k] + Math.Abs(g[k]) * eO[k];
            }
            double inner = Math.Abs(g[j]) * restO + restGO;
            double careful = eO[j] * inner + o[j] * (eG[j] * restO + Math.Abs(g[j]) * eRestO + eRestGO + model.Gamma(K + 2) * inner)
                             + model.U * Math.Abs(delta[j]) + K * model.Floor;
            if (model.Allows(Formulation.DerivativesFromOut))
            {
                // from out, or the matrix formed first: one rounding more per term (no product of
                // these outputs underflows: o_j·o_k is about 0.1 at the least)
                double innerOut = Math.Abs(g[j]) + restGO + Math.Abs(g[j]) * o[j];
                double eInner = eG[j] * (1 + o[j]) + eRestGO + Math.Abs(g[j]) * eO[j] + model.Gamma(K + 2) * innerOut;
                careful = Math.Max(careful, eO[j] * innerOut + o[j] * eInner + model.U * Math.Abs(delta[j]) + K * model.Floor);
            }
            err[j] = careful;
        }
        return err;
    }

    /// <summary>
    /// Where a formulation cannot represent an answer, and the line that says so: ln 0 and 0/0 of the
    /// losses and δ from probabilities, the unshifted softmax's overflow and underflow, numbers beyond
    /// the format (only the careful pass's own checks, which the textbook pass repeats), and ReLU
    /// units on their kink. The careful formulations are never out of range on these networks except
    /// where the numbers themselves are.
    /// </summary>
    [Fact]
    public void Each_range_issue_is_found_where_a_formulation_cannot_represent_an_answer_and_says_why()
    {
        static Network Sigmoid(double w, double x, double t) =>
            Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5, [[x]], [[t]]);
        static Network Softmax(double a, double b, LossKind loss, double[] t) =>
            Network.Create(1, [new Layer(Activation.Softmax, new[,] { { a }, { b } }, null, BiasMode.None)], loss, 0.5, [[1.0]], [t]);
        static void Check(Network n, Precision p, string[] careful, string[] textbook)
        {
            ExactValues x = Exact.Compute(n);
            foreach (var (model, expected) in new[] { (ErrorModel.Careful(p), careful), (ErrorModel.Textbook(p), textbook) })
            {
                RoundingBounds r = RoundingBounds.Of(x, model);
                Assert.Equal(expected, r.Range.Select(i => $"{i.Kind} | {i.By} | {i}").Concat(r.AmbiguousKinks.Select(k => $"kink | {k}")));
            }
        }
        // z = 40 in float64: σ rounds to 1
        Check(Sigmoid(10, 4, 0.5), Precision.Float64,
            [],
            [
                "ln-of-zero | LossesFromProbabilities | output 0, example 0: ln(1 - o) with o = sigmoid(40), which may round to 1",
                "division-by-zero | LossesFromProbabilities | output 0, example 0: dE/do = (o - t)/(o(1 - o)) with o = sigmoid(40), where o(1 - o) may round to 0",
            ]);
        // z = −40: o = 4e-18 is a normal double, ln o is fine
        Check(Sigmoid(-10, 4, 0.5), Precision.Float64,
            [],
            []);
        // z = 20 in float32: σ rounds to 1
        Check(Sigmoid(5, 4, 0.5), Precision.Float32,
            [],
            [
                "ln-of-zero | LossesFromProbabilities | output 0, example 0: ln(1 - o) with o = sigmoid(20), which may round to 1",
                "division-by-zero | LossesFromProbabilities | output 0, example 0: dE/do = (o - t)/(o(1 - o)) with o = sigmoid(20), where o(1 - o) may round to 0",
            ]);
        // z = −120 in float32: o = 8e-53 underflows
        Check(Sigmoid(-30, 4, 0.5), Precision.Float32,
            [],
            [
                "ln-of-zero | LossesFromProbabilities | output 0, example 0: ln(o) with o = sigmoid(-120), which may round to 0",
                "division-by-zero | LossesFromProbabilities | output 0, example 0: dE/do = (o - t)/(o(1 - o)) with o = sigmoid(-120), where o(1 - o) may round to 0",
            ]);
        // a softmax output of e^−800
        Check(Softmax(0, -800, LossKind.SoftmaxCrossEntropy, [0.5, 0.5]), Precision.Float64,
            [],
            [
                "ln-of-zero | LossesFromProbabilities | output 1, example 0: ln(o) with o = softmax output 0 (net -800), which may underflow to 0",
                "division-by-zero | LossesFromProbabilities | output 1, example 0: dE/do = -t/o with the softmax output o = 0, which may underflow to 0",
            ]);
        // e^709.5 + e^709.4 overflows
        Check(Softmax(709.5, 709.4, LossKind.HalfSse, [1, 0]), Precision.Float64,
            [],
            [
                "exp-overflow | UnshiftedSoftmax | layers[0] unit 0, example 0: e^net overflows float64 at net = 709.5 in a softmax without the max shift",
            ]);
        // every e^net underflows
        Check(Softmax(-800, -801, LossKind.HalfSse, [1, 0]), Precision.Float64,
            [],
            [
                "division-by-zero | UnshiftedSoftmax | layers[0], example 0: every e^net underflows float64 (the largest net is -800) in a softmax without the max shift: 0/0",
            ]);
        // every e^net underflows float32
        Check(Softmax(-100, -101, LossKind.HalfSse, [1, 0]), Precision.Float32,
            [],
            [
                "division-by-zero | UnshiftedSoftmax | layers[0], example 0: every e^net underflows float32 (the largest net is -100) in a softmax without the max shift: 0/0",
            ]);
        // an input, net inputs, the loss and a gradient beyond float32
        Check(Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1e20 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1e20], [1e40]], [[0.0], [0.0]]), Precision.Float32,
            [
                "beyond-range | Careful | batch.inputs[1][0]: 1E+40 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input 1E+40 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 1: the net input 1E+60 is beyond the largest float32",
                "beyond-range | Careful | loss: 5E+119 is beyond the largest float32",
                "beyond-range | Careful | gradient 0 (layer 0): 1E+100 is beyond the largest float32",
            ],
            [
                "beyond-range | Careful | batch.inputs[1][0]: 1E+40 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input 1E+40 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 1: the net input 1E+60 is beyond the largest float32",
                "beyond-range | Careful | loss: 5E+119 is beyond the largest float32",
                "beyond-range | Careful | gradient 0 (layer 0): 1E+100 is beyond the largest float32",
            ]);
        // a net input beyond float64
        Check(Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1e200 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1e200]], [[0.0]]), Precision.Float64,
            [
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input Infinity is beyond the largest float64",
                "beyond-range | Careful | loss: Infinity is beyond the largest float64",
                "beyond-range | Careful | gradient 0 (layer 0): Infinity is beyond the largest float64",
            ],
            [
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input Infinity is beyond the largest float64",
                "beyond-range | Careful | loss: Infinity is beyond the largest float64",
                "beyond-range | Careful | gradient 0 (layer 0): Infinity is beyond the largest float64",
            ]);
        // 0.1 + 0.2 − 0.3 is 5.6e-17 in double, within its rounding of 0: a ReLU on its kink
        Check(Network.Create(2, [new Layer(Activation.Relu, new[,] { { 0.1, 0.2 } }, [-0.3], BiasMode.Trainable)], LossKind.HalfSse, 0.5, [[1.0, 1.0]], [[1.0]]), Precision.Float64,
            [
                "kink | layers[0] unit 0, example 0",
            ],
            [
                "kink | layers[0] unit 0, example 0",
            ]);
        // a weight and a bias beyond float32, and everything after them
        Check(Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1e300 } }, [1e39], BiasMode.Trainable)], LossKind.HalfSse, 0.5, [[1e10]], [[0.0]]), Precision.Float32,
            [
                "beyond-range | Careful | layers[0].weights[0][0]: 1E+300 is beyond the largest float32",
                "beyond-range | Careful | layers[0].biases[0]: 1E+39 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input Infinity is beyond the largest float32",
                "beyond-range | Careful | loss: Infinity is beyond the largest float32",
                "beyond-range | Careful | gradient 0 (layer 0): Infinity is beyond the largest float32",
                "beyond-range | Careful | gradient 1 (layer 0): Infinity is beyond the largest float32",
            ],
            [
                "beyond-range | Careful | layers[0].weights[0][0]: 1E+300 is beyond the largest float32",
                "beyond-range | Careful | layers[0].biases[0]: 1E+39 is beyond the largest float32",
                "beyond-range | Careful | layers[0] unit 0, example 0: the net input Infinity is beyond the largest float32",
                "beyond-range | Careful | loss: Infinity is beyond the largest float32",
                "beyond-range | Careful | gradient 0 (layer 0): Infinity is beyond the largest float32",
                "beyond-range | Careful | gradient 1 (layer 0): Infinity is beyond the largest float32",
            ]);
        // e^400 fits: a softmax of large but representable net inputs is no range issue
        Check(Softmax(400, 399, LossKind.HalfSse, [1, 0]), Precision.Float64, [], []);
    }

    /// <summary>Where the unshifted softmax overflows or underflows, its outputs (and all after them) have
    /// infinite bounds; shifted, an output that underflows to 0 keeps a bound of its floors: K·floor of
    /// the underflow term and two more.</summary>
    [Fact]
    public void An_unshifted_softmax_out_of_range_has_infinite_bounds_and_an_underflowed_output_its_floors()
    {
        static RoundingBounds Of(double a, double b, ErrorModel model) => RoundingBounds.Of(Exact.Compute(
            Network.Create(1, [new Layer(Activation.Softmax, new[,] { { a }, { b } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]])), model);
        ErrorModel textbook = ErrorModel.Textbook(Precision.Float64), careful = ErrorModel.Careful();
        Assert.All(Of(709.5, 709.4, textbook).Outputs[0], e => Assert.Equal(double.PositiveInfinity, e));
        Assert.All(Of(-800, -801, textbook).Outputs[0], e => Assert.Equal(double.PositiveInfinity, e));
        Assert.Equal(4 * careful.Floor, Of(0, -800, careful).Outputs[0][1]);       // e^−800 is 0 in double
    }

    /// <summary>
    /// Whether a net input is an exact sum in any order (float64): products exact, every term a multiple
    /// of 2^q for the smallest q among them, Σ|terms| &lt; 2^(q + 53). 2⁻⁶⁰ + 2⁻⁸ + 2⁻⁸ = 2⁻⁷ + 2⁻⁶⁰ needs 54
    /// bits: not exact, though each term is and the largest is below 2⁻⁷. Σ = 2⁻⁷ exactly (2⁻⁶⁰, 2⁻⁸ − 2⁻⁶⁰,
    /// 2⁻⁸) is not exact either: 2⁻⁸ + 2⁻⁸ + 2⁻⁶⁰ rounds. Without the 2⁻⁶⁰ (q = −8) the sum is exact.
    /// The lowest bit is read from the significand: 3·2⁻⁶⁰ = 1.1₂·2⁻⁵⁹ is a multiple of 2⁻⁶⁰, not 2⁻⁵⁹.
    /// </summary>
    [Fact]
    public void A_net_input_is_exact_only_when_its_terms_fit_one_binary_scale_of_53_bits()
    {
        static double NetBound(double[] weights)
        {
            var w = new double[1, weights.Length];
            for (int i = 0; i < weights.Length; i++) w[0, i] = weights[i];
            Network n = Network.Create(weights.Length, [new Layer(Activation.Identity, w, null, BiasMode.None)], LossKind.HalfSse, 0.5,
                [Enumerable.Repeat(1.0, weights.Length).ToArray()], [[0.0]]);
            return RoundingBounds.Of(Exact.Compute(n), ErrorModel.Careful()).Outputs[0][0];
        }
        double tiny = Math.ScaleB(1, -60), small = Math.ScaleB(1, -8);
        ErrorModel model = ErrorModel.Careful();
        Assert.Equal(model.Gamma(3) * (tiny + small + small) + 3 * model.Floor, NetBound([tiny, small, small]));
        Assert.Equal(model.Gamma(3) * (tiny + (small - tiny) + small) + 3 * model.Floor, NetBound([tiny, small - tiny, small]));
        Assert.Equal(0, NetBound([small, small, 3 * small]));
        // 3·2⁻⁶⁰ is a multiple of 2⁻⁶⁰ (its significand's lowest bit is not its first): 2⁻⁷ + 3·2⁻⁶⁰ needs 54 bits
        Assert.Equal(model.Gamma(2) * (3 * tiny + 2 * small) + 2 * model.Floor, NetBound([3 * tiny, 2 * small]));
        Assert.Equal(0, NetBound([0, small, 0]));
    }

    /// <summary>With K = 2 outputs and every operation exact, the loss's bound is its m·K = 2 floors.</summary>
    [Fact]
    public void The_loss_of_an_exact_network_with_two_outputs_has_m_times_k_floors()
    {
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 }, { 0.5 } }, [0.25, 0.25], BiasMode.Trainable)], LossKind.HalfSse, 0.5,
            [[0.5]], [[0.5, 0.5]]);
        Assert.Equal(2 * ErrorModel.Careful().Floor, RoundingBounds.Of(Exact.Compute(n), ErrorModel.Careful()).Loss);
    }

    /// <summary>A float64 implementation reads every number of the document exactly, subnormal ones
    /// too (rule 1): an input of 1e-310 adds no reading error, only the product's γ₁ and a floor (the
    /// product 5e-311 is subnormal, so the sum is not exact).</summary>
    [Fact]
    public void Float64_reads_even_a_subnormal_input_exactly()
    {
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1e-310]], [[0.0]]);
        ErrorModel model = ErrorModel.Careful();
        Assert.Equal(model.Gamma(1) * Math.Abs(0.5 * 1e-310) + model.Floor, RoundingBounds.Of(Exact.Compute(n), model).Outputs[0][0]);
    }
    /// <summary>ReLU units whose net inputs lie well clear of 0 (0.3·0.7 = 0.21 and −0.21, each within
    /// a few u of itself) are no kinks: their derivative is certain, in either precision and model.</summary>
    [Fact]
    public void Relu_units_with_net_inputs_clear_of_zero_are_no_ambiguous_kinks()
    {
        Network n = Network.Create(1, [new Layer(Activation.Relu, new[,] { { 0.3 }, { -0.3 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [[0.7]], [[0.2, 0.1]]);
        ExactValues x = Exact.Compute(n);
        foreach (Precision precision in new[] { Precision.Float64, Precision.Float32 })
            foreach (ErrorModel model in new[] { ErrorModel.Careful(precision), ErrorModel.Textbook(precision) })
            {
                RoundingBounds r = RoundingBounds.Of(x, model);
                Assert.Empty(r.AmbiguousKinks);
                Assert.Empty(r.Range);
            }
    }

    /// <summary>
    /// A bias takes part in the exactness of its net input (float64, w = x = 1): with b = 2⁻⁶⁰ the sum
    /// 1 + 2⁻⁶⁰ needs 61 bits, so it is not exact: rule 2 with two terms, γ₂·(1 + 2⁻⁶⁰) + 2 floors.
    /// With b = ½ it is (1.1₂): 0. A subnormal bias (1e-310, w = 0) may be flushed to 0, so it is not
    /// exact either, though it is the only nonzero term: γ₂·1e-310 + 2 floors.
    /// </summary>
    [Fact]
    public void A_bias_takes_part_in_whether_a_net_input_is_exact()
    {
        static double NetBound(double w, double b) => RoundingBounds.Of(Exact.Compute(
            Network.Create(1, [new Layer(Activation.Identity, new[,] { { w } }, [b], BiasMode.Trainable)], LossKind.HalfSse, 0.5, [[1.0]], [[0.0]])),
            ErrorModel.Careful()).Outputs[0][0];
        ErrorModel model = ErrorModel.Careful();
        double tiny = Math.ScaleB(1, -60);
        Assert.Equal(model.Gamma(2) * (1 + tiny) + 2 * model.Floor, NetBound(1, tiny));
        Assert.Equal(0, NetBound(1, 0.5));
        Assert.Equal(model.Gamma(2) * 1e-310 + 2 * model.Floor, NetBound(0, 1e-310));
    }

    /// <summary>A net input beyond float64 (1e200·1e200 = ∞) into a sigmoid or a tanh: the output's
    /// bound is infinite, not NaN. (The rule's max σ′ or sech² on [net − e, net + e] with net = e = ∞
    /// is taken at ∞ − ∞: NaN, times e = ∞; every bound that is NaN (∞·0, ∞ − ∞) stands for ∞.)</summary>
    [Theory]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void An_output_whose_net_input_is_beyond_float64_has_an_infinite_bound_not_nan(Activation activation)
    {
        Network n = Network.Create(1, [new Layer(activation, new[,] { { 1e200 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1e200]], [[0.5]]);
        ExactValues x = Exact.Compute(n);
        foreach (ErrorModel model in new[] { ErrorModel.Careful(), ErrorModel.Textbook(Precision.Float64) })
            Assert.Equal(double.PositiveInfinity, RoundingBounds.Of(x, model).Outputs[0][0]);
    }

    /// <summary>
    /// The unshifted softmax's overflow is judged on the largest net input plus its error: a net of
    /// ln(float32 max) = 88.72 (the double nearest it, no float32) is read in float32 with an error of
    /// u·88.72, so e^net may overflow float32 (the other net, 0, adds e^−88.72 to a sum of 1: nothing).
    /// The careful (shifted) softmax never overflows.
    /// </summary>
    [Fact]
    public void A_softmax_net_within_its_reading_error_of_ln_max_may_overflow_unshifted()
    {
        double lnMax = Math.Log(float.MaxValue);
        Assert.NotEqual(lnMax, (double)(float)lnMax);
        Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { lnMax }, { 0.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        ExactValues x = Exact.Compute(n);
        Assert.Empty(RoundingBounds.Of(x, ErrorModel.Careful(Precision.Float32)).Range);
        RoundingBounds r = RoundingBounds.Of(x, ErrorModel.Textbook(Precision.Float32));
        Assert.Equal([$"exp-overflow | UnshiftedSoftmax | layers[0] unit 0, example 0: e^net overflows float32 at net = {lnMax:G4} in a softmax without the max shift"],
            r.Range.Select(i => $"{i.Kind} | {i.By} | {i}"));
        Assert.All(r.Outputs[0], e => Assert.Equal(double.PositiveInfinity, e));
    }

    /// <summary>tanh from exponentials overflows at net 50 in float32 (e^100 is no float32); everything
    /// after that unit has infinite bounds. The layer above records nothing of its own: not "ln(o) with
    /// o = sigmoid(−1), which may round to 0" for the cross-entropy from probabilities, nor "e^net
    /// overflows" for an unshifted softmax over nets of ±1, nor σ′ from exponentials overflowing, though
    /// each sees an input of infinite bound. The one issue is the cause, and every answer's bound is infinite.</summary>
    [Theory]
    [InlineData(Activation.Sigmoid, LossKind.BinaryCrossEntropy)]
    [InlineData(Activation.Softmax, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Sigmoid, LossKind.HalfSse)]
    public void Downstream_of_an_overflowing_tanh_no_other_range_issue_is_recorded(Activation output, LossKind loss)
    {
        int K = output == Activation.Softmax ? 2 : 1;
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 50.0 } }, null, BiasMode.None),
                new Layer(output, K == 2 ? new[,] { { -1.0 }, { 1.0 } } : new[,] { { -1.0 } }, null, BiasMode.None)],
            loss, 0.5, [[1.0]], [K == 2 ? [1.0, 0.0] : [0.0]]);
        RoundingBounds r = RoundingBounds.Of(Exact.Compute(n), ErrorModel.Textbook(Precision.Float32));
        Assert.Equal(["tanh-exp-overflow | TanhFromExponentials | layers[0] unit 0, example 0"], r.Range.Select(i => $"{i.Kind} | {i.By} | {i.Where}"));
        Assert.True(double.IsInfinity(r.Loss));
        Assert.All(r.Gradient, g => Assert.Equal(double.PositiveInfinity, g));
    }

    /// <summary>A sigmoid output at z ≈ 0.3 whose z cancels two float32 terms of 5e7 (each read within
    /// 2, so z is known only to within a few units): o may be anything, and ln(o) may be ln 0. The reason says
    /// z's own bound, or "o = sigmoid(0.3) may round to 0" reads as impossible (a newcomer's report).</summary>
    [Fact]
    public void A_cross_entropy_range_issue_from_an_uncertain_logit_says_how_uncertain()
    {
        Network n = Network.Create(2, [new Layer(Activation.Sigmoid, new[,] { { 50000000.3, -50000000.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.0, 1.0]], [[1.0]]);
        RoundingBounds r = RoundingBounds.Of(Exact.Compute(n), ErrorModel.Textbook(Precision.Float32));
        Assert.Equal(["ln-of-zero", "division-by-zero"], r.Range.Select(i => i.Kind));
        RangeIssue issue = r.Range[0];
        Assert.Matches(@"^dE/do = \(o - t\)/\(o\(1 - o\)\) with o = sigmoid\(0\.3\d*\) \(z itself known only to within \d+(\.\d+)?\), where o\(1 - o\) may round to 0$", r.Range[1].Reason);
        Assert.Matches(@"^ln\(o\) with o = sigmoid\(0\.3\d*\) \(z itself known only to within \d+(\.\d+)?\), which may round to 0$", issue.Reason);
    }

    /// <summary>The clip's and the ε's tests compare a difference of two bounds with the move written out, to 1e-12
    /// relative: each bound is a sum that rounds, and the moves are 10⁴ times the rest of it and more (each test says
    /// why for its networks).</summary>
    static void Near(double expected, double actual) => Assert.InRange(actual, expected - 1e-12 * Math.Abs(expected), expected + 1e-12 * Math.Abs(expected));

    /// <summary>What an ε up to 1e-7 added inside the logarithm may move a loss term −t·ln o by, o computed within e
    /// and ln o exact: t·ln(1 + s/o) with s = ε(1 + u) + e, ln(1 + x) taken as x itself below x = 1e-3 (its bound
    /// there; 1 + x would round its digits away), and for s > o as (ln s − ln o) + ln(1 + o/s).</summary>
    static double EpsilonLoss(double t, double lnO, double e, double U)
    {
        double s = ErrorModel.ProbabilityClip * (1 + U) + e, o = Math.Exp(lnO);
        return t == 0 ? 0 : Math.Abs(t) * (o >= s ? (s / o < 1e-3 ? s / o : Math.Log(1 + s / o)) : Math.Log(s) - lnO + Math.Log(1 + o / s));
    }

    /// <summary>ε/(p + ε) at its largest, p known within e: how much of −t/p an ε in its denominator may take.</summary>
    static double Cut(double p, double e, double U) => ErrorModel.ProbabilityClip * (1 + U) / (Math.Max(0, p - e) + ErrorModel.ProbabilityClip * (1 + U));

    /// <summary>How far a sigmoid output's δ (m examples) may move with an ε in ∂E/∂o = −t/(o + ε) + (1 − t)/(1 − o + ε):
    /// t(1 − o)·ε/(o + ε) + (1 − t)·o·ε/(1 − o + ε), each o with its error, 1 − o = σ(−z) with its subtraction's.</summary>
    static double EpsilonSigmoidDelta(double z, double o, double eO, double t, double eT, int m, double U)
    {
        double oneMinusO = 1 / (1 + Math.Exp(z)), e1 = eO + U * oneMinusO;
        return ((Math.Abs(t) + eT) * (oneMinusO + e1) * Cut(o, eO, U) + (Math.Abs(1 - t) + eT) * (o + eO) * Cut(oneMinusO, e1, U)) / m;
    }

    /// <summary>The same under a softmax: o_k·Δg_k = t_k·ε/(o_k + ε)/m =: a_k, and δ_j moves by a_j + o_j·Σ_k a_k.</summary>
    static double[] EpsilonSoftmaxDelta(double[] o, double[] eO, double[] t, double[] eT, int m, double U)
    {
        double[] a = o.Select((ok, k) => (Math.Abs(t[k]) + eT[k]) * Cut(ok, eO[k], U) / m).ToArray();
        return o.Select((oj, j) => a[j] + (oj + eO[j]) * a.Sum()).ToArray();
    }

    /// <summary>
    /// Where a framework's clip of the probabilities may act (o or 1 − o below 1e-7), the bounds grow by what
    /// it may move: a sigmoid output's δ by |o − t|/m (with o's and t's errors: the clip's derivative makes it
    /// 0, PyTorch's max(o(1 − o), 1e-12) a fraction of it) and its loss term by t·(ln ε − ln o) + 2(ε + u) per
    /// side; a softmax output k with t_k ≠ 0 moves δ_k by t_k·(1 − o_k + e(o_k))/m and every other δ_j by
    /// t_k·(o_j + e(o_j))/m. An ε inside the logarithm moves every cross-entropy, clipped or not (the helpers
    /// above); an implementation does one or the other, so each answer's bound grows by the larger move. Each pinned as the difference from the pass without the clip, to 1e-12 relative (the two bounds
    /// are sums that each round; the shifts here are 10⁴ times the rest of the bound and more). Where nothing is
    /// clipped the bounds differ by the ε's shifts alone; under a squared loss they are the same.
    /// </summary>
    [Fact]
    public void A_clipped_probability_widens_the_bounds_by_what_the_clip_may_move()
    {
        double eps = ErrorModel.ProbabilityClip, U = ErrorModel.Textbook(Precision.Float64).U, lnEps = Math.Log(eps * (1 + U));
        static (RoundingBounds all, RoundingBounds unclipped, ExactValues x) Passes(Network n)
        {
            ExactValues x = Exact.Compute(n);
            ErrorModel textbook = ErrorModel.Textbook(Precision.Float64);
            return (RoundingBounds.Of(x, textbook), RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities)), x);
        }

        // one sigmoid unit at z = −20 (o = 2.06e-9), x = 1 exact, one example
        foreach (double t in new[] { 1.0, 0.0 })
        {
            var (all, unclipped, x) = Passes(Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -20.0 } }, null, BiasMode.None)],
                LossKind.BinaryCrossEntropy, 0.5, [[1.0]], [[t]]));
            double o = x.Out[0][0][0], eO = all.Outputs[0][0], lnO = -20 - Math.Log(1 + Math.Exp(-20));
            // t·ln o moves by t·(ln ε − ln o) + 2(ε + u); (1 − t)·ln(1 − o), with 1 − o near 1, by (1 − t)·2(ε + u); and the ε's shifts
            Near(Math.Max(t * (lnEps - lnO + 2 * (eps + U)), EpsilonLoss(t, lnO, eO, U)) + Math.Max((1 - t) * 2 * (eps + U), EpsilonLoss(1 - t, lnO + 20, eO + U * (1 - o), U)),
                all.Loss - unclipped.Loss);
            Near(Math.Max(Math.Abs(o - t) + eO, EpsilonSigmoidDelta(-20, o, eO, t, 0, 1, U)), all.Gradient[0] - unclipped.Gradient[0]);
        }

        // a softmax of nets 0 and −20 under targets ½, ½: both outputs in the clip (1 − o_0 = o_1 = 2.06e-9)
        static Network Softmax(double[] t) => Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 0.0 }, { -20.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0]], [t]);
        {
            var (all, unclipped, x) = Passes(Softmax([0.5, 0.5]));
            double[] o = x.Out[0][0], eO = all.Outputs[0];
            double lse = Math.Log(1 + Math.Exp(-20));
            double[] d = EpsilonSoftmaxDelta(o, eO, [0.5, 0.5], [0, 0], 1, U);
            Near(Math.Max(0.5 * (0 + 2 * (eps + U)), EpsilonLoss(0.5, -lse, eO[0], U)) + Math.Max(0.5 * (lnEps - (-20 - lse) + 2 * (eps + U)), EpsilonLoss(0.5, -20 - lse, eO[1], U)),
                all.Loss - unclipped.Loss);
            Near(Math.Max(0.5 * (1 - o[0] + eO[0]) + 0.5 * (o[0] + eO[0]), d[0]), all.Gradient[0] - unclipped.Gradient[0]);
            Near(Math.Max(0.5 * (o[1] + eO[1]) + 0.5 * (1 - o[1] + eO[1]), d[1]), all.Gradient[1] - unclipped.Gradient[1]);
        }
        // targets 1, 0: only output 0 (near 1, target 1) is clipped; output 1's target is 0
        {
            var (all, unclipped, x) = Passes(Softmax([1.0, 0.0]));
            double[] o = x.Out[0][0], eO = all.Outputs[0];
            double[] d = EpsilonSoftmaxDelta(o, eO, [1, 0], [0, 0], 1, U);
            Near(Math.Max(2 * (eps + U), EpsilonLoss(1, -Math.Log(1 + Math.Exp(-20)), eO[0], U)), all.Loss - unclipped.Loss);
            Near(Math.Max(1 - o[0] + eO[0], d[0]), all.Gradient[0] - unclipped.Gradient[0]);
            Near(Math.Max(o[1] + eO[1], d[1]), all.Gradient[1] - unclipped.Gradient[1]);
        }
        // nets 0 and −5 (o_1 = 6.7e-3): nothing is clipped, the bounds differ by the ε's shifts alone
        {
            ExactValues x = Exact.Compute(Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 0.0 }, { -5.0 } }, null, BiasMode.None)],
                LossKind.SoftmaxCrossEntropy, 0.5, [[1.0]], [[0.5, 0.5]]));
            ErrorModel textbook = ErrorModel.Textbook(Precision.Float64);
            RoundingBounds all = RoundingBounds.Of(x, textbook), unclipped = RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities));
            double[] o = x.Out[0][0], eO = all.Outputs[0];
            double lse = Math.Log(1 + Math.Exp(-5));
            double[] d = EpsilonSoftmaxDelta(o, eO, [0.5, 0.5], [0, 0], 1, U);
            Near(EpsilonLoss(0.5, -lse, eO[0], U) + EpsilonLoss(0.5, -5 - lse, eO[1], U), all.Loss - unclipped.Loss);
            Near(d[0], all.Gradient[0] - unclipped.Gradient[0]);
            Near(d[1], all.Gradient[1] - unclipped.Gradient[1]);
        }
        // a squared loss: neither the clip nor the ε has a logarithm to act on
        {
            ExactValues x = Exact.Compute(Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -20.0 } }, null, BiasMode.None)],
                LossKind.HalfSse, 0.5, [[1.0]], [[1.0]]));
            ErrorModel textbook = ErrorModel.Textbook(Precision.Float64);
            RoundingBounds all = RoundingBounds.Of(x, textbook), unclipped = RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities));
            Assert.Equal(unclipped.Loss, all.Loss);
            Assert.Equal(unclipped.Gradient, all.Gradient);
        }
    }

    /// <summary>
    /// The clip's shifts as above, where the first test cannot see them: a batch of two (each shift is /m),
    /// float32 (where e(t) and e(o) are not negligible beside |o − t| and o_j, and ε(1 + u) is not ε to
    /// 1e-12), a sigmoid output near 1 (z = +20: 1 − o = 2.06e-9 is clipped, and its term (1 − t)·ln(1 − o)
    /// moves), a softmax whose largest net is not 0 (nets 3 and −17: ln o_k = z_k − LSE with the shift
    /// c = 3), and a logit beyond exp's range (z = ±800: ln σ(z) from the branch that cannot overflow,
    /// or the shift would be ∞). Pinned to 1e-12 relative as above: the shifts are sums of a few terms of
    /// size 1 to 20, the bounds they are added to 10⁴ times smaller, the gradient's bound carries a 2⁻⁴⁰
    /// relative margin (9.1e-13) of its own.
    /// </summary>
    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void A_clipped_probability_widens_each_examples_bounds_in_either_precision(Precision precision)
    {
        ErrorModel textbook = ErrorModel.Textbook(precision);
        PrecisionProfile p = textbook.Profile;
        double eps = ErrorModel.ProbabilityClip, U = textbook.U, lnEps = Math.Log(eps * (1 + U));
        double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;
        double Shift(double t, double lnO) => Math.Abs(t) * (Math.Max(0, lnEps - lnO) + 2 * (eps + U));   // the move of −t·ln o (the test above)

        // one sigmoid unit, w = 1, x = −20 (o = 2.06e-9, t = 0.9) and x = +20 (1 − o = 2.06e-9, t = 0.3), m = 2; in
        // float32 x = −17 for the second (σ(20) rounds to 1 there, and ln(1 − o) is the textbook's range issue)
        {
            double second = precision == Precision.Float64 ? 20 : -17;
            Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
                LossKind.BinaryCrossEntropy, 0.5, [[-20.0], [second]], [[0.9], [0.3]]);
            ExactValues x = Exact.Compute(n);
            RoundingBounds all = RoundingBounds.Of(x, textbook), unclipped = RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities));
            double loss = 0, gradient = 0;
            for (int e = 0; e < 2; e++)
            {
                double z = x.Net[0][e][0], o = x.Out[0][e][0], t = n.T[e][0];
                double lnO = z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));   // ln σ(z); ln(1 − o) = ln σ(z) − z
                double eO = all.Outputs[e][0];
                loss += (Math.Max(Shift(t, lnO), EpsilonLoss(t, lnO, eO, U)) + Math.Max(Shift(1 - t, lnO - z), EpsilonLoss(1 - t, lnO - z, eO + U / (1 + Math.Exp(z)), U))) / 2;
                // δ's shift times |x| = 20
                gradient += Math.Abs(n.X[e][0]) * Math.Max((Math.Abs(o - t) + eO + Read(t)) / 2, EpsilonSigmoidDelta(z, o, eO, t, Read(t), 2, U));
            }
            Near(loss, all.Loss - unclipped.Loss);
            Near(gradient, all.Gradient[0] - unclipped.Gradient[0]);
        }

        // a softmax of nets 3 and −17 (o_1 = 2.06e-9), m = 2: targets (0, 1), only output 1 clipped, and (½, ½), both
        {
            Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 3.0 }, { -17.0 } }, null, BiasMode.None)],
                LossKind.SoftmaxCrossEntropy, 0.5, [[1.0], [1.0]], [[0.0, 1.0], [0.5, 0.5]]);
            ExactValues x = Exact.Compute(n);
            RoundingBounds all = RoundingBounds.Of(x, textbook), unclipped = RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities));
            double lse = 3 + Math.Log(1 + Math.Exp(-20));
            double[] o = x.Out[0][0], eO = all.Outputs[0];
            Assert.Equal(eO, all.Outputs[1]);
            Near((Math.Max(Shift(1, -17 - lse), EpsilonLoss(1, -17 - lse, eO[1], U)) + Math.Max(Shift(0.5, 3 - lse), EpsilonLoss(0.5, 3 - lse, eO[0], U))
                  + Math.Max(Shift(0.5, -17 - lse), EpsilonLoss(0.5, -17 - lse, eO[1], U))) / 2, all.Loss - unclipped.Loss);
            // output 1 clipped with t = 1 moves δ_1 by 1 − o_1 and δ_0 by o_0; with t = ½ each clipped output by half of that; or the ε
            double[] eps0 = EpsilonSoftmaxDelta(o, eO, [0, 1], [0, 0], 2, U), eps1 = EpsilonSoftmaxDelta(o, eO, [0.5, 0.5], [0, 0], 2, U);
            double[] clip0 = [(o[0] + eO[0]) / 2, (1 - o[1] + eO[1]) / 2];
            double[] clip1 = [(0.5 * (1 - o[0] + eO[0]) + 0.5 * (o[0] + eO[0])) / 2, (0.5 * (o[1] + eO[1]) + 0.5 * (1 - o[1] + eO[1])) / 2];
            Near(Math.Max(clip0[0], eps0[0]) + Math.Max(clip1[0], eps1[0]), all.Gradient[0] - unclipped.Gradient[0]);
            Near(Math.Max(clip0[1], eps0[1]) + Math.Max(clip1[1], eps1[1]), all.Gradient[1] - unclipped.Gradient[1]);
        }

        // z = −800 (t = 1) and z = +800 (t = 0): the clip alone beside careful arithmetic (the textbook's library
        // functions, as the clip's pass has them), whose loss from the
        // logit is finite there; ln o = −800 and ln(1 − o) = −800 move the terms by ln ε + 800 (the clip) or ln(1 + ε/o) (the ε)
        foreach (double z in new[] { -800.0, 800.0 })
        {
            double t = z < 0 ? 1 : 0;
            ExactValues x = Exact.Compute(Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { z } }, null, BiasMode.None)],
                LossKind.BinaryCrossEntropy, 0.5, [[1.0]], [[t]]));
            RoundingBounds clip = RoundingBounds.Of(x, textbook.Only(Formulation.ClampedProbabilities)), careful = RoundingBounds.Of(x, textbook.Only(Formulation.Careful));
            Assert.Empty(clip.Range);
            double o = x.Out[0][0][0], eO = clip.Outputs[0][0];
            // the term of the target's side, t·ln o or (1 − t)·ln(1 − o), both ln 1e-300-ish = −800: the clip's move and the ε's
            Near(Math.Max(Shift(1, -800), z < 0 ? EpsilonLoss(1, -800, eO, U) : EpsilonLoss(1, -800, eO + U / (1 + Math.Exp(z)), U)), clip.Loss - careful.Loss);
            Near(Math.Max(1 + eO, EpsilonSigmoidDelta(z, o, eO, t, 0, 1, U)), clip.Gradient[0] - careful.Gradient[0]);
        }
    }

    /// <summary>
    /// An ε inside the logarithm moves outputs no clip reaches: one sigmoid unit at z = −10 (o = 4.5e-5, where
    /// s/o = 2.2e-3 and ln(1 + s/o) is taken as it is), z = −5 (o = 6.7e-3: s/o = 1.5e-5, bounded by s/o itself)
    /// and z = +12 (1 − o = 6.1e-6, the (1 − t) side), targets 0.9, 0.3, 0.6 (no float32s: in float32 e(t) counts),
    /// m = 3. The loss grows by the three examples' ε moves over m, the gradient by Σ |x|·(δ's move); to 1e-12
    /// relative, as above (the moves are 10³ times the rest of the bound and more).
    /// </summary>
    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void An_epsilon_inside_the_logarithm_widens_the_bounds_of_outputs_no_clip_reaches(Precision precision)
    {
        ErrorModel textbook = ErrorModel.Textbook(precision);
        PrecisionProfile p = textbook.Profile;
        double U = textbook.U;
        double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[-10.0], [-5.0], [12.0]], [[0.9], [0.3], [0.6]]);
        ExactValues x = Exact.Compute(n);
        RoundingBounds all = RoundingBounds.Of(x, textbook), unclipped = RoundingBounds.Of(x, textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities));
        double loss = 0, gradient = 0;
        for (int e = 0; e < 3; e++)
        {
            double z = x.Net[0][e][0], o = x.Out[0][e][0], t = n.T[e][0], eO = all.Outputs[e][0];
            Assert.False(textbook.ProbabilityMayBeClamped(o, 1 / (1 + Math.Exp(z)), eO));
            double lnO = z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));
            loss += (EpsilonLoss(t, lnO, eO, U) + EpsilonLoss(1 - t, lnO - z, eO + U / (1 + Math.Exp(z)), U)) / 3;
            gradient += Math.Abs(n.X[e][0]) * EpsilonSigmoidDelta(z, o, eO, t, Read(t), 3, U);
        }
        Near(loss, all.Loss - unclipped.Loss);
        Near(gradient, all.Gradient[0] - unclipped.Gradient[0]);
    }

    /// <summary>
    /// A sum whose partial sums may overflow (SumOverflowTests) is a range issue from the edge the rule
    /// states: its terms' magnitudes with γ₂ for their own rounding, plus the errors they carry, times the
    /// factor applied after the sum, beyond the largest number. In float32: terms 0x1.fffffap127 and 2⁸¹
    /// (both float32s, read exactly) reach float32's largest, 0x1.fffffep127, exactly with γ₂: at the edge,
    /// not beyond, nothing is recorded; terms 0x1.fffffap127 and 2¹⁰³ pass it by γ₂ alone;
    /// 0x1.fffff9p127, no float32, passes it only with its reading error u·|w| carried (γ₂·|w| is 4 of the
    /// 5·2¹⁰³ to the edge, the reading error 2 more). The issue names the terms' magnitude (the half-sse
    /// network of P6: (t − o)² = 4.84e38 before the ½).
    /// </summary>
    [Fact]
    public void A_sum_is_a_range_issue_from_where_its_terms_with_their_margins_pass_the_largest_number()
    {
        // an identity unit over inputs of 1 with weights w, its target t
        static Network Net(double[] w, double t)
        {
            var W = new double[1, w.Length];
            for (int i = 0; i < w.Length; i++) W[0, i] = w[i];
            return Network.Create(w.Length, [new Layer(Activation.Identity, W, null, BiasMode.None)], LossKind.HalfSse, 0.5, [w.Select(_ => 1.0).ToArray()], [[t]]);
        }
        static RoundingBounds Of(Network n) => RoundingBounds.Of(Exact.Compute(n), ErrorModel.Textbook(Precision.Float32));
        double max = float.MaxValue, gamma2 = ErrorModel.Textbook(Precision.Float32).Gamma(2);

        double[] edge = [Math.ScaleB(0x1fffffa, 103), Math.ScaleB(1, 81)];                  // 0x1.fffffap127 and 2⁸¹
        Assert.Equal(max, edge.Sum() * (1 + gamma2));                                   // exactly at the edge
        Assert.Empty(Of(Net(edge, edge.Sum())).Range);

        double[] above = [Math.ScaleB(0x1fffffa, 103), Math.ScaleB(1, 103)];               // 0x1.fffffap127 and 2¹⁰³: 0x1.fffffbp127, no float32
        Assert.True(above.Sum() < max);
        Assert.Equal(["layers[0] unit 0, example 0: the net input's sum: its terms add up to 3.403E+38 in magnitude, beyond the largest float32, so a partial sum may overflow"],
            Of(Net(above, above.Sum())).Range.Select(r => $"{r.Where}: {r.Reason}"));

        double carried = Math.ScaleB(0x1fffff9, 103);                                   // 0x1.fffff9p127: no float32, read with error u·|w|
        Assert.True(carried * (1 + gamma2) < max);
        Assert.Equal(["layers[0] unit 0, example 0: the net input's sum: its terms add up to 3.403E+38 in magnitude, beyond the largest float32, so a partial sum may overflow"],
            Of(Net([carried], carried)).Range.Select(r => $"{r.Where}: {r.Reason}"));

        Assert.Contains("loss: the loss's sum over the batch and the outputs: its terms add up to 4.84E+38 in magnitude, beyond the largest float32, so a partial sum may overflow",
            Of(Net([2.2e19], 0)).Range.Select(r => $"{r.Where}: {r.Reason}"));
    }
}
