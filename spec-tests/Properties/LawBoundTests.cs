using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using P = BackpropSpec.Oracle.Properties;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The tolerance arithmetic of each law (Properties.cs), on networks small enough to follow by hand
/// and with values that are no doubles, so that no bound is 0 and no exact value is its own double.
/// Each expected bound is the law's rule (its doc comment) written out here for that network, in the
/// order the law evaluates it, from the exact values and the per-network bounds of <see cref="Truth"/>
/// (RoundingBoundsTests pins those); IEEE arithmetic is deterministic, so the finding's Careful and
/// Textbook fields are compared exactly. Then an answer is planted one ulp inside and one ulp outside
/// each bound, where the rule says the zone flips, and the law must flip there too. (LawTests uses
/// integer networks far from every bound: it shows each law rejects a bug, not where its bounds lie.)
/// </summary>
public class LawBoundTests
{
    /// <summary>The reference, with its gradients or step replaced by a function of the network asked about.</summary>
    sealed class Planted(Func<Network, Gradients, Gradients>? grad = null, Func<Network, Parameters, Parameters>? step = null) : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        public string Name => "planted";
        public Evaluation Forward(Network n) => reference.Forward(n);
        public Gradients Gradients(Network n) { Gradients g = reference.Gradients(n); return grad is null ? g : grad(n, g); }
        public Parameters Step(Network n) { Parameters p = reference.Step(n); return step is null ? p : step(n, p); }
    }

    static readonly double U64 = Math.ScaleB(1, -53), Floor64 = Math.ScaleB(1, -1022);
    static readonly double U32 = Math.ScaleB(1, -24), Floor32 = Math.ScaleB(1, -126);
    static readonly double Eps = Math.ScaleB(1, -52);    // the machine epsilon of double, 2u

    static (double U, double Floor) Unit(Precision p) => p == Precision.Float32 ? (U32, Floor32) : (U64, Floor64);

    /// <summary>
    /// One sigmoid unit with a bias, w = 0.3, b = 0.1, η = ½, batch x = 0.7, 0.2 with targets 0.2, 0.9:
    /// nothing here is exact in double, so every careful and textbook bound is a few u of its value,
    /// the textbook one larger (ErrorModel's σ rules). Parameters, flattened: w, b.
    /// </summary>
    static Network Sigmoid(LossKind loss = LossKind.HalfSse) =>
        Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 0.3 } }, [0.1], BiasMode.Trainable)], loss, 0.5,
            [[0.7], [0.2]], [[0.2], [0.9]]);

    /// <summary>A gradient of a one-layer network with the given flattened entries (weights row by row, then biases).</summary>
    static Gradients WithEntries(Gradients g, double[] flat)
    {
        int k = 0;
        var w = new double[g.dE_dW.Length][,];
        var b = new double[]?[g.dE_db.Length];
        for (int l = 0; l < w.Length; l++)
        {
            w[l] = new double[g.dE_dW[l].GetLength(0), g.dE_dW[l].GetLength(1)];
            for (int j = 0; j < w[l].GetLength(0); j++)
                for (int i = 0; i < w[l].GetLength(1); i++) w[l][j, i] = flat[k++];
            if (g.dE_db[l] is { } bias) b[l] = bias.Select(_ => flat[k++]).ToArray();
        }
        Assert.Equal(flat.Length, k);
        return g with { dE_dW = w, dE_db = b };
    }

    static Gradients WithEntry(Gradients g, int k, double value)
    {
        double[] flat = g.Flatten();
        flat[k] = value;
        return WithEntries(g, flat);
    }

    /// <summary>
    /// The largest x in [inside, outside) for which <paramref name="isInside"/> holds, by bisection over the
    /// doubles between them (the rule's comparison is monotone in x there); the next double up is outside.
    /// </summary>
    static double LastInside(double inside, double outside, Func<double, bool> isInside)
    {
        Assert.True(isInside(inside));
        Assert.False(isInside(outside));
        Assert.True(inside < outside && inside > 0);
        long lo = BitConverter.DoubleToInt64Bits(inside), hi = BitConverter.DoubleToInt64Bits(outside);
        while (hi - lo > 1)
        {
            long mid = lo + (hi - lo) / 2;
            if (isInside(BitConverter.Int64BitsToDouble(mid))) lo = mid; else hi = mid;
        }
        double last = BitConverter.Int64BitsToDouble(lo);
        Assert.True(isInside(last));
        Assert.False(isInside(Math.BitIncrement(last)));
        return last;
    }

    // ------------------------------------------------------------------ an exception out of range

    /// <summary>
    /// σ(−800) ≈ e⁻⁸⁰⁰ is below the smallest double, so under binary cross-entropy the textbook
    /// ln o may be ln 0 (and 0/0 in dE/do): the network is out of the textbook range, and an
    /// implementation that throws on it is a range finding, which names the first range issue.
    /// </summary>
    static Network OutOfRange() =>
        Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, [0.0], BiasMode.Trainable)], LossKind.BinaryCrossEntropy, 0.5,
            [[-800.0]], [[1.0]]);

    [Fact]
    public void An_implementation_that_throws_on_a_network_out_of_the_textbook_range_is_a_range_finding()
    {
        var throwing = new Planted((n, g) => throw new InvalidOperationException("boom"));
        PropertyVerdict v = P.Judge(P.GradientsAgreeWithExactValues, throwing, OutOfRange());
        Assert.Equal(Zone.Range, v.Zone);
        Assert.Equal("the implementation threw InvalidOperationException: boom; here output 0, example 0: ln(o) with o = sigmoid(-800), which may round to 0", v.Message);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal(Zone.Range, f.Zone);
        Assert.Equal("threw InvalidOperationException", f.Note);
    }

    // ------------------------------------------------------------------ exact values that are no doubles

    static readonly double ThreeTwoToMinus55 = 3 * Math.ScaleB(1, -55), ThreeTwoToMinus56 = 3 * Math.ScaleB(1, -56);

    /// <summary>One identity unit, w = 1, b = 3·2⁻⁵⁵, x = 1, t = 0: the output is exactly 1 + 3·2⁻⁵⁵ (hi 1,
    /// lo 3·2⁻⁵⁵), and so are both gradient entries (o − t)·x and o − t.</summary>
    static Network JustAboveOne() =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, [ThreeTwoToMinus55], BiasMode.Trainable)], LossKind.HalfSse, 0.5,
            [[1.0]], [[0.0]]);

    [Fact]
    public void A_wrong_output_is_reported_against_its_exact_value_rounded_once()
    {
        Network n = JustAboveOne();
        ExactValues x = Truth.For(n).Exact;
        Assert.Equal(1.0, x.Outputs[0][0]);
        Assert.Equal(ThreeTwoToMinus55, x.OutputsLo[0][0]);
        var planted = new Planted((_, g) => g with { Outputs = [[2.0]] });
        PropertyVerdict v = P.ForwardAgreesWithExactValues(planted, n, Precision.Float64);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal("outputs[0][0]", f.Quantity);
        // 1 + 3·2⁻⁵⁵ is within half an ulp (2⁻⁵³) of 1: it rounds to 1 (1 − 3·2⁻⁵⁵ would round to 1 − 2⁻⁵³)
        Assert.Equal(1.0, f.Exact);
        Assert.Equal(Zone.Wrong, f.Zone);
    }

    [Fact]
    public void A_wrong_loss_is_reported_against_its_exact_value_rounded_once()
    {
        // identity unit w = 1, x = 1, t = −3·2⁻⁵⁶: E = ½(1 + 3·2⁻⁵⁶)² = ½ + 3·2⁻⁵⁶ + 9·2⁻¹¹³
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [[1.0]], [[-ThreeTwoToMinus56]]);
        ExactValues x = Truth.For(n).Exact;
        Assert.Equal(0.5, x.Loss);
        Assert.True(x.LossLo > Math.ScaleB(1, -55) && x.LossLo < Math.ScaleB(1, -54));
        var planted = new Planted((_, g) => g with { Loss = 0.75 });
        PropertyVerdict v = P.ForwardAgreesWithExactValues(planted, n, Precision.Float64);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal("loss", f.Quantity);
        // above ½ the spacing is 2⁻⁵³: ½ + lo rounds to ½; below it 2⁻⁵⁴, so ½ − lo would round to ½ − 2⁻⁵⁴
        Assert.Equal(0.5, f.Exact);
        Assert.Equal(Zone.Wrong, f.Zone);
    }

    // ------------------------------------------------------------------ the step

    /// <summary>
    /// The step law for w of <see cref="Sigmoid"/> (η = ½, so η·g is exact): W − η·g exactly is hi + lo
    /// (two-sum), and for an answer s the bound is u·(|η·g| + |s|), plus u·(|W| + |η·g|) in float32 (W and
    /// η·g stored), plus 2 floors, plus 2η times the careful (textbook) bound of g[w].
    /// </summary>
    sealed record StepRule(double Hi, double Lo, Func<double, double> Careful, Func<double, double> Textbook)
    {
        public double Distance(double s) => Math.Abs(s - Hi - Lo);
    }

    static StepRule StepOfW(Network n, Precision precision)
    {
        Truth t = Truth.For(n, precision);
        (double u, double floor) = Unit(precision);
        double w = n.Layers[0].W[0, 0], eta = n.LearningRate, g = new ReferenceBackprop().Gradients(n).Flatten()[0];
        double step = eta * g;                          // exact: η = ½
        double hi = w - step, bb = hi - w, lo = (w - (hi - bb)) + (-step - bb);   // two-sum of w and −η·g
        double Rounding(double s) => u * (Math.Abs(step) + Math.Abs(s)) + (precision == Precision.Float32 ? u * (Math.Abs(w) + Math.Abs(step)) : 0) + 2 * floor;
        return new StepRule(hi, lo, s => Rounding(s) + 2 * eta * t.Careful.Gradient[0], s => Rounding(s) + 2 * eta * t.Textbook.Gradient[0]);
    }

    static Planted SteppingWTo(double s) => new(step: (_, p) => new Parameters([new[,] { { s } }], [p.B[0]]));

    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void A_wrong_step_is_reported_with_the_steps_own_roundings_plus_twice_eta_times_the_gradients_bounds(Precision precision)
    {
        Network n = Sigmoid();
        StepRule rule = StepOfW(n, precision);
        double s = rule.Hi + 0.25;
        PropertyVerdict v = P.StepUsesOriginalWeights(SteppingWTo(s), n, precision);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal("layers[0].weights[0][0] after the step", f.Quantity);
        Assert.Equal(Zone.Wrong, f.Zone);
        Assert.Equal(rule.Hi, f.Exact);
        Assert.Equal(rule.Careful(s), f.Careful);
        Assert.Equal(rule.Textbook(s), f.Textbook);
        Assert.True(f.Careful < f.Textbook);
    }

    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void A_step_agrees_up_to_its_careful_bound_and_is_accurate_up_to_its_textbook_bound_to_the_ulp(Precision precision)
    {
        Network n = Sigmoid();
        StepRule rule = StepOfW(n, precision);
        double careful = LastInside(rule.Hi, rule.Hi + 1, s => rule.Distance(s) <= rule.Careful(s));
        double textbook = LastInside(careful, rule.Hi + 1, s => rule.Distance(s) <= rule.Textbook(s));
        Zone ZoneAt(double s) => P.StepUsesOriginalWeights(SteppingWTo(s), n, precision).Zone;
        Assert.Equal(Zone.Agrees, ZoneAt(careful));
        Assert.Equal(Zone.Accuracy, ZoneAt(Math.BitIncrement(careful)));
        Assert.Equal(Zone.Accuracy, ZoneAt(textbook));
        Assert.Equal(Zone.Wrong, ZoneAt(Math.BitIncrement(textbook)));
    }

    // ------------------------------------------------------------------ the laws

    /// <summary>What a law predicts for one entry and its two bounds.</summary>
    sealed record LawRule(double Predicted, double Careful, double Textbook)
    {
        public bool Agrees(double a) => Math.Abs(a - Predicted) <= Careful;
        public bool Accurate(double a) => Math.Abs(a - Predicted) <= Textbook;
    }

    /// <summary>
    /// The batch law for entry k of <see cref="Sigmoid"/> (m = 2, so each half is one example): the
    /// halves' gradients g₁, g₂ combined with weights s = 1 (half-sse) or ½ (half-mse), law = s·g₁ + s·g₂;
    /// careful = B(batch) + s·B(half 1) + s·B(half 2) + 3u·|law| (the law's two products and sum), and the
    /// same with the textbook bounds.
    /// </summary>
    static LawRule BatchLaw(Network n, int k)
    {
        var reference = new ReferenceBackprop();
        double s = n.Loss == LossKind.HalfMse ? 0.5 : 1.0;
        IReadOnlyList<Network> halves = Derived.Halves(n);
        Assert.Equal(2, halves.Count);
        Truth whole = Truth.For(n), first = Truth.For(halves[0]), second = Truth.For(halves[1]);
        double law = s * reference.Gradients(halves[0]).Flatten()[k] + s * reference.Gradients(halves[1]).Flatten()[k];
        double rounding = 3 * U64 * Math.Abs(law);
        double careful = whole.Careful.Gradient[k] + s * first.Careful.Gradient[k] + s * second.Careful.Gradient[k] + rounding;
        double textbook = whole.Textbook.Gradient[k] + s * first.Textbook.Gradient[k] + s * second.Textbook.Gradient[k] + rounding;
        return new LawRule(law, careful, textbook);
    }

    /// <summary>The whole batch's gradient entry k replaced by value (the halves' answers are the reference's).</summary>
    static Planted BatchEntry(int k, double value) => new((n, g) => n.BatchSize == 2 ? WithEntry(g, k, value) : g);

    public static TheoryData<LossKind, int> BatchEntries() => new() { { LossKind.HalfSse, 0 }, { LossKind.HalfSse, 1 }, { LossKind.HalfMse, 0 }, { LossKind.HalfMse, 1 } };

    [Theory]
    [MemberData(nameof(BatchEntries))]
    public void A_batch_gradient_off_the_law_is_reported_with_both_sides_bounds_and_the_laws_rounding(LossKind loss, int k)
    {
        Network n = Sigmoid(loss);
        LawRule rule = BatchLaw(n, k);
        double a = 2 * rule.Predicted;
        PropertyVerdict v = P.BatchGradientCombinesExamples(BatchEntry(k, a), n, Precision.Float64);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal(Zone.Wrong, f.Zone);
        Assert.Equal(k, f.Index);
        Assert.Equal(a, f.Actual);
        Assert.Equal(rule.Predicted, f.Exact);
        Assert.Equal(rule.Careful, f.Careful);
        Assert.Equal(rule.Textbook, f.Textbook);
        Assert.True(f.Careful < f.Textbook);
    }

    [Theory]
    [MemberData(nameof(BatchEntries))]
    public void A_batch_gradient_agrees_up_to_the_careful_bound_and_is_accurate_up_to_the_textbook_bound_to_the_ulp(LossKind loss, int k)
    {
        Network n = Sigmoid(loss);
        LawRule rule = BatchLaw(n, k);
        double p = rule.Predicted, big = p + Math.Abs(p);
        Assert.True(p > 0);
        double careful = LastInside(p, big, rule.Agrees), textbook = LastInside(careful, big, rule.Accurate);
        Zone ZoneAt(double a) => P.BatchGradientCombinesExamples(BatchEntry(k, a), n, Precision.Float64).Zone;
        Assert.Equal(Zone.Agrees, ZoneAt(careful));
        Assert.Equal(Zone.Accuracy, ZoneAt(Math.BitIncrement(careful)));
        Assert.Equal(Zone.Accuracy, ZoneAt(textbook));
        Assert.Equal(Zone.Wrong, ZoneAt(Math.BitIncrement(textbook)));
    }

    [Fact]
    public void A_batch_gradient_wrong_in_every_entry_is_wrong_in_every_entry()
    {
        // doubled, or negated: |a − law| = |law| or 2|law|, each far beyond its bounds (a negated answer is
        // within rounding of −law, so a law that compared |a + law| would let it through)
        Network n = Sigmoid();
        foreach (Func<double, double> bend in new Func<double, double>[] { v => 2 * v, v => -v })
        {
            var planted = new Planted((m, g) => m.BatchSize == 2 ? WithEntries(g, g.Flatten().Select(bend).ToArray()) : g);
            PropertyVerdict v = P.BatchGradientCombinesExamples(planted, n, Precision.Float64);
            Assert.Equal(Zone.Wrong, v.Zone);
            Assert.Equal(2, v.Findings.Count);
            Assert.All(v.Findings, f => Assert.Equal(Zone.Wrong, f.Zone));
        }
    }

    /// <summary>
    /// The scaling law for entry k of <see cref="Sigmoid"/> under half-mse (m = 2): half-sse's gradient / m,
    /// careful = B(mse) + (1/m)·B(sse), textbook the same with the textbook bounds (the division by 2 is exact).
    /// </summary>
    static LawRule MeanLaw(Network mse, int k)
    {
        Network sse = Derived.WithLoss(mse, LossKind.HalfSse);
        Truth tMse = Truth.For(mse), tSse = Truth.For(sse);
        double predicted = new ReferenceBackprop().Gradients(sse).Flatten()[k] / 2;
        return new LawRule(predicted, tMse.Careful.Gradient[k] + 0.5 * tSse.Careful.Gradient[k], tMse.Textbook.Gradient[k] + 0.5 * tSse.Textbook.Gradient[k]);
    }

    static Planted MseEntry(int k, double value) => new((n, g) => n.Loss == LossKind.HalfMse ? WithEntry(g, k, value) : g);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_half_mse_gradient_off_the_scaling_law_is_reported_with_both_sides_bounds(int k)
    {
        Network n = Sigmoid(LossKind.HalfMse);
        LawRule rule = MeanLaw(n, k);
        double a = 2 * rule.Predicted;
        PropertyVerdict v = P.MeanLossScalesGradients(MseEntry(k, a), n, Precision.Float64);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal(Zone.Wrong, f.Zone);
        Assert.Equal(rule.Predicted, f.Exact);
        Assert.Equal(rule.Careful, f.Careful);
        Assert.Equal(rule.Textbook, f.Textbook);

        double p = rule.Predicted;
        double careful = LastInside(p, a, rule.Agrees), textbook = LastInside(careful, a, rule.Accurate);
        Zone ZoneAt(double x) => P.MeanLossScalesGradients(MseEntry(k, x), n, Precision.Float64).Zone;
        Assert.Equal(Zone.Agrees, ZoneAt(careful));
        Assert.Equal(Zone.Accuracy, ZoneAt(Math.BitIncrement(careful)));
        Assert.Equal(Zone.Accuracy, ZoneAt(textbook));
        Assert.Equal(Zone.Wrong, ZoneAt(Math.BitIncrement(textbook)));
    }

    // ------------------------------------------------------------------ the slope along the step

    /// <summary>
    /// The descent law written out: for an answer g, the exact slope s = Σ −(E_k)·g_k with E_k = hi + lo
    /// the exact gradient, its size Σ|term|, and ‖g‖²; it holds while s ≤ max(0, Σ_{g_k ≠ 0} |g_k|·B_k − ‖g‖²)
    /// + P·ε·size (the slope's own rounding, P entries); beyond that it is accuracy up to the same with the
    /// textbook bounds TB_k, range where that is infinite, wrong past it.
    /// </summary>
    sealed record SlopeRule(double Slope, double Norm2, double CAllowed, double TAllowed, double IAllowed)
    {
        public bool Holds => Slope <= CAllowed;
        /// <summary>Where the textbook allowance is infinite (a formulation cannot represent the network), the
        /// allowance with the bounds of the formulations that can decides between accuracy and range.</summary>
        public Zone Zone => Holds ? Zone.Agrees
            : double.IsInfinity(TAllowed) ? (Slope <= IAllowed ? Zone.Accuracy : Zone.Range)
            : Slope <= TAllowed ? Zone.Accuracy : Zone.Wrong;
        /// <summary>The allowance the finding is shown with.</summary>
        public double Shown => Zone == Zone.Accuracy && double.IsInfinity(TAllowed) ? IAllowed : TAllowed;

        public static SlopeRule Of(Network n, double[] g)
        {
            Truth t = Truth.For(n);
            double norm2 = 0, slope = 0, size = 0, careful = 0, textbook = 0, inRange = 0;
            foreach (double v in g) norm2 += v * v;
            for (int k = 0; k < g.Length; k++)
            {
                double term = -(t.Exact.Gradient[k] + t.Exact.GradientLo[k]) * g[k];
                slope += term;
                size += Math.Abs(term);
                if (g[k] == 0) continue;                  // 0·∞ is no error
                careful += Math.Abs(g[k]) * t.Careful.Gradient[k];
                textbook += Math.Abs(g[k]) * t.Textbook.Gradient[k];
                inRange += Math.Abs(g[k]) * t.InRange.Gradient[k];
            }
            double rounding = g.Length * Eps * size;
            return new SlopeRule(slope, norm2, Math.Max(0, careful - norm2) + rounding, Math.Max(0, textbook - norm2) + rounding, Math.Max(0, inRange - norm2) + rounding);
        }
    }

    static Planted Answering(double[] g) => new((_, r) => WithEntries(r, g));

    static void AssertFinding(SlopeRule rule, PropertyVerdict v)
    {
        Assert.Equal(rule.Zone, v.Zone);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal(rule.Zone, f.Zone);
        Assert.Equal(rule.Slope, f.Actual);
        Assert.Equal(-rule.Norm2, f.Exact);
        Assert.Equal(rule.CAllowed + rule.Norm2, f.Careful);
        Assert.Equal(rule.Shown + rule.Norm2, f.Textbook);
    }

    /// <summary>
    /// A gradient almost orthogonal to the exact one of <see cref="Sigmoid"/>, and tiny: g = (a, −y) with
    /// a = 2⁻⁶⁶ and y near a·E_w/E_b, so that the slope is a small difference of two terms, and ‖g‖² (≈ 10⁻³⁷)
    /// is far below Σ|g_k|·B_k (≈ 10⁻³⁴): every part of both allowances counts. As y grows the slope
    /// passes the careful allowance, then the textbook one; the law must flip at the same ulp of y.
    /// </summary>
    [Fact]
    public void A_slope_within_rounding_of_zero_holds_up_to_the_careful_allowance_and_is_accurate_up_to_the_textbook_one_to_the_ulp()
    {
        Network n = Sigmoid();
        double a = Math.ScaleB(1, -66);
        double[] e = Truth.For(n).Exact.Gradient;
        double y0 = a * e[0] / e[1];
        SlopeRule At(double y) => SlopeRule.Of(n, [a, -y]);
        Assert.True(At(y0).Holds);
        Assert.True(At(y0).CAllowed - At(y0).Norm2 > 0);               // the allowances are not just the rounding
        double yCareful = LastInside(y0, 2 * y0, y => At(y).Holds);
        double yTextbook = LastInside(yCareful, 2 * y0, y => At(y).Slope <= At(y).TAllowed);
        Assert.True(yTextbook > Math.BitIncrement(yCareful));

        Assert.Equal(PropertyVerdict.Holds, P.SmallStepDoesNotIncreaseLoss(Answering([a, -yCareful]), n, Precision.Float64));
        foreach (double y in new[] { Math.BitIncrement(yCareful), yTextbook, Math.BitIncrement(yTextbook) })
        {
            SlopeRule rule = At(y);
            Assert.Equal(y <= yTextbook ? Zone.Accuracy : Zone.Wrong, rule.Zone);
            AssertFinding(rule, P.SmallStepDoesNotIncreaseLoss(Answering([a, -y]), n, Precision.Float64));
        }
    }

    /// <summary>
    /// One sigmoid unit, w = 1, x = 34, t = 0, half-sse: the textbook formulations take σ′(34) ≈ 1.7e-15
    /// from out as o(1 − o), where 1 − o has lost nearly every digit, so the textbook bound of the gradient
    /// (6.8e-14) exceeds the gradient E (5.8e-14) itself, while the careful bound is 13 digits below it.
    /// The answer −y climbs at E·y, and the textbook allowance is y·TB − y² (+ rounding): accuracy while
    /// y ≤ TB − E, about. At the last y inside, the slope lands exactly on the allowance (found by the
    /// rule, asserted below): a slope equal to the allowance is accuracy; one ulp further it is wrong.
    /// </summary>
    [Fact]
    public void An_uphill_slope_exactly_at_the_textbook_allowance_is_accuracy_and_one_ulp_beyond_it_wrong()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [[34.0]], [[0.0]]);
        Truth t = Truth.For(n);
        double e = t.Exact.Gradient[0], tb = t.Textbook.Gradient[0];
        Assert.True(t.Careful.Gradient[0] < 1e-12 * e && tb > e);
        SlopeRule At(double y) => SlopeRule.Of(n, [-y]);
        double yStar = tb - e;
        double last = LastInside(yStar / 2, 2 * yStar, y => At(y).Slope <= At(y).TAllowed);
        SlopeRule atLast = At(last), beyond = At(Math.BitIncrement(last));
        Assert.Equal(atLast.TAllowed, atLast.Slope);
        Assert.Equal(Zone.Accuracy, atLast.Zone);
        AssertFinding(atLast, P.SmallStepDoesNotIncreaseLoss(Answering([-last]), n, Precision.Float64));
        Assert.Equal(Zone.Wrong, beyond.Zone);
        AssertFinding(beyond, P.SmallStepDoesNotIncreaseLoss(Answering([-Math.BitIncrement(last)]), n, Precision.Float64));
    }

    [Fact]
    public void A_gradient_pointing_uphill_is_wrong_with_the_allowances_of_the_rule()
    {
        Network n = Sigmoid();
        double[] g = new ReferenceBackprop().Gradients(n).Flatten().Select(v => -v).ToArray();
        SlopeRule rule = SlopeRule.Of(n, g);
        Assert.Equal(Zone.Wrong, rule.Zone);
        AssertFinding(rule, P.SmallStepDoesNotIncreaseLoss(Answering(g), n, Precision.Float64));
    }

    [Fact]
    public void The_slope_is_taken_along_the_exact_gradient_rounded_once()
    {
        // both exact gradient entries of JustAboveOne are 1 + 3·2⁻⁵⁵, which rounds to 1 (1 − 3·2⁻⁵⁵ would
        // round to 1 − 2⁻⁵³): the answer (−1, −1) has the exact slope 1 + 1 = 2
        Network n = JustAboveOne();
        ExactValues x = Truth.For(n).Exact;
        Assert.Equal([1.0, 1.0], x.Gradient);
        Assert.Equal([ThreeTwoToMinus55, ThreeTwoToMinus55], x.GradientLo);
        SlopeRule rule = SlopeRule.Of(n, [-1, -1]);
        Assert.Equal(2.0, rule.Slope);
        AssertFinding(rule, P.SmallStepDoesNotIncreaseLoss(Answering([-1, -1]), n, Precision.Float64));
    }

    [Fact]
    public void A_slope_of_exactly_zero_is_no_increase()
    {
        // identity unit w = ½, x = ½, t = ¼: the output is the target, every exact gradient entry 0; the
        // answer 1 has slope −0·1 = 0, size 0, and an allowance of max(0, 1·B − 1) + 0 = 0: 0 ≤ 0 holds
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [[0.5]], [[0.25]]);
        SlopeRule rule = SlopeRule.Of(n, [1.0]);
        Assert.Equal(0.0, rule.Slope);
        Assert.Equal(0.0, rule.CAllowed);
        Assert.True(Truth.For(n).Careful.Gradient[0] > 0);
        Assert.Equal(PropertyVerdict.Holds, P.SmallStepDoesNotIncreaseLoss(Answering([1.0]), n, Precision.Float64));
    }

    [Fact]
    public void An_uphill_slope_where_the_textbook_bound_is_infinite_is_a_range_finding()
    {
        // OutOfRange: exact gradient (800, −1), careful bounds finite, textbook ones infinite. The answer
        // (−1, 0) climbs at 800; the zero entry's infinite bound counts for nothing (0·∞ is no error, not NaN)
        Network n = OutOfRange();
        Assert.Equal([800.0, -1.0], Truth.For(n).Exact.Gradient);
        Assert.All(Truth.For(n).Textbook.Gradient, b => Assert.Equal(double.PositiveInfinity, b));
        double[] g = [-1, 0];
        SlopeRule rule = SlopeRule.Of(n, g);
        Assert.Equal(800.0, rule.Slope);
        Assert.Equal(Zone.Range, rule.Zone);
        AssertFinding(rule, P.SmallStepDoesNotIncreaseLoss(Answering(g), n, Precision.Float64));
    }

    [Fact]
    public void A_non_finite_gradient_is_left_to_the_exact_value_law()
    {
        Network n = Sigmoid();
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity })
        {
            var planted = Answering([bad, 0.001]);
            Assert.Equal(PropertyVerdict.Holds, P.SmallStepDoesNotIncreaseLoss(planted, n, Precision.Float64));
            Assert.Equal(Zone.Wrong, P.GradientsAgreeWithExactValues(planted, n, Precision.Float64).Zone);
        }
    }
    // ------------------------------------------------------------------ out of one formulation's range

    /// <summary>
    /// A sigmoid hidden unit at net = 710 in the first example: σ = e^net/(1 + e^net) overflows there (ln of
    /// the largest double is 709.78), so that formulation cannot represent the network and the textbook bound
    /// of every gradient entry downstream is infinite; the other formulations (1/(1 + e^−net) among them) can,
    /// and their bound (<see cref="Truth.InRange"/>) is finite. Identity output w = 0.3, b = 0.1; x = 710, 2;
    /// t = 0.2, 0.9. Parameters, flattened: the hidden w, the output w, the output b.
    /// </summary>
    static Network OverflowingSigmoid(LossKind loss) =>
        Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None),
                           new Layer(Activation.Identity, new[,] { { 0.3 } }, [0.1], BiasMode.Trainable)], loss, 0.5,
            [[710.0], [2.0]], [[0.2], [0.9]]);

    [Fact]
    public void The_overflowing_sigmoid_is_out_of_one_formulations_range_only()
    {
        foreach (Network n in new[] { OverflowingSigmoid(LossKind.HalfSse), OverflowingSigmoid(LossKind.HalfMse) })
        {
            Truth t = Truth.For(n);
            RangeIssue issue = Assert.Single(t.Textbook.Range);
            Assert.Equal(Formulation.SigmoidFromExponentials, issue.By);
            Assert.Equal(Formulation.All & ~Formulation.SigmoidFromExponentials, t.InRangeFormulations);
            foreach (int k in new[] { 1, 2 })
            {
                Assert.Equal(double.PositiveInfinity, t.Textbook.Gradient[k]);
                Assert.True(double.IsFinite(t.InRange.Gradient[k]) && t.InRange.Gradient[k] > t.Careful.Gradient[k]);
            }
        }
    }

    /// <summary>
    /// Where the textbook bound is infinite only because one formulation overflows, an answer of a law is
    /// judged as an answer against its exact value is: within the bound of the formulations that can represent
    /// the network an accuracy finding (shown with that bound), one ulp beyond it a range finding. Before,
    /// every deviation past the careful bound there was a range finding filed under the overflowing σ, which
    /// the implementation, answering finite numbers, does not use (numpy --dtype float32, seed 5, random:1654).
    /// </summary>
    static void AssertInRangeTier(double predicted, double careful, double inRange, Func<double, PropertyVerdict> at)
    {
        // the answers are planted away from 0, on the predicted value's side: v is their magnitude
        double side = Math.Sign(predicted), p = Math.Abs(predicted);
        Assert.True(p > 0);
        double lastCareful = LastInside(p, 2 * p, v => Math.Abs(side * v - predicted) <= careful);
        double lastInRange = LastInside(lastCareful, 2 * p, v => Math.Abs(side * v - predicted) <= inRange);
        Assert.Equal(PropertyVerdict.Holds, at(side * lastCareful));
        foreach (double v in new[] { Math.BitIncrement(lastCareful), lastInRange })
        {
            Finding f = Assert.Single(at(side * v).Findings);
            Assert.Equal(Zone.Accuracy, f.Zone);
            Assert.Equal(inRange, f.Textbook);
        }
        Finding beyond = Assert.Single(at(side * Math.BitIncrement(lastInRange)).Findings);
        Assert.Equal(Zone.Range, beyond.Zone);
        Assert.Equal(double.PositiveInfinity, beyond.Textbook);
    }

    [Theory]
    [InlineData(LossKind.HalfSse, 1)]
    [InlineData(LossKind.HalfSse, 2)]
    [InlineData(LossKind.HalfMse, 2)]
    public void A_batch_gradient_where_one_formulation_overflows_is_accuracy_within_the_in_range_bound_and_range_beyond(LossKind loss, int k)
    {
        Network n = OverflowingSigmoid(loss);
        var reference = new ReferenceBackprop();
        double s = loss == LossKind.HalfMse ? 0.5 : 1.0;
        IReadOnlyList<Network> halves = Derived.Halves(n);
        Truth whole = Truth.For(n), first = Truth.For(halves[0]), second = Truth.For(halves[1]);
        double law = s * reference.Gradients(halves[0]).Flatten()[k] + s * reference.Gradients(halves[1]).Flatten()[k];
        double rounding = 3 * U64 * Math.Abs(law);
        double careful = whole.Careful.Gradient[k] + s * first.Careful.Gradient[k] + s * second.Careful.Gradient[k] + rounding;
        double inRange = whole.InRange.Gradient[k] + s * first.InRange.Gradient[k] + s * second.InRange.Gradient[k] + rounding;
        AssertInRangeTier(law, careful, inRange, a => P.BatchGradientCombinesExamples(BatchEntry(k, a), n, Precision.Float64));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_half_mse_gradient_where_one_formulation_overflows_is_accuracy_within_the_in_range_bound_and_range_beyond(int k)
    {
        Network mse = OverflowingSigmoid(LossKind.HalfMse), sse = Derived.WithLoss(mse, LossKind.HalfSse);
        Truth tMse = Truth.For(mse), tSse = Truth.For(sse);
        double predicted = new ReferenceBackprop().Gradients(sse).Flatten()[k] / 2;
        AssertInRangeTier(predicted, tMse.Careful.Gradient[k] + 0.5 * tSse.Careful.Gradient[k], tMse.InRange.Gradient[k] + 0.5 * tSse.InRange.Gradient[k],
            a => P.MeanLossScalesGradients(MseEntry(k, a), mse, Precision.Float64));
    }

    [Fact]
    public void A_step_where_one_formulation_overflows_is_accuracy_within_the_in_range_bound_and_range_beyond()
    {
        // the output weight (entry 1): W − η·g exactly is hi + lo, the step's own roundings as in StepOfW
        Network n = OverflowingSigmoid(LossKind.HalfSse);
        Truth t = Truth.For(n);
        double w = n.Layers[1].W[0, 0], eta = n.LearningRate, g = new ReferenceBackprop().Gradients(n).Flatten()[1];
        double step = eta * g;                          // exact: η = ½
        double hi = w - step, bb = hi - w, lo = (w - (hi - bb)) + (-step - bb);
        double Rounding(double s) => U64 * (Math.Abs(step) + Math.Abs(s)) + 2 * Floor64;
        double careful = LastInside(hi, hi + 1, s => Math.Abs(s - hi - lo) <= Rounding(s) + 2 * eta * t.Careful.Gradient[1]);
        double inRange = LastInside(careful, hi + 1, s => Math.Abs(s - hi - lo) <= Rounding(s) + 2 * eta * t.InRange.Gradient[1]);
        PropertyVerdict At(double s) => P.StepUsesOriginalWeights(new Planted(step: (_, p) => new Parameters([p.W[0], new[,] { { s } }], p.B.ToArray())), n, Precision.Float64);
        Assert.Equal(PropertyVerdict.Holds, At(careful));
        foreach (double s in new[] { Math.BitIncrement(careful), inRange })
        {
            Finding f = Assert.Single(At(s).Findings);
            Assert.Equal(Zone.Accuracy, f.Zone);
            Assert.Equal(Rounding(s) + 2 * eta * t.InRange.Gradient[1], f.Textbook);
        }
        Finding beyond = Assert.Single(At(Math.BitIncrement(inRange)).Findings);
        Assert.Equal(Zone.Range, beyond.Zone);
        Assert.Equal(double.PositiveInfinity, beyond.Textbook);
    }

    [Fact]
    public void An_uphill_slope_where_one_formulation_overflows_is_accuracy_within_the_in_range_allowance_and_range_beyond()
    {
        // As the first slope test: g = (0, a, −sign(E₂)·y), a = sign(E₁)·2⁻⁶⁶, so that the slope −|E₁|·2⁻⁶⁶ + |E₂|·y
        // climbs through 0 while ‖g‖² stays far below the allowances. Past the careful allowance
        // the textbook one is infinite here: accuracy up to the in-range allowance, to the ulp, range beyond it.
        Network n = OverflowingSigmoid(LossKind.HalfSse);
        double[] e = Truth.For(n).Exact.Gradient;
        double a = Math.Sign(e[1]) * Math.ScaleB(1, -66), side = -Math.Sign(e[2]);
        double y0 = Math.Abs(a * e[1] / e[2]);
        SlopeRule At(double y) => SlopeRule.Of(n, [0, a, side * y]);
        Assert.True(At(y0).Holds);
        Assert.Equal(double.PositiveInfinity, At(y0).TAllowed);
        double yCareful = LastInside(y0, 4 * y0, y => At(y).Holds);
        double yInRange = LastInside(yCareful, 4 * y0, y => At(y).Slope <= At(y).IAllowed);
        Assert.True(yInRange > Math.BitIncrement(yCareful));
        Assert.Equal(PropertyVerdict.Holds, P.SmallStepDoesNotIncreaseLoss(Answering([0, a, side * yCareful]), n, Precision.Float64));
        foreach (double y in new[] { Math.BitIncrement(yCareful), yInRange, Math.BitIncrement(yInRange) })
        {
            SlopeRule rule = At(y);
            Assert.Equal(y <= yInRange ? Zone.Accuracy : Zone.Range, rule.Zone);
            AssertFinding(rule, P.SmallStepDoesNotIncreaseLoss(Answering([0, a, side * y]), n, Precision.Float64));
        }
    }
}
