using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Judging;

/// <summary>Why a formulation cannot represent an answer of a network: where, and what happens there.
/// <see cref="Kind"/> groups them in reports: ln-of-zero, division-by-zero, exp-overflow (the softmax), tanh-exp-overflow,
/// sigmoid-exp-overflow, sigmoid-derivative-exp-overflow, beyond-range. An issue is not recorded where the operation's own inputs
/// have infinite bounds from an issue recorded before: downstream of it every bound is infinite already, and the cause is upstream
/// (a softmax over nets a tanh's overflow made unbounded would otherwise read "e^net overflows" at net 3).</summary>
public sealed record RangeIssue(string Where, string Reason, string Kind = "beyond-range", Formulation By = Formulation.Careful)
{
    public override string ToString() => $"{Where}: {Reason}";
}

/// <summary>
/// How far a correct implementation's answers may lie from the exact ones, under one
/// <see cref="ErrorModel"/>: a bound for every output, the loss and every gradient entry, computed
/// in one pass over the network (the magnitude pass: backprop's own loops on absolute values, each
/// operation adding its rounding as <see cref="ErrorModel"/> states it), so O(P) like backprop.
/// Infinite bounds mark answers the formulations may fail to represent (<see cref="Range"/>).
/// </summary>
public sealed class RoundingBounds
{
    public required ErrorModel Model { get; init; }
    public required double[][] Outputs { get; init; }   // [m][outputs]
    public required double Loss { get; init; }
    public required double[] Gradient { get; init; }    // [P] in ParameterIndex order
    /// <summary>Where the formulations may produce ln 0, an overflow or a division by 0: a non-finite
    /// answer or an error reply on this network is then a range finding, not a bug.</summary>
    public required IReadOnlyList<RangeIssue> Range { get; init; }
    /// <summary>ReLU units whose net input lies within its own rounding of 0: either derivative is
    /// correct there (<see cref="ErrorModel.ReluDerivativeError"/>), so the gradients through them
    /// have bounds as large as their values.</summary>
    public required IReadOnlyList<string> AmbiguousKinks { get; init; }

    public static RoundingBounds Of(ExactValues x, ErrorModel model) => new Pass(x, model).Run();

    // ---------------------------------------------------------------- rules of one operation, pure (tested on their own)

    /// <summary>How far −t·ln(o′ + ε) may lie from −t·ln o, for an ε up to 1e-7 added inside the logarithm and
    /// o′ computed within e of o (ln o exact): t·ln(1 + s/o), s = ε(1 + u) + e, as ln(1 + s/o) where s ≤ o
    /// (bounded by s/o itself below 1e-3, where 1 + s/o would round away its digits), and as
    /// (ln s − ln o) + ln(1 + o/s) where s > o, both terms positive (o may underflow to 0 there: ln o is exact).</summary>
    internal static double EpsilonShift(double t, double lnO, double e, double u)
    {
        if (t == 0) return 0;
        double s = ErrorModel.ProbabilityClip * (1 + u) + e, o = Math.Exp(lnO);
        double r = o >= s ? (s / o < 1e-3 ? s / o : Math.Log(1 + s / o)) : Math.Log(s) - lnO + Math.Log(1 + o / s);
        return Math.Abs(t) * r;
    }

    /// <summary>
    /// The softmax Jacobian applied to g. Careful: o_j·(g_j·Σ_{k≠j} o_k − Σ_{k≠j} g_k·o_k), the
    /// roundings of its K + 2 operations on the magnitudes of its terms. From out: o_j·(g_j − Σ_k g_k·o_k),
    /// which keeps u·|g_j| of the difference even when o_j ≈ 1 makes δ_j tiny; or the matrix formed
    /// first, δ_j = Σ_k o_k·([k = j] − o_j)·g_k: the same magnitudes (o_j·|g_j|·|1 − o_j| ≤ o_j·|g_j|·(1 + o_j)),
    /// one rounding more per term (γ_{K+2}), and each product o_k·o_j below the smallest normal
    /// number wrong by up to itself, which |g_k| multiplies (<see cref="UnderflowingProducts"/>).
    /// With the unfused cross-entropy, g_k = −t_k/o_k is huge where o_k is tiny, and o_k·o_j
    /// underflowing loses o_j·t_k whole (random:5078 of seed 90210: δ = 0 for an exact 1e-165).
    /// </summary>
    internal static double[] SoftmaxJacobianErrors(ErrorModel model, double[] o, double[] eO, double[] g, double[] eG, double[] delta)
    {
        int K = o.Length;
        double U = model.U, floor = model.Floor;
        var err = new double[K];                           // [units]
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
                             + U * Math.Abs(delta[j]) + K * floor;
            if (model.Allows(Formulation.DerivativesFromOut))
            {
                double innerOut = Math.Abs(g[j]) + restGO + Math.Abs(g[j]) * o[j];
                double eInner = eG[j] * (1 + o[j]) + eRestGO + Math.Abs(g[j]) * eO[j] + model.Gamma(K + 2) * innerOut;
                careful = Math.Max(careful, eO[j] * innerOut + o[j] * eInner + U * Math.Abs(delta[j]) + K * floor + UnderflowingProducts(o, eO, g, eG, j, model.Profile.MinNormal));
            }
            err[j] = careful;
        }
        return err;
    }

    /// <summary>The matrix form's products J_kj = o_k·([k = j] − o_j), at most p_k·p_j with p = o + e(o)
    /// (p_j alone on the diagonal, 1 − o_j ≤ 1): one below the smallest normal number may flush to 0,
    /// so it errs by up to itself, which g_k (within e(g_k)) multiplies; a normal one errs by u, counted in γ.</summary>
    internal static double UnderflowingProducts(double[] o, double[] eO, double[] g, double[] eG, int j, double minNormal)
    {
        double pj = o[j] + eO[j], lost = 0;
        for (int k = 0; k < o.Length; k++)
        {
            double pk = k == j ? 1 : o[k] + eO[k];
            // p_j·p_k itself may underflow here, so compared as p_j < floor/p_k and taken as p_j·(p_k·|g_k|)
            if (pj < minNormal / pk) lost += pj * (pk * (Math.Abs(g[k]) + eG[k]));
        }
        return lost;
    }

    /// <summary>One run of the magnitude pass. Arrays carry the documents' names with an e for
    /// "error bound of": eNet, eOut, eG (of ∂E/∂out), eDelta.</summary>
    sealed class Pass(ExactValues x, ErrorModel model)
    {
        readonly Network n = x.Network;
        readonly PrecisionProfile p = model.Profile;
        readonly double U = model.U, floor = model.Floor;
        readonly List<RangeIssue> range = [];
        readonly List<string> kinks = [];
        double[][][] eNet = [], eOut = [];                    // [layers][m][units]

        public RoundingBounds Run()
        {
            CheckInputsInRange();
            (eNet, eOut) = ForwardErrors();
            double loss = LossError();
            double[][][] eDelta = BackwardErrors();
            double[] gradient = GradientErrors(eDelta);
            return new RoundingBounds
            {
                Model = model, Outputs = eOut[^1], Loss = loss, Gradient = gradient, Range = range, AmbiguousKinks = kinks,
            };
        }

        double Read(double v) => p.RoundsInputs ? p.StoreError(v) : 0;

        /// <summary>Whether an input's bound is infinite because of a range issue already recorded upstream:
        /// then an operation on it records none of its own (the cause is the upstream one).</summary>
        bool Upstream(double e) => !double.IsFinite(e) && range.Count > 0;

        /// <summary>A range issue of the cross-entropy from probabilities at output k of example e, unless the
        /// output's bound <paramref name="eO"/> is infinite from upstream.</summary>
        void FromProbabilities(double eO, int k, int e, string reason, string kind)
        {
            if (!Upstream(eO)) range.Add(new RangeIssue($"output {k}, example {e}", reason, kind, Formulation.LossesFromProbabilities));
        }

        /// <summary>A logit's own bound, where it is wide enough to be the reason: at z = 27.6, "o may round
        /// to 0" reads as impossible unless it says z is known only to within 30.</summary>
        static string KnownWithin(double eZ) => eZ >= 1 ? $" (z itself known only to within {eZ:G3})" : "";

        /// <summary>An infinite bound times a zero (∞·0) is NaN: it stays infinite, as the answer
        /// it bounds may be NaN there (0·∞ in the implementation too).</summary>
        static double Sane(double e) => double.IsNaN(e) ? double.PositiveInfinity : e;

        static double[] Sane(double[] e)
        {
            for (int i = 0; i < e.Length; i++) e[i] = Sane(e[i]);
            return e;
        }

        void CheckInputsInRange()
        {
            for (int l = 0; l < n.Layers.Count; l++)
            {
                Layer layer = n.Layers[l];
                for (int j = 0; j < layer.Units; j++)
                {
                    for (int i = 0; i < layer.FanIn; i++)
                        if (!p.InRange(layer.W[j, i])) OutOfRange($"layers[{l}].weights[{j}][{i}]", layer.W[j, i]);
                    if (layer.B is { } b && !p.InRange(b[j])) OutOfRange($"layers[{l}].biases[{j}]", b[j]);
                }
            }
            for (int e = 0; e < n.BatchSize; e++)
                for (int i = 0; i < n.Inputs; i++)
                    if (!p.InRange(n.X[e][i])) OutOfRange($"batch.inputs[{e}][{i}]", n.X[e][i]);
        }

        void OutOfRange(string where, double v) => range.Add(new RangeIssue(where, $"{v:R} is beyond the largest {p.Name}"));

        /// <summary>
        /// A sum's bound, infinite where a partial sum may overflow: its terms' magnitudes (times
        /// <paramref name="scale"/>, where a factor may be applied after the sum: the 1/m of a mean, the
        /// ½ of a squared error) add up past the largest number, so some order of adding them (the
        /// document's own, i = 0, 1, …) passes it though the sum is representable (2e38 + 2e38 − 2e38 in
        /// float32). Careful arithmetic overflows there too: a range issue of every formulation.
        /// <paramref name="value"/> is the sum's exact value.
        /// </summary>
        double SumBound(double bound, double size, double carried, double scale, double value, string where, string what)
        {
            if (!((size * (1 + model.Gamma(2)) + carried) * scale > p.Max)) return bound;
            // a sum whose own value is beyond the precision is that range issue (recorded where it is
            // found; its bound is infinite here, as Σ|terms| ≥ |value|: a float32 gradient of 4e38 once
            // kept a finite bound, computed in double, and its ∞ was called wrong), and one whose terms
            // are unbounded from upstream has its cause there
            if (!p.InRange(value) || Upstream(carried)) return double.PositiveInfinity;
            range.Add(new RangeIssue(where, $"{what}: its terms add up to {size * scale:G4} in magnitude, beyond the largest {p.Name}, so a partial sum may overflow", "sum-overflow"));
            return double.PositiveInfinity;
        }

        // ---------------------------------------------------------------- forward

        (double[][][] eNet, double[][][] eOut) ForwardErrors()
        {
            int L = n.Layers.Count, m = n.BatchSize;
            var eNet = new double[L][][];                      // [layers][m][units]
            var eOut = new double[L][][];                      // [layers][m][units]
            for (int l = 0; l < L; l++) { eNet[l] = new double[m][]; eOut[l] = new double[m][]; }
            for (int e = 0; e < m; e++)
            {
                double[] input = n.X[e];
                double[] eIn = input.Select(Read).ToArray();
                for (int l = 0; l < L; l++)
                {
                    Layer layer = n.Layers[l];
                    eNet[l][e] = new double[layer.Units];
                    for (int j = 0; j < layer.Units; j++) eNet[l][e][j] = Sane(NetError(l, e, layer, j, input, eIn));
                    eOut[l][e] = Sane(OutErrors(l, e, layer.Activation, x.Net[l][e], eNet[l][e], x.Out[l][e]));
                    input = x.Out[l][e];
                    eIn = eOut[l][e];
                }
            }
            return (eNet, eOut);
        }

        /// <summary>net_j = Σ_i W[j, i]·in_i + b_j: a sum of fan-in + 1 terms in any order (rule 2),
        /// exact when its terms allow (<see cref="ExactSum"/>).</summary>
        double NetError(int l, int e, Layer layer, int j, double[] input, double[] eIn)
        {
            int terms = layer.FanIn + (layer.B is null ? 0 : 1);
            double size = 0, carried = 0;
            for (int i = 0; i < layer.FanIn; i++)
            {
                double w = layer.W[j, i], eW = Read(w);
                size += Math.Abs(w * input[i]);
                carried += Math.Abs(w) * eIn[i] + eW * Math.Abs(input[i]) + eW * eIn[i];
            }
            if (layer.B is { } b) { size += Math.Abs(b[j]); carried += Read(b[j]); }
            if (carried == 0 && ExactSum(layer, j, input)) return 0;
            return SumBound(carried + model.Gamma(terms) * size + terms * floor, size, carried, 1, x.Net[l][e][j], $"layers[{l}] unit {j}, example {e}", "the net input's sum");
        }

        /// <summary>
        /// Whether every implementation computes this net input exactly, in any order: each product
        /// W·in is exact in the precision (checked with a fused multiply-add in double; a float32
        /// product of two float32s is exact in double), every term is a multiple of 2^q for the
        /// smallest q among them, and Σ|terms| &lt; 2^{q + bits}, so every partial sum is a multiple
        /// of 2^q smaller than 2^{q + bits}: representable. Simple weights (the generator's k/2) and
        /// a ReLU placed exactly on its kink are exact; most sums are not.
        /// </summary>
        bool ExactSum(Layer layer, int j, double[] input)
        {
            var terms = new List<double>(layer.FanIn + 1);
            for (int i = 0; i < layer.FanIn; i++)
            {
                double w = layer.W[j, i], product = w * input[i];
                bool exact = p.Precision == Precision.Float64
                    ? Math.FusedMultiplyAdd(w, input[i], -product) == 0
                    : p.Exact(w) && p.Exact(input[i]);
                if (!exact || !p.Exact(product)) return false;
                terms.Add(product);
            }
            if (layer.B is { } b) { if (!p.Exact(b[j])) return false; terms.Add(b[j]); }
            double[] nonzero = terms.Where(t => t != 0).ToArray();
            if (nonzero.Length == 0) return true;
            int q = nonzero.Min(LowestBit);
            return nonzero.Sum(Math.Abs) < Math.ScaleB(1, q + p.Bits);
        }

        /// <summary>The exponent of the lowest set bit of a nonzero double: v is a multiple of 2^that.</summary>
        static int LowestBit(double v)
        {
            long bits = BitConverter.DoubleToInt64Bits(v);
            int exponent = (int)((bits >> 52) & 0x7FF);
            long mantissa = bits & ((1L << 52) - 1);
            if (exponent == 0) return -1074 + System.Numerics.BitOperations.TrailingZeroCount(mantissa);
            return exponent - 1075 + System.Numerics.BitOperations.TrailingZeroCount(mantissa | (1L << 52));
        }

        /// <summary>ln Σ e^(net_j + e(net_j)): the largest the unshifted softmax's sum can be, as a logarithm.</summary>
        static double LogSumExp(double[] net, double[] eNet)
        {
            double c = double.NegativeInfinity;
            for (int j = 0; j < net.Length; j++) c = Math.Max(c, net[j] + eNet[j]);
            double s = 0;
            for (int j = 0; j < net.Length; j++) s += Math.Exp(net[j] + eNet[j] - c);
            return c + Math.Log(s);
        }

        double[] OutErrors(int l, int e, Activation f, double[] net, double[] eNetRow, double[] @out)
        {
            var err = new double[net.Length];                  // [units]
            for (int j = 0; j < net.Length; j++)
                if (!p.InRange(net[j]))
                    range.Add(new RangeIssue($"layers[{l}] unit {j}, example {e}", $"the net input {net[j]:G4} is beyond the largest {p.Name}"));
            if (f == Activation.Softmax)
            {
                double maxENet = eNetRow.Max();
                if (model.Allows(Formulation.UnshiftedSoftmax) && !eNetRow.Any(Upstream) && model.ExpOverflows(LogSumExp(net, eNetRow)))
                {
                    // e^net = ∞, or Σ e^net = ∞ (two nets of 709.5 each fit, their sum does not): ∞/∞ = NaN,
                    // or e^net/∞ = 0 for every output, and everything after it
                    range.Add(new RangeIssue($"layers[{l}] unit {Array.IndexOf(net, net.Max())}, example {e}",
                        $"e^net overflows {p.Name} at net = {net.Max():G4} in a softmax without the max shift", "exp-overflow", Formulation.UnshiftedSoftmax));
                    Array.Fill(err, double.PositiveInfinity);
                    return err;
                }
                if (model.Allows(Formulation.UnshiftedSoftmax) && model.ExpUnderflows(net.Max()))
                {
                    // every e^net rounds to 0 (or to a subnormal with no digits): Σ e^net = 0, and 0/0
                    range.Add(new RangeIssue($"layers[{l}], example {e}",
                        $"every e^net underflows {p.Name} (the largest net is {net.Max():G4}) in a softmax without the max shift: 0/0", "division-by-zero", Formulation.UnshiftedSoftmax));
                    Array.Fill(err, double.PositiveInfinity);
                    return err;
                }
                double underflow = model.SoftmaxUnderflowError(net);
                for (int j = 0; j < net.Length; j++)
                    err[j] = @out[j] * model.SoftmaxRelativeError(net, eNetRow, @out, j, maxENet) + underflow + 2 * floor;
                return err;
            }
            for (int j = 0; j < net.Length; j++)
                err[j] = f switch
                {
                    Activation.Identity or Activation.Relu => eNetRow[j],       // exact maps, 1-Lipschitz
                    Activation.Sigmoid => SigmoidError(l, e, j, net[j], eNetRow[j], @out[j]),
                    Activation.Tanh => TanhError(l, e, j, net[j], eNetRow[j], @out[j]),
                    _ => throw new ArgumentOutOfRangeException(nameof(f)),
                };
            return err;
        }

        /// <summary>e(σ) from the model; infinite where σ = e^net/(1 + e^net) may be ∞/∞ = NaN.</summary>
        double SigmoidError(int l, int e, int j, double net, double eNet, double @out) =>
            Overflows(model, Formulation.SigmoidFromExponentials, model.SigmoidFromExponentialsOverflows(net, eNet), eNet, l, e, j, net, "e^net", "sigma = e^net/(1 + e^net)", "sigmoid-exp-overflow")
                ? double.PositiveInfinity : model.SigmoidError(net, eNet, @out);

        /// <summary>e(tanh) from the model; infinite where tanh from exponentials may be ∞/∞ = NaN (and
        /// everything after it: a NaN compared in a ReLU is 0, a finite answer as far off as can be).</summary>
        double TanhError(int l, int e, int j, double net, double eNet, double @out) =>
            Overflows(model, Formulation.TanhFromExponentials, model.TanhFromExponentialsOverflows(net, eNet), eNet, l, e, j, net, "e^(2|net|)", "tanh from exponentials", "tanh-exp-overflow")
                ? double.PositiveInfinity : model.TanhError(net, eNet, @out);

        /// <summary>Whether an activation's form from exponentials, allowed by <paramref name="m"/>, may be
        /// ∞/∞ = NaN at this unit (<paramref name="overflows"/>, from <see cref="ErrorModel"/>), its net input's
        /// bound not infinite from upstream; if so the range issue is recorded.</summary>
        bool Overflows(ErrorModel m, Formulation form, bool overflows, double eNet, int l, int e, int j, double net, string exp, string inForm, string kind)
        {
            if (!m.Allows(form) || !overflows || Upstream(eNet)) return false;
            range.Add(new RangeIssue($"layers[{l}] unit {j}, example {e}", $"{exp} overflows {p.Name} at net = {net:G4} in {inForm}: inf/inf", kind, form));
            return true;
        }

        // ---------------------------------------------------------------- loss

        /// <summary>Whether output k of example e may lie where frameworks clip a probability before its
        /// cross-entropy, and the clip changes an answer there (<see cref="ErrorModel.ProbabilityMayBeClamped"/>): a
        /// sigmoid's always (its loss term and δ both move), a softmax output's where its target is not 0 (the term
        /// t_k·ln o_k, and ∂E/∂o_k = −t_k/o_k, which the Jacobian carries into every δ of the example). Asked only
        /// under a fused loss (binary or softmax cross-entropy): the loss's and δ's cross-entropy branches.</summary>
        bool MayBeClamped(int e, int k)
        {
            int L = n.Layers.Count;
            double[] o = x.Out[L - 1][e];
            if (n.Loss == LossKind.SoftmaxCrossEntropy)
                return n.T[e][k] != 0 && model.ProbabilityMayBeClamped(o[k], o.Where((_, j) => j != k).Sum(), eOut[L - 1][e][k]);
            return model.ProbabilityMayBeClamped(o[k], 1 / (1 + Math.Exp(x.Net[L - 1][e][k])), eOut[L - 1][e][k]);   // 1 − o = σ(−z), exact to double
        }

        /// <summary>How far a clip of the probability to [ε, 1 − ε] may move a term −t·ln o (ln o exact): to ln ε
        /// where o lies below it, t·(ln ε − ln o), with ε as stored, ε(1 + u); where o lies near 1 (or near ε
        /// from above) by at most ln of 1 ± 2(ε + u). PyTorch's clamp of ln o at −100 moves it less.</summary>
        double ClipShift(double t, double lnO) =>
            Math.Abs(t) * (Math.Max(0, Math.Log(ErrorModel.ProbabilityClip * (1 + U)) - lnO) + 2 * (ErrorModel.ProbabilityClip + U));

        /// <summary>How far a framework's or a tutorial's way of keeping ln o finite may move −t·ln o (o within e of the
        /// exact, ln o exact): a clip where it may act (<paramref name="clipped"/>), or an ε inside the logarithm anywhere.
        /// An implementation does one or the other, so the larger of the two moves.</summary>
        double ProbabilityShift(bool clipped, double t, double lnO, double e) =>
            !model.Allows(Formulation.ClampedProbabilities) ? 0 : Math.Max(clipped ? ClipShift(t, lnO) : 0, EpsilonShift(t, lnO, e, U));

        double LossError()
        {
            int L = n.Layers.Count, m = n.BatchSize, K = n.Output.Units;
            double bound = 0, size = 0;
            for (int e = 0; e < m; e++)
            {
                double[] z = x.Net[L - 1][e], o = x.Out[L - 1][e], t = n.T[e];
                double[] eZ = eNet[L - 1][e], eO = eOut[L - 1][e];
                if (n.Loss == LossKind.SoftmaxCrossEntropy)
                {
                    (double b, double s) = SoftmaxCrossEntropyError(e, z, eZ, o, eO, t);
                    // a clipped output's term t_k·ln o_k moves (ln o_k = z_k − LSE, exact)
                    double lse = z.Max() + Math.Log(z.Sum(v => Math.Exp(v - z.Max())));
                    bound += b + Enumerable.Range(0, K).Sum(k => ProbabilityShift(MayBeClamped(e, k), t[k], z[k] - lse, eO[k]));
                    size += s;
                    continue;
                }
                for (int k = 0; k < K; k++)
                {
                    double eT = Read(t[k]);
                    if (n.Loss == LossKind.BinaryCrossEntropy)
                    {
                        (double b, double s) = BinaryCrossEntropyError(e, k, z[k], eZ[k], o[k], eO[k], t[k], eT);
                        // both terms, t·ln o and (1 − t)·ln(1 − o), may move, by a clip or an ε inside them; ln σ(±z) exact
                        double lnO = z[k] >= 0 ? -Math.Log(1 + Math.Exp(-z[k])) : z[k] - Math.Log(1 + Math.Exp(z[k]));
                        bool clipped = MayBeClamped(e, k);
                        b += ProbabilityShift(clipped, t[k], lnO, eO[k]) + ProbabilityShift(clipped, 1 - t[k], lnO - z[k], eO[k] + U * Math.Exp(lnO - z[k]));
                        bound += b; size += s;
                        continue;
                    }
                    // ½(t − o)²: d = t − o with e(d) = e(o) + e(t) + u|d|; the square u·d², the ½ exact
                    double d = t[k] - o[k], eD = eO[k] + eT + U * Math.Abs(d);
                    bound += Math.Abs(d) * eD + eD * eD / 2 + U * d * d;
                    size += d * d / 2;
                }
            }
            bound += model.Gamma(m * K) * size + m * K * floor;
            // the ½ of a squared error may come after the sum, and so may the 1/m of a mean
            bound = SumBound(bound, size, 0, n.Loss is LossKind.HalfSse or LossKind.HalfMse ? 2 : 1, x.Loss, "loss", "the loss's sum over the batch and the outputs");
            double E = Math.Abs(x.Loss);
            if (!p.InRange(E)) range.Add(new RangeIssue("loss", $"{x.Loss:G4} is beyond the largest {p.Name}"));
            return Sane(Reference.Loss.IsMean(n.Loss) ? bound / m + 2 * U * E : bound);
        }

        /// <summary>
        /// One term of binary cross-entropy. From the logit z (careful): softplus(z) − t·z, whose
        /// exact derivative in z is σ(z) − t; its roundings are a few u of |z| + |t·z| + ln(1 + e^{−|z|})
        /// (the subtraction may cancel: at t = 1, z = 40 the term is 4e-18 from two numbers of 40). From
        /// the probability o: −[t·ln o + (1 − t)·ln(1 − o)], each ln through <see cref="ErrorModel.LogError"/>;
        /// 1 − o carries o's error, so ln(1 − o) loses e(o)/(1 − o): at z = 30 three digits are left, and
        /// once o may round to 1 it is ln 0 (and 0·ln 0 = NaN even where t = 1): range.
        /// </summary>
        (double bound, double size) BinaryCrossEntropyError(int e, int k, double z, double eZ, double o, double eO, double t, double eT)
        {
            double softplus = Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            double careful = Math.Abs(o - t) * eZ + Math.Abs(z) * eT
                             + (2 * model.Fn + 4 * U) * (Math.Abs(z) + Math.Abs(t * z) + softplus - Math.Max(z, 0)) + floor;
            double size = Math.Abs(softplus) + Math.Abs(t * z);
            if (!model.Allows(Formulation.LossesFromProbabilities)) return (careful, size);

            double oneMinusO = 1 / (1 + Math.Exp(z));                          // σ(−z), exact to double
            double lnO = z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));  // ln σ(z)
            double lnOneMinusO = lnO - z;                                     // ln σ(−z) = ln σ(z) − z
            double eA = model.LogError(o, eO), eB = model.LogError(oneMinusO, eO + U * oneMinusO);
            if (double.IsInfinity(eA) || double.IsInfinity(eB))
            {
                FromProbabilities(eO, k, e, $"ln({(double.IsInfinity(eA) ? "o" : "1 - o")}) with o = sigmoid({z:G4}){KnownWithin(eZ)}, which may round to {(double.IsInfinity(eA) ? 0 : 1)}", "ln-of-zero");
                return (double.PositiveInfinity, size);
            }
            double fromProbabilities = Math.Abs(t) * eA + Math.Abs(lnO) * eT + Math.Abs(1 - t) * eB + Math.Abs(lnOneMinusO) * eT
                                       + 3 * U * (Math.Abs(t * lnO) + Math.Abs((1 - t) * lnOneMinusO)) + floor;
            // the size of the terms summed stays the logit's: for t in [0, 1] (validated) the terms from probabilities,
            // t·|ln o| + (1 − t)·|ln(1 − o)| = softplus(z) + t·|z| − 2t·max(z, 0), are never larger
            return (Math.Max(careful, fromProbabilities), size);
        }

        /// <summary>
        /// One example of softmax cross-entropy. From the logits (careful): −Σ_k t_k·(z_k − LSE) with
        /// LSE = c + ln Σ e^{z_k − c}: LSE moves by Σ o_k·e(z_k) and rounds by the shift, the exps, the sum
        /// and the ln. From probabilities: −Σ t_k·ln o_k, each ln through <see cref="ErrorModel.LogError"/>;
        /// an o_k that may underflow to 0 makes ln 0 (and 0·ln 0 = NaN where t_k = 0): range.
        /// </summary>
        (double bound, double size) SoftmaxCrossEntropyError(int e, double[] z, double[] eZ, double[] o, double[] eO, double[] t)
        {
            int K = z.Length;
            double c = z.Max(), S = z.Sum(v => Math.Exp(v - c)), lse = c + Math.Log(S);
            double eLse = model.Gamma(K) + model.Fn + model.Fn * Math.Abs(Math.Log(S)) + U * Math.Abs(lse);
            for (int k = 0; k < K; k++) eLse += o[k] * (eZ[k] + U * Math.Abs(z[k] - c));
            double careful = 0, size = 0;
            for (int k = 0; k < K; k++)
            {
                double logO = z[k] - lse, eT = Read(t[k]);
                careful += t[k] * (eZ[k] + eLse + 2 * U * Math.Abs(logO)) + eT * Math.Abs(logO);
                size += t[k] * Math.Abs(logO);
            }
            careful += model.Gamma(K) * size + K * floor;
            if (!model.Allows(Formulation.LossesFromProbabilities)) return (careful, size);

            double fromProbabilities = 0;
            for (int k = 0; k < K; k++)
            {
                double logO = z[k] - lse, eLog = model.LogError(o[k], eO[k]);
                if (double.IsInfinity(eLog))
                {
                    FromProbabilities(eO[k], k, e, $"ln(o) with o = softmax output {o[k]:G4} (net {z[k]:G4}), which may underflow to 0", "ln-of-zero");
                    return (double.PositiveInfinity, size);
                }
                fromProbabilities += t[k] * (eLog + U * Math.Abs(logO)) + Read(t[k]) * Math.Abs(logO);
            }
            fromProbabilities += model.Gamma(K) * size + K * floor;
            return (Math.Max(careful, fromProbabilities), size);
        }

        // ---------------------------------------------------------------- backward

        double[][][] BackwardErrors()
        {
            int L = n.Layers.Count, m = n.BatchSize;
            var eDelta = new double[L][][];                    // [layers][m][units]
            for (int l = 0; l < L; l++) eDelta[l] = new double[m][];
            for (int e = 0; e < m; e++)
            {
                eDelta[L - 1][e] = Sane(OutputDeltaErrors(e));
                for (int l = L - 2; l >= 0; l--)
                {
                    double[] eG = Sane(ErrorsFromAboveErrors(n.Layers[l + 1], x.Delta[l + 1][e], eDelta[l + 1][e]));
                    eDelta[l][e] = Sane(DeltaErrors(l, e, x.dE_dout[l][e], eG));
                }
            }
            return eDelta;
        }

        /// <summary>e(∂E/∂out_i) = Σ_j (|W[j, i]|·e(δ_j) + e(W[j, i])·|δ_j|) + γ·Σ_j |W[j, i]·δ_j| (rule 2).</summary>
        double[] ErrorsFromAboveErrors(Layer above, double[] delta, double[] eDeltaAbove)
        {
            var eG = new double[above.FanIn];                  // [fanIn of above]
            for (int i = 0; i < above.FanIn; i++)
            {
                double size = 0, carried = 0;
                for (int j = 0; j < above.Units; j++)
                {
                    double w = above.W[j, i], eW = Read(w);
                    size += Math.Abs(w * delta[j]);
                    carried += Math.Abs(w) * eDeltaAbove[j] + eW * Math.Abs(delta[j]) + eW * eDeltaAbove[j];
                }
                // its exact value is not kept here: 0 stands in, so a dE/dout beyond the largest number
                // is recorded as this sum's overflow
                eG[i] = SumBound(carried + model.Gamma(above.Units) * size + above.Units * floor, size, carried, 1, 0, $"dE/dout {i} from the layer above", "the sum of W*delta from above");
            }
            return eG;
        }

        /// <summary>δ = ∂E/∂out · f′(net) (rule 3), with e(f′) from <see cref="ErrorModel"/>; a softmax
        /// layer through its Jacobian.</summary>
        double[] DeltaErrors(int l, int e, double[] g, double[] eG)
        {
            Layer layer = n.Layers[l];
            double[] net = x.Net[l][e], @out = x.Out[l][e], eN = eNet[l][e], eO = eOut[l][e];
            if (layer.Activation == Activation.Softmax) return SoftmaxJacobianErrors(model, @out, eO, g, eG, x.Delta[l][e]);
            var err = new double[layer.Units];                 // [units]
            for (int j = 0; j < layer.Units; j++)
            {
                double fPrime = Activations.Derivative(layer.Activation, net[j]);
                double eF = layer.Activation switch
                {
                    Activation.Identity => 0,
                    Activation.Relu => Kink(l, e, j, ErrorModel.ReluDerivativeError(net[j], eN[j])),
                    Activation.Sigmoid => SigmoidDerivativeError(model, l, e, j, net[j], eN[j], eO[j], fPrime),
                    Activation.Tanh => model.TanhDerivativeError(net[j], eN[j], @out[j], eO[j], fPrime),
                    _ => throw new ArgumentOutOfRangeException(),
                };
                err[j] = Math.Abs(fPrime) * eG[j] + Math.Abs(g[j]) * eF + eG[j] * eF + 2 * U * Math.Abs(x.Delta[l][e][j]) + floor;
            }
            return err;
        }

        /// <summary>e(σ′) from the model; infinite where σ′ from exponentials may be ∞/∞ = NaN.</summary>
        double SigmoidDerivativeError(ErrorModel m, int l, int e, int j, double net, double eN, double eO, double sigmoidPrime) =>
            Overflows(m, Formulation.SigmoidFromExponentials, m.SigmoidDerivativeExpOverflows(net, eN), eN, l, e, j, net, "e^-net", "sigma' = e^-net/(1 + e^-net)^2", "sigmoid-derivative-exp-overflow")
                ? double.PositiveInfinity : m.SigmoidDerivativeError(net, eN, eO, sigmoidPrime);

        double Kink(int l, int e, int j, double eF)
        {
            if (eF > 0) kinks.Add($"layers[{l}] unit {j}, example {e}");
            return eF;
        }

        /// <summary>δ of the output layer: through ∂E/∂out and f′ for the squared losses; the fused
        /// (o − t)/m for cross-entropy, or (LossesFromProbabilities) ∂E/∂o through f′ or the Jacobian.</summary>
        double[] OutputDeltaErrors(int e)
        {
            int L = n.Layers.Count, m = n.BatchSize, K = n.Output.Units;
            double[] o = x.Out[L - 1][e], z = x.Net[L - 1][e], t = n.T[e], eO = eOut[L - 1][e], eZ = eNet[L - 1][e];
            double[] eT = t.Select(Read).ToArray();
            if (!Reference.Loss.IsFused(n.Loss))
            {
                // ∂E/∂out = o − t (/m): e = e(o) + e(t) + u|o − t| (+ u for the 1/m)
                double scale = n.Loss == LossKind.HalfMse ? 1.0 / m : 1.0;
                double[] eG = Enumerable.Range(0, K).Select(k =>
                    (eO[k] + eT[k]) * scale + (n.Loss == LossKind.HalfMse ? 2 : 1) * U * Math.Abs(o[k] - t[k]) * scale).ToArray();
                return DeltaErrors(L - 1, e, x.dE_dout[L - 1][e], eG);
            }
            // fused: δ = (o − t)/m, two roundings; and where a framework's clip may act, what it moves (ClipShifts)
            double[] careful = Enumerable.Range(0, K).Select(k => (eO[k] + eT[k] + 2 * U * Math.Abs(o[k] - t[k])) / m + floor).ToArray();
            double[] bound = careful;
            if (model.Allows(Formulation.LossesFromProbabilities))
            {
                double[] unfused = n.Loss == LossKind.BinaryCrossEntropy
                    ? UnfusedBinaryCrossEntropyDeltaErrors(e, z, eZ, o, eO, t, eT)
                    : UnfusedSoftmaxCrossEntropyDeltaErrors(e, o, eO, t, eT);
                bound = careful.Zip(unfused, (a, b) => Math.Max(a, b)).ToArray();   // a lambda: a method group here keeps Stryker from mutating this method
            }
            double[] shift = ClipShifts(e, o, eO, t, eT);
            return bound.Select((b, k) => b + shift[k]).ToArray();
        }

        /// <summary>
        /// How far a framework's clip of the output probabilities (<see cref="Formulation.ClampedProbabilities"/>)
        /// may move δ of example e. A sigmoid output in the clip: its δ = (o − t)/m becomes 0 (the clip's
        /// derivative, TensorFlow.js and Keras) or (o − t)/m·o(1 − o)/1e-12 (PyTorch's nn.BCELoss): anywhere
        /// between 0 and δ, so |o − t|/m with their errors. A softmax output k in the clip with t_k ≠ 0: its
        /// ∂E/∂o_k = −t_k/(o_k·m) becomes 0, which the Jacobian o_j([j = k] − o_k) carries into every δ_j of the
        /// example: t_k·(1 − o_k)/m for j = k, t_k·o_j/m for the others. Zero where no clip may act.
        /// </summary>
        double[] ClipShifts(int e, double[] o, double[] eO, double[] t, double[] eT)
        {
            int m = n.BatchSize, K = o.Length;
            var shift = new double[K];                          // [units]
            for (int k = 0; k < K; k++)
            {
                if (!MayBeClamped(e, k)) continue;
                if (n.Loss == LossKind.BinaryCrossEntropy) { shift[k] += (Math.Abs(o[k] - t[k]) + eO[k] + eT[k]) / m; continue; }
                for (int j = 0; j < K; j++)
                    shift[j] += Math.Abs(t[k]) * (j == k ? 1 - o[k] + eO[k] : o[j] + eO[j]) / m;
            }
            // a clip or an ε, not both: the larger move
            return model.Allows(Formulation.ClampedProbabilities) ? shift.Zip(EpsilonShifts(e, o, eO, t, eT), (a, b) => Math.Max(a, b)).ToArray() : shift;
        }

        /// <summary>
        /// How far an ε up to 1e-7 added inside the logarithm's derivative may move δ of example e: −t/(o + ε) in
        /// place of −t/o. Under a sigmoid, (−t/(o + ε) + (1 − t)/(1 − o + ε))·o(1 − o) lies from o − t by
        /// t(1 − o)·ε/(o + ε) + (1 − t)·o·ε/(1 − o + ε); under a softmax each o_k·Δg_k = t_k·ε/(o_k + ε)/m =: a_k,
        /// and the Jacobian gives δ_j a change of at most a_j + o_j·Σ_k a_k. Each o with its error (the smallest o
        /// in a denominator, the largest in a numerator), ε as stored, ε(1 + u); 1 − o = σ(−z) exact to double.
        /// </summary>
        double[] EpsilonShifts(int e, double[] o, double[] eO, double[] t, double[] eT)
        {
            int m = n.BatchSize, K = o.Length, L = n.Layers.Count;
            double eps = ErrorModel.ProbabilityClip * (1 + U);
            double Cut(double p, double ep) => eps / (Math.Max(0, p - ep) + eps);   // ε/(p + ε) at its largest
            if (n.Loss == LossKind.BinaryCrossEntropy)
                return Enumerable.Range(0, K).Select(k =>
                {
                    double oneMinusO = 1 / (1 + Math.Exp(x.Net[L - 1][e][k])), eOneMinusO = eO[k] + U * oneMinusO;
                    return ((Math.Abs(t[k]) + eT[k]) * (oneMinusO + eOneMinusO) * Cut(o[k], eO[k])
                            + (Math.Abs(1 - t[k]) + eT[k]) * (o[k] + eO[k]) * Cut(oneMinusO, eOneMinusO)) / m;
                }).ToArray();
            double[] a = Enumerable.Range(0, K).Select(k => (Math.Abs(t[k]) + eT[k]) * Cut(o[k], eO[k]) / m).ToArray();   // [units]
            double sum = a.Sum();
            return Enumerable.Range(0, K).Select(j => a[j] + (o[j] + eO[j]) * sum).ToArray();
        }

        /// <summary>
        /// δ = g·σ′ with g = (o − t)/(o·(1 − o))/m. g's relative error is that of o − t, plus that of
        /// D = o·(1 − o) (<see cref="ErrorModel.ReciprocalRelativeError"/>), plus two divides; σ′ is taken
        /// either from out or carefully (a mix cancels nothing), so its error is the larger of the two.
        /// D may round to 0 once o may round to 0 or 1: 0/0, range.
        /// </summary>
        double[] UnfusedBinaryCrossEntropyDeltaErrors(int e, double[] z, double[] eZ, double[] o, double[] eO, double[] t, double[] eT)
        {
            int m = n.BatchSize;
            var err = new double[o.Length];
            for (int k = 0; k < o.Length; k++)
            {
                double oneMinusO = 1 / (1 + Math.Exp(z[k]));
                double D = o[k] * oneMinusO, eD = oneMinusO * eO[k] + o[k] * (eO[k] + U * oneMinusO) + U * D;
                double rec = model.ReciprocalRelativeError(D, eD);
                if (double.IsInfinity(rec) || D == 0)
                {
                    FromProbabilities(eO[k], k, e, $"dE/do = (o - t)/(o(1 - o)) with o = sigmoid({z[k]:G4}){KnownWithin(eZ[k])}, where o(1 - o) may round to 0", "division-by-zero");
                    err[k] = double.PositiveInfinity;
                    continue;
                }
                double diff = Math.Abs(o[k] - t[k]), eDiff = eO[k] + eT[k] + U * diff;
                double g = diff / D / m, eG = eDiff / D / m * (1 + rec) + g * (rec + 2 * U);
                ErrorModel derivative = model.Only(Formulation.DerivativesFromOut | (model.Formulations & Formulation.SigmoidFromExponentials));
                double eF = SigmoidDerivativeError(derivative, n.Layers.Count - 1, e, k, z[k], eZ[k], eO[k], D);
                err[k] = D * eG + g * eF + eG * eF + U * diff / m + floor;
            }
            return err;
        }

        /// <summary>δ = J·g with g_k = −t_k/(o_k·m): g_k's relative error that of t_k plus that of 1/o_k plus
        /// two divides, then the Jacobian (<see cref="SoftmaxJacobianErrors"/>). An o_k that may be 0 divides by 0.</summary>
        double[] UnfusedSoftmaxCrossEntropyDeltaErrors(int e, double[] o, double[] eO, double[] t, double[] eT)
        {
            int m = n.BatchSize, K = o.Length;
            var g = new double[K];
            var eG = new double[K];
            for (int k = 0; k < K; k++)
            {
                double rec = model.ReciprocalRelativeError(o[k], eO[k]);
                if (double.IsInfinity(rec))
                {
                    FromProbabilities(eO[k], k, e, $"dE/do = -t/o with the softmax output o = {o[k]:G4}, which may underflow to 0", "division-by-zero");
                    return Enumerable.Repeat(double.PositiveInfinity, K).ToArray();
                }
                g[k] = t[k] / o[k] / m;
                eG[k] = (eT[k] / o[k] / m) * (1 + rec) + g[k] * (rec + 2 * U);
            }
            return SoftmaxJacobianErrors(model.Only(Formulation.DerivativesFromOut), o, eO, g, eG, x.Delta[^1][e]);
        }

        // ---------------------------------------------------------------- gradients

        /// <summary>∂E/∂W[j, i] = Σ_n δ_j·in_i and ∂E/∂b_j = Σ_n δ_j: sums of m products (rule 2), plus
        /// 2u for where the 1/m of a mean loss is applied (to δ, to the sum, or to ∂E/∂out).</summary>
        double[] GradientErrors(double[][][] eDelta)
        {
            int L = n.Layers.Count, m = n.BatchSize;
            var bounds = new double[x.Gradient.Length];
            int k = 0;
            double gamma = model.Gamma(m);
            double scale = Reference.Loss.IsMean(n.Loss) ? m : 1;                // a mean's 1/m may be applied after the batch sum
            for (int l = 0; l < L; l++)
            {
                Layer layer = n.Layers[l];
                double[][] input = l == 0 ? n.X : x.Out[l - 1];                    // [m][fanIn]
                double[][] eIn = l == 0 ? n.X.Select(r => r.Select(Read).ToArray()).ToArray() : eOut[l - 1];
                for (int j = 0; j < layer.Units; j++)
                {
                    var delta = new double[m];                                     // [m]  δ_j and its bound, per example
                    var eD = new double[m];
                    for (int e = 0; e < m; e++) { delta[e] = Math.Abs(x.Delta[l][e][j]); eD[e] = eDelta[l][e][j]; }
                    for (int i = 0; i < layer.FanIn; i++)
                    {
                        double size = 0, carried = 0;
                        for (int e = 0; e < m; e++)
                        {
                            double a = Math.Abs(input[e][i]), ea = eIn[e][i];
                            size += delta[e] * a;
                            carried += delta[e] * ea + a * eD[e] + eD[e] * ea;
                        }
                        bounds[k] = Finish(k, l, SumBound(carried + gamma * size + m * floor, size, carried, scale, x.Gradient[k], $"gradient {k} (layer {l})", "the batch sum of delta*in"));
                        k++;
                    }
                }
                if (layer.B is null) continue;
                for (int j = 0; j < layer.Units; j++)
                {
                    double size = 0, carried = 0;
                    for (int e = 0; e < m; e++) { size += Math.Abs(x.Delta[l][e][j]); carried += eDelta[l][e][j]; }
                    bounds[k] = Finish(k, l, SumBound(carried + model.Gamma(m) * size + m * floor, size, carried, scale, x.Gradient[k], $"gradient {k} (layer {l})", "the batch sum of delta"));
                    k++;
                }
            }
            return bounds;
        }

        /// <summary>The entry's bound: its sums, 2u of it for the 1/m's place, and the exact value's
        /// own error (double-double: 2⁻¹⁰⁰ relative to the terms, far below u of them).</summary>
        double Finish(int k, int l, double bound)
        {
            double g = x.Gradient[k];
            if (!p.InRange(g)) range.Add(new RangeIssue($"gradient {k} (layer {l})", $"{g:G4} is beyond the largest {p.Name}"));
            return Sane(bound + 2 * U * Math.Abs(g) + bound * Math.ScaleB(1, -40));
        }
    }
}
