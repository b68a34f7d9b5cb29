using System.Globalization;
using System.Text.RegularExpressions;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The oracle's self-checks must be able to FAIL: an error planted in the exact gradient is reported
/// by the directional cross-check (dual side and Richardson side), an error well inside the derived
/// tolerance is not; the per-parameter oracles, tolerances and noise bounds take the values derived
/// by hand on networks small enough to do so. The memo tests compare object identity in the
/// process-wide memo, which another test filling it to capacity would clear: the class runs apart.
/// </summary>
[Collection(nameof(OracleMemo))]
public class CrossCheckTests
{
    static readonly double Eps = Math.ScaleB(1, -52);   // Validation.MachineEpsilon: ulp(1)
    const ulong Seed = 7;

    // ---- networks -------------------------------------------------------------------------------

    /// <summary>One identity unit, 3 inputs, a bias, half-SSE, one example: E is a quadratic in θ.
    /// θ = [3, −0.5, 2, 0.25], x = [1, 2, −1], t = 1: net = 3 − 1 − 2 + 0.25 = 0.25, r = o − t = −0.75,
    /// E = ½·0.5625 = 0.28125, g = r·[x, 1] = [−0.75, −1.5, 0.75, −0.75].</summary>
    static Network Quadratic(double t = 1) => Network.Create(3,
        [new Layer(Activation.Identity, new[,] { { 3.0, -0.5, 2.0 } }, [0.25], BiasMode.Trainable)],
        LossKind.HalfSse, 0.1, [[1.0, 2.0, -1.0]], [[t]]);
    static readonly double[] QuadraticTheta = [3, -0.5, 2, 0.25];
    static readonly double[] QuadraticGradient = [-0.75, -1.5, 0.75, -0.75];

    /// <summary>A smooth network that is not a polynomial: tanh hidden layer, identity output.</summary>
    static Network Smooth() => Network.Create(2,
        [new Layer(Activation.Tanh, new[,] { { 0.8, -0.6 }, { 0.3, 1.1 } }, [0.1, -0.2], BiasMode.Trainable),
         new Layer(Activation.Identity, new[,] { { 1.3, -0.7 } }, [0.05], BiasMode.Trainable)],
        LossKind.HalfSse, 0.1, [[0.5, -1.0]], [[0.4]]);

    /// <summary>The directions the directional check documents: v_k = ±max(1, |θ_k|)·2⁻¹⁰/√P, the signs
    /// the parities of SplitMix(Hash(seed, P)), one per entry, directions one after another.</summary>
    static double[][] Directions(double[] theta, int count, ulong seed)
    {
        var rng = new SplitMix(SplitMix.Hash(seed, (ulong)theta.Length));
        var all = new double[count][];
        for (int d = 0; d < count; d++)
        {
            all[d] = new double[theta.Length];
            for (int k = 0; k < theta.Length; k++)
                all[d][k] = ((rng.NextULong() & 1) == 0 ? 1 : -1) * Math.Max(1, Math.Abs(theta[k])) * Math.ScaleB(1, -10) / Math.Sqrt(theta.Length);
        }
        return all;
    }

    static double Dot(double[] v, double[] g) => v.Select((vk, k) => vk * g[k]).Sum();

    /// <summary>The truth of <paramref name="n"/> with the exact gradient (hi and lo) edited.</summary>
    static Truth Planted(Network n, Action<double[], double[]> edit)
    {
        Truth t = Truth.Compute(n, Precision.Float64);
        ExactValues x = t.Exact;
        double[] g = (double[])x.Gradient.Clone(), lo = (double[])x.GradientLo.Clone();
        edit(g, lo);
        var planted = new ExactValues
        {
            Network = x.Network, Net = x.Net, Out = x.Out, dE_dout = x.dE_dout, Delta = x.Delta,
            Outputs = x.Outputs, OutputsLo = x.OutputsLo, Loss = x.Loss, LossLo = x.LossLo,
            Gradient = g, GradientLo = lo,
        };
        return new Truth
        {
            Network = n, Precision = t.Precision, Exact = planted, Careful = t.Careful,
            TextbookPass = new Lazy<RoundingBounds>(() => t.Textbook),
        };
    }

    static readonly Regex DualProblem = new(@"^direction (\d+): the exact v·g is (\S+), forward mode on dual numbers gives (\S+) \(tolerance (\S+)\)$");
    static readonly Regex RichardsonProblem = new(@"^direction (\d+): the exact v·g is (\S+), the Richardson difference gives (\S+) ± (\S+)$");

    static double Num(Group g) => double.Parse(g.Value, NumberStyles.Float, CultureInfo.CurrentCulture);

    static List<(int d, double vTg, double other, double bound)> Parse(IEnumerable<string> problems, Regex r) =>
        problems.Select(p => r.Match(p)).Where(m => m.Success)
                .Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Num(m.Groups[2]), Num(m.Groups[3]), Num(m.Groups[4]))).ToList();

    // ---- the directional check reports planted errors --------------------------------------------

    [Fact]
    public void An_error_planted_in_the_gradient_is_reported_by_both_sides_with_the_documented_directions()
    {
        // entry 0 (θ = 3) made 1 larger: v·g moves by v₀ = ±3·2⁻¹⁰/√4 = ±3·2⁻¹¹ ≈ 1.5e-3, eleven orders
        // above both tolerances (dual: K·ε·(M + |v·g|) with K = 104, M ~ 1e-2; Richardson: 32·noise ≈ 2.3e-12)
        const int count = 6;
        Network n = Quadratic();
        DirectionalCheck check = Directional.Verify(Planted(n, (g, lo) => g[0] += 1), count, Seed);
        double[][] v = Directions(QuadraticTheta, count, Seed);
        var dual = Parse(check.Problems, DualProblem);
        var richardson = Parse(check.Problems, RichardsonProblem);
        Assert.Equal(count, check.Directions);
        Assert.Equal(Enumerable.Range(0, count), dual.Select(p => p.d));            // every direction, no more
        Assert.Equal(Enumerable.Range(0, count), richardson.Select(p => p.d));
        Assert.Equal(2 * count, check.Problems.Count);
        Assert.False(check.Agrees);
        for (int d = 0; d < count; d++)
        {
            double vg = Dot(v[d], QuadraticGradient);          // exact: dyadic products and sums
            double planted = vg + v[d][0];
            // the reported exact value is the planted one (a double-double sum of 4 products, rounded once)
            Assert.Equal(planted, dual[d].vTg, Math.Abs(planted) * 1e-15);
            // forward mode on duals gives the true v·g: within K·ε·M ≤ 104·2⁻⁵²·1e-2
            Assert.Equal(vg, dual[d].other, 1e-15);
            Assert.True(dual[d].bound > 0 && dual[d].bound < 1e-14, $"dual tolerance {dual[d].bound}");
            // E is quadratic along v: the central differences are exact but for E's rounding
            // (a few ε·0.3 over 2s ≥ 1/2, times the Richardson weights, sum of |weights| < 3) — far below 1e-13
            Assert.Equal(planted, richardson[d].vTg, Math.Abs(planted) * 1e-15);
            Assert.Equal(vg, richardson[d].other, 1e-13);
            // the estimate is |r₂ − r₁| + 32·noise, noise = 64ε·(E + |r|·(|b| + Σ|W·x|)) = 64ε·4.96875
            double noise = 64 * Eps * (0.28125 + 0.75 * (0.25 + 3 + 1 + 2));
            Assert.InRange(richardson[d].bound, 32 * noise * 0.995, 32 * noise * 1.1);
        }
        // the directions are random signs, not all one sign
        Assert.Contains(v.SelectMany(x => x), x => x > 0);
        Assert.Contains(v.SelectMany(x => x), x => x < 0);
    }

    [Fact]
    public void An_error_planted_in_the_low_part_moves_the_exact_value_the_same_way()
    {
        // the exact value is hi + lo: 1 added to lo[0] reports the same v·g as 1 added to hi[0]
        const int count = 4;
        Network n = Quadratic();
        var dual = Parse(Directional.Verify(Planted(n, (g, lo) => lo[0] += 1), count, Seed).Problems, DualProblem);
        double[][] v = Directions(QuadraticTheta, count, Seed);
        Assert.Equal(count, dual.Count);
        for (int d = 0; d < count; d++)
        {
            double planted = Dot(v[d], QuadraticGradient) + v[d][0];
            Assert.Equal(planted, dual[d].vTg, Math.Abs(planted) * 1e-15);
        }
    }

    [Fact]
    public void Each_direction_moves_each_parameter_by_its_documented_step()
    {
        // plant 1 in one entry k at a time: the reported v·g moves by v_k exactly (to rounding), so
        // |vTg − dual| = max(1, |θ_k|)·2⁻¹⁰/√P: 3·2⁻¹¹, 2⁻¹¹ (|θ| = 0.5 < 1), 2·2⁻¹¹, 2⁻¹¹ (a bias);
        // over 8 directions each entry takes both signs at least once (fixed seed)
        const int count = 8;
        Network n = Quadratic();
        double[] expected = [3 * Math.ScaleB(1, -11), Math.ScaleB(1, -11), 2 * Math.ScaleB(1, -11), Math.ScaleB(1, -11)];
        for (int k = 0; k < 4; k++)
        {
            int entry = k;
            var dual = Parse(Directional.Verify(Planted(n, (g, lo) => g[entry] += 1), count, Seed).Problems, DualProblem);
            Assert.Equal(count, dual.Count);
            var steps = dual.Select(p => p.vTg - p.other).ToList();
            foreach (double s in steps) Assert.Equal(expected[k], Math.Abs(s), expected[k] * 1e-9);
            Assert.Contains(steps, s => s > 0);
            Assert.Contains(steps, s => s < 0);
        }
    }

    [Fact]
    public void The_Richardson_side_reports_an_error_far_below_its_step_rounding_allowance_for_a_large_step()
    {
        // planted on v·g: 1e-10 (δ = 1e-10/|v₀|). The Richardson threshold is |r₂ − r₁| + 32·noise
        // (≈ 2.3e-12) + dual tolerance (< 1e-14) + 2¹²·√P·ε·Σ|v·g| (4096·2·ε·6·2⁻¹¹ ≈ 5e-15): far below
        // 1e-10, so it is reported. (A threshold growing like 1/Σ|v·g| or 1/ε would hide it.)
        const int count = 2;
        Network n = Quadratic();
        double[][] v = Directions(QuadraticTheta, count, Seed);
        double delta = 1e-10 / Math.Abs(v[0][0]);
        // the same |v₀| in every direction (3·2⁻¹¹)
        var problems = Directional.Verify(Planted(n, (g, lo) => g[0] += delta), count, Seed).Problems;
        var richardson = Parse(problems, RichardsonProblem);
        Assert.Equal([0, 1], richardson.Select(p => p.d));
        Assert.All(richardson, p => Assert.Equal(1e-10, Math.Abs(p.vTg - p.other), 1e-11));
    }

    [Fact]
    public void An_error_well_inside_the_derived_tolerances_is_not_reported()
    {
        // Richardson side: the threshold is at least 32·noise = 32·64ε·4.96875 (the estimate's noise
        // term), and the quadratic's difference is exact to ≪ 1e-13 of that... so an error of half
        // of 32·noise (≈ 1.1e-12) is not reported there; the dual side (tolerance < 1e-14) reports it.
        const int count = 3;
        Network n = Quadratic();
        double[][] v = Directions(QuadraticTheta, count, Seed);
        double noise = 64 * Eps * (0.28125 + 0.75 * (0.25 + 3 + 1 + 2));
        double delta = 16 * noise / Math.Abs(v[0][0]);
        var problems = Directional.Verify(Planted(n, (g, lo) => g[0] += delta), count, Seed).Problems;
        Assert.Empty(Parse(problems, RichardsonProblem));
        Assert.Equal(count, Parse(problems, DualProblem).Count);

        // dual side: tolerance ≥ K·ε·|v·g| with K = 2·(32 + 4 + 16) = 104 (one layer, longest sum
        // fan-in + 1 = 4); half of that is not reported anywhere
        foreach (int d in Enumerable.Range(0, count))
        {
            double small = 0.5 * 104 * Eps * Math.Abs(Dot(v[d], QuadraticGradient)) / Math.Abs(v[d][0]);
            var one = Directional.Verify(Planted(n, (g, lo) => g[0] += small), d + 1, Seed).Problems;
            Assert.DoesNotContain(one, p => p.StartsWith($"direction {d}:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void An_error_of_twice_the_computed_dual_tolerance_is_reported()
    {
        // tolerance = K·ε·(M + |dual|) + 2·ED + 2⁻⁹⁸·Σ|v·g| with M, ED from the dual pass along v and
        // K = 104: an error of twice that (plus 1e-30) must be reported on the dual side
        Network n = Quadratic();
        double[] v = Directions(QuadraticTheta, 1, Seed)[0];
        var (dual, magnitude, errorBound) = Oracles.Directional(n, v);
        double size = v.Select((vk, k) => Math.Abs(vk * QuadraticGradient[k])).Sum();
        double tolerance = 104 * Eps * (magnitude + Math.Abs(dual)) + 2 * errorBound + size * Math.ScaleB(1, -98);
        double delta = 2 * tolerance / Math.Abs(v[0]);
        var reported = Parse(Directional.Verify(Planted(n, (g, lo) => g[0] += delta), 1, Seed).Problems, DualProblem);
        Assert.Single(reported);
        Assert.Equal(tolerance, reported[0].bound, tolerance * 0.006);     // printed to 3 digits
    }

    [Fact]
    public void The_Richardson_side_converges_on_a_smooth_network_and_reports_a_planted_error()
    {
        // tanh: not a polynomial, so the three differences differ by their h² terms (far above the
        // noise floor) in the ratio 4: the difference is used, and 1 planted in entry 0 is reported
        const int count = 4;
        Network n = Smooth();
        double[] theta = [0.8, -0.6, 0.3, 1.1, 0.1, -0.2, 1.3, -0.7, 0.05];
        double[][] v = Directions(theta, count, Seed);
        var problems = Directional.Verify(Planted(n, (g, lo) => g[0] += 1), count, Seed).Problems;
        var dual = Parse(problems, DualProblem);
        var richardson = Parse(problems, RichardsonProblem);
        Assert.Equal(Enumerable.Range(0, count), dual.Select(p => p.d));
        Assert.Equal(Enumerable.Range(0, count), richardson.Select(p => p.d));
        for (int d = 0; d < count; d++)
        {
            Assert.Equal(Math.Abs(v[d][0]), Math.Abs(dual[d].vTg - dual[d].other), 1e-12);
            // the Richardson value agrees with the dual one to its own estimate (h⁶ term ~ (2⁻¹¹)⁶)
            Assert.True(Math.Abs(richardson[d].other - dual[d].other) <= richardson[d].bound,
                        $"{richardson[d].other:R} vs {dual[d].other:R} ± {richardson[d].bound}");
            Assert.True(richardson[d].bound < 1e-9, $"estimate {richardson[d].bound}");
        }
        // unplanted, nothing is reported
        Assert.Empty(Directional.Verify(Truth.Compute(n, Precision.Float64), count, Seed).Problems);
    }

    /// <summary>Tiny weights, large inputs: one identity unit, W = [2⁻²⁰, −2⁻²⁰, 2⁻²⁰], b = 0,
    /// x = [1024, 1024, −1024], t = 1, half-SSE. The step v_k = ±2⁻¹⁰/√4 = ±2⁻¹¹ is not proportional to
    /// the weights, so Σ|v·g| (≈ 2⁻¹¹·3·1025 ≈ 1.5) is large while E (≈ ½) and the units' sums
    /// Σ|W·x| (3·2⁻¹⁰) are small: the step-rounding allowance 2¹²·√P·ε·Σ|v·g| ≈ 12,300ε is the
    /// largest term of the Richardson threshold (32·noise ≈ 1,000ε, the dual tolerance a few hundred ε).</summary>
    static Network TinyWeightsLargeInputs() => Network.Create(3,
        [new Layer(Activation.Identity, new[,] { { Math.ScaleB(1, -20), -Math.ScaleB(1, -20), Math.ScaleB(1, -20) } }, [0.0], BiasMode.Trainable)],
        LossKind.HalfSse, 0.1, [[1024.0, 1024.0, -1024.0]], [[1.0]]);

    [Fact]
    public void Where_the_step_rounding_allowance_is_the_largest_term_an_error_within_it_is_not_reported_and_twice_the_threshold_is()
    {
        const int count = 2;
        Network n = TinyWeightsLargeInputs();
        Truth truth = Truth.Compute(n, Precision.Float64);
        double[] g = truth.Exact.Gradient;
        double[][] v = Directions(Parameters.Of(n).Flatten(), count, Seed);
        double noise = Oracles.EvaluationNoise(n);
        double Size(double[] vd) => vd.Select((vk, k) => Math.Abs(vk * g[k])).Sum();   // Σ|v·g|
        double Allowance(double[] vd) => 4096 * Math.Sqrt(4) * Eps * Size(vd);           // 2¹²·√P·ε·Σ|v·g|
        for (int d = 0; d < count; d++)
        {
            double size = Size(v[d]), stepRounding = Allowance(v[d]);
            var (dual, magnitude, errorBound) = Oracles.Directional(n, v[d]);
            double tolerance = DualTolerance.Of(n, dual, magnitude, errorBound) + size * Math.ScaleB(1, -98);
            // the network does what it is here for: the allowance outweighs the other terms together,
            // so a threshold without it, or with it subtracted, is below the rounding it allows for
            Assert.True(stepRounding > 4 * (32 * noise + tolerance), $"direction {d}: {stepRounding} vs {32 * noise} + {tolerance}");
        }
        // unplanted: the difference is exact to a few dozen ε (E is quadratic along v), nothing reported
        Assert.Empty(Directional.Verify(truth, count, Seed).Problems);

        // half the allowance planted on v·g of direction 0: the dual side (tolerance ≪ the allowance)
        // reports it, the Richardson side does not: the allowance is as large as documented, not P
        // times smaller (4096/√P) nor Σ|v/g| in place of Σ|v·g|
        double half = 0.5 * Allowance(v[0]);
        var problems = Directional.Verify(Planted(n, (gh, lo) => gh[0] += half / Math.Abs(v[0][0])), 1, Seed).Problems;
        Assert.Single(Parse(problems, DualProblem));
        Assert.Empty(Parse(problems, RichardsonProblem));

        // exactly 32·noise + the allowance planted: the threshold is |R₂ − R₁| + 32·noise + the dual tolerance
        // (≈ 350ε here) + the allowance. E is exactly quadratic along v, so |R₂ − R₁| and the Richardson
        // difference's own error are roundings of E (≈ ε·E per evaluation, E < 4, over 2s ≥ ½, weights
        // below 3): a few dozen ε, a tenth of the dual tolerance at most (the test still passes with 0.9 of
        // the tolerance added to the planted error). Inside, not reported there; with the dual tolerance
        // subtracted instead of added (≈ 700ε less) it would be.
        double noiseAndAllowance = 32 * noise + Allowance(v[0]);
        problems = Directional.Verify(Planted(n, (gh, lo) => gh[0] += noiseAndAllowance / Math.Abs(v[0][0])), 1, Seed).Problems;
        Assert.Empty(Parse(problems, RichardsonProblem));

        // twice the allowance plus twice 32·noise and the dual tolerance: above the whole threshold, reported by both
        var (dual0, magnitude0, errorBound0) = Oracles.Directional(n, v[0]);
        double above = 2 * (Allowance(v[0]) + 32 * noise + DualTolerance.Of(n, dual0, magnitude0, errorBound0));
        problems = Directional.Verify(Planted(n, (gh, lo) => gh[0] += above / Math.Abs(v[0][0])), 1, Seed).Problems;
        Assert.Single(Parse(problems, DualProblem));
        Assert.Single(Parse(problems, RichardsonProblem));
    }

    [Fact]
    public void A_relu_exactly_at_its_kink_widens_the_dual_tolerance_by_the_careful_bounds_through_it()
    {
        // relu net = 0.1·10 − 1 = 2⁻⁵⁴·… (0.1 is not 1/10): exactly tiny, but 0 in double rounding, so either
        // derivative may be taken by a double computation and the dual tolerance grows by Σ|v_k|·careful bound_k
        Network n = Network.Create(1,
            [new Layer(Activation.Relu, new[,] { { 0.1 } }, [-1.0], BiasMode.Trainable),
             new Layer(Activation.Identity, new[,] { { 2.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.1, [[10.0]], [[1.0]]);
        Truth truth = Truth.Compute(n, Precision.Float64);
        Assert.NotEmpty(truth.Careful.AmbiguousKinks);
        double[] v = Directions([0.1, -1, 2], 1, Seed)[0];
        double kinks = v.Select((vk, k) => Math.Abs(vk) * truth.Careful.Gradient[k]).Sum();
        Assert.True(kinks > 0, $"kinks {kinks}");
        var (dual, magnitude, errorBound) = Oracles.Directional(n, v);
        double own = v.Select((vk, k) => Math.Abs(vk * truth.Exact.Gradient[k])).Sum() * Math.ScaleB(1, -98);
        double tolerance = DualTolerance.Of(n, dual, magnitude, errorBound) + own + kinks;

        // half the kink allowance is not reported
        double inside = 0.5 * kinks / Math.Abs(v[0]);
        Assert.Empty(Parse(Directional.Verify(Planted(n, (g, lo) => g[0] += inside), 1, Seed).Problems, DualProblem));
        // twice the whole tolerance is, and the printed tolerance is that sum
        double outside = 2 * tolerance / Math.Abs(v[0]);
        var reported = Parse(Directional.Verify(Planted(n, (g, lo) => g[0] += outside), 1, Seed).Problems, DualProblem);
        Assert.Single(reported);
        Assert.Equal(tolerance, reported[0].bound, tolerance * 0.006);
    }

    // ---- ParameterRef ---------------------------------------------------------------------------

    static Network TwoLayers() => Network.Create(3,
        [new Layer(Activation.Tanh, new[,] { { 0.1, 0.2, 0.3 }, { 0.4, 0.5, 0.6 } }, [0.7, 0.8], BiasMode.Trainable),
         new Layer(Activation.Identity, new[,] { { 0.9, 1.0 } }, null, BiasMode.None)],
        LossKind.HalfSse, 0.1, [[1.0, 1.0, 1.0]], [[0.0]]);

    [Fact]
    public void Parameters_are_listed_weights_row_by_row_then_biases_layer_by_layer()
    {
        Network n = TwoLayers();
        string[] expected =
        [
            "layers[0].weights[0][0]", "layers[0].weights[0][1]", "layers[0].weights[0][2]",
            "layers[0].weights[1][0]", "layers[0].weights[1][1]", "layers[0].weights[1][2]",
            "layers[0].biases[0]", "layers[0].biases[1]",
            "layers[1].weights[0][0]", "layers[1].weights[0][1]",
        ];
        ParameterRef[] all = ParameterRef.All(n);
        Assert.Equal(expected, all.Select(p => p.ToString()));
        for (int k = 0; k < expected.Length; k++) Assert.Equal(all[k], ParameterRef.At(n, k));
        Assert.Equal(new ParameterRef(0, 1, 2, false), ParameterRef.At(n, 5));
        Assert.Equal(new ParameterRef(0, 1, 0, true), ParameterRef.At(n, 7));
        Assert.Equal(new ParameterRef(1, 0, 1, false), ParameterRef.At(n, 9));
        var beyond = Assert.Throws<ArgumentOutOfRangeException>(() => ParameterRef.At(n, 10));
        Assert.Equal("k", beyond.ParamName);
        Assert.StartsWith("beyond the network's parameters", beyond.Message, StringComparison.Ordinal);
        // values: the ref reads the entry it names
        var p = Parameters<Real>.Of(n);
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], all.Select(r => r.Get(p).Value));
    }

    // ---- DualTolerance --------------------------------------------------------------------------

    static Network Sized(int batch)
    {
        var w0 = new double[2, 5];
        var w1 = new double[3, 2];
        double[][] x = Enumerable.Range(0, batch).Select(_ => new double[5]).ToArray();
        double[][] t = Enumerable.Range(0, batch).Select(_ => new double[3]).ToArray();
        return Network.Create(5, [new Layer(Activation.Tanh, w0, null, BiasMode.None), new Layer(Activation.Identity, w1, null, BiasMode.None)],
                              LossKind.HalfSse, 0.1, x, t);
    }

    [Fact]
    public void K_counts_32_roundings_per_layer_the_longest_sum_and_16_twice()
    {
        // layers 5→2 and 2→3: per layer max(fan-in + 1, units) = 6 and 3; m·outputs = 1·3 or 4·3
        // m = 1: longest = max(3, 6) = 6, K = 2·(64 + 6 + 16) = 172
        // m = 4: longest = max(12, 6) = 12, K = 2·(64 + 12 + 16) = 184
        Assert.Equal(172.0, DualTolerance.K(Sized(1)));
        Assert.Equal(184.0, DualTolerance.K(Sized(4)));
        // Of = K·ε·(M + |dual|) + 2·ED + the smallest subnormal
        Assert.Equal(172 * 4 * Eps, DualTolerance.Of(Sized(1), -1, 3, 0));
        Assert.Equal(172 * 4 * Eps + 1.0, DualTolerance.Of(Sized(1), -1, 3, 0.5));
        Assert.Equal(double.Epsilon, DualTolerance.Of(Sized(1), 0, 0, 0));
    }

    // ---- EvaluationNoise ------------------------------------------------------------------------

    [Fact]
    public void Evaluation_noise_is_64_eps_times_E_and_every_units_sensitivity_times_its_sum()
    {
        // identity, W = [2, −3], b = 0.5, x = (1, 1), (2, −1), t = 0, 1, half-SSE:
        // nets −0.5, 7.5; δ = o − t = −0.5, 6.5; E = ½(0.25 + 42.25) = 21.25
        // Σ|b| + |W·x| = 0.5 + 2 + 3 = 5.5 and 0.5 + 4 + 3 = 7.5; size = 21.25 + 0.5·5.5 + 6.5·7.5 = 72.75
        Network n = Network.Create(2, [new Layer(Activation.Identity, new[,] { { 2.0, -3.0 } }, [0.5], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[1.0, 1.0], [2.0, -1.0]], [[0.0], [1.0]]);
        Assert.Equal(64 * Eps * 72.75, Oracles.EvaluationNoise(n));

        // binary cross-entropy (fused) adds Σ(|t·net| + |net|)/m: sigmoid, W = 1, x = 1, 2, t = 1, 0:
        // (1 + 1 + 0 + 2)/2 = 2; E = ½(−ln σ(1) − ln(1 − σ(2))), δ = (o − t)/m, sums |W·x| = 1, 2
        Network bce = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
                                     LossKind.BinaryCrossEntropy, 0.1, [[1.0], [2.0]], [[1.0], [0.0]]);
        double s1 = 1 / (1 + Math.Exp(-1)), s2 = 1 / (1 + Math.Exp(-2));
        double e = 0.5 * (-Math.Log(s1) - Math.Log(1 - s2));
        double size = e + 2 + Math.Abs(s1 - 1) / 2 * 1 + s2 / 2 * 2;
        Assert.Equal(64 * Eps * size, Oracles.EvaluationNoise(bce), 64 * Eps * size * 1e-12);
    }

    // ---- per-parameter oracles -------------------------------------------------------------------

    [Fact]
    public void The_memo_never_holds_more_than_its_capacity()
    {
        // capacity + 1 networks the memo has not seen (targets no other test uses): the last finds it
        // full and empties it first, so memory stays flat however many networks a run judges
        for (int i = 0; i <= Oracles.MemoCapacity; i++)
        {
            Oracles.Compute(Quadratic(t: 1000 + i), finiteDifferences: false, complexStep: false);
            Assert.InRange(Oracles.MemoCount, 1, Oracles.MemoCapacity);
        }
        Assert.True(Oracles.MemoCount < Oracles.MemoCapacity, $"{Oracles.MemoCount} oracles after one past capacity");
    }

    [Fact]
    public void The_per_parameter_oracles_give_the_hand_derived_derivatives_of_a_quadratic()
    {
        // t = 2 (a network of its own for the memo): r = 0.25 − 2 = −1.75, g = r·[1, 2, −1, 1]
        Network n = Quadratic(t: 2);
        double[] g = [-1.75, -3.5, 1.75, -1.75];
        OracleGradients o = Oracles.Compute(n);
        Assert.Equal(["layers[0].weights[0][0]", "layers[0].weights[0][1]", "layers[0].weights[0][2]", "layers[0].biases[0]"],
                     o.Parameters.Select(p => p.ToString()));
        Assert.Equal(g, o.Dual);                                       // dyadic: exact
        Assert.NotNull(o.ComplexStep);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(g[k], o.ComplexStep![k], Math.Abs(g[k]) * 1e-15);
            // quadratic: the central differences are exact but for rounding, ≪ 1e-10
            Assert.Equal(g[k], o.FiniteDifference[k], 1e-10);
            Assert.False(o.Kink[k]);
            // estimate |r₂ − r₁| + 8·noise/(h/4), h = 2⁻¹⁰·max(1, |θ|); the rounding of the differences
            // (|r₂ − r₁| ≲ 1e4·ε) is below 1% of the noise term 32·noise/h ≥ 32·64ε·12.47·1024/3 ≈ 2e-9
            double noise = 64 * Eps * (0.5 * 1.75 * 1.75 + 1.75 * (0.25 + 3 + 1 + 2));   // E + |r|·(|b| + Σ|W·x|)
            double h = Math.ScaleB(1, -10) * Math.Max(1, Math.Abs(QuadraticTheta[k]));
            Assert.InRange(o.FiniteDifferenceError[k], 32 * noise / h * 0.999, 32 * noise / h * 1.01);
        }
        Assert.False(Oracles.HasKinks(n));
        // the memo: the same network answers with the same object, and a request without finite
        // differences or complex step is answered by the full computation
        Assert.Same(o, Oracles.Compute(n));
        Assert.Same(o, Oracles.Compute(n, finiteDifferences: false));
        Assert.Same(o, Oracles.Compute(n, complexStep: false));
        Assert.Same(o, Oracles.Compute(Quadratic(t: 2)));             // an equal network, another object
    }

    [Fact]
    public void Without_finite_differences_they_are_NaN_and_the_memo_keeps_the_earlier_network()
    {
        Network a = Quadratic(t: 3), b = Quadratic(t: 4);
        OracleGradients first = Oracles.Compute(a, finiteDifferences: false, complexStep: false);
        Assert.All(first.FiniteDifference, x => Assert.True(double.IsNaN(x)));
        Assert.Null(first.ComplexStep);
        Oracles.Compute(b, finiteDifferences: false, complexStep: false);
        Assert.Same(first, Oracles.Compute(a, finiteDifferences: false, complexStep: false));
        // a full request is not answered by the partial one
        OracleGradients full = Oracles.Compute(a);
        Assert.NotSame(first, full);
        Assert.NotNull(full.ComplexStep);
        Assert.All(full.FiniteDifference, x => Assert.False(double.IsNaN(x)));
    }

    [Fact]
    public void On_a_smooth_network_the_Richardson_difference_is_used_and_agrees_with_the_complex_step()
    {
        // tanh: h² terms far above the noise, shrinking by 4 per halving: every entry has a value,
        // within its estimate of the complex step (which is exact to a few ulps)
        OracleGradients o = Oracles.Compute(Smooth());
        var theta = Parameters<Real>.Of(Smooth());
        double noise = Oracles.EvaluationNoise(Smooth());
        Assert.NotNull(o.ComplexStep);
        for (int k = 0; k < o.Dual.Length; k++)
        {
            Assert.False(o.Kink[k]);
            Assert.True(double.IsFinite(o.FiniteDifference[k]), $"entry {k}");
            Assert.True(Math.Abs(o.FiniteDifference[k] - o.ComplexStep![k]) <= o.FiniteDifferenceError[k],
                        $"entry {k}: {o.FiniteDifference[k]:R} vs {o.ComplexStep[k]:R} ± {o.FiniteDifferenceError[k]}");
            Assert.Equal(o.ComplexStep[k], o.Dual[k], Math.Abs(o.Dual[k]) * 1e-13 + 1e-16);
            // estimate = |r₂ − r₁| + 8·noise/(h/4): |r₂ − r₁| is the h⁴ term, h ≈ 1e-3, so ≪ 1e-10
            double h = Math.ScaleB(1, -10) * Math.Max(1, Math.Abs(o.Parameters[k].Get(theta).Value));
            Assert.InRange(o.FiniteDifferenceError[k], 32 * noise / h, 32 * noise / h + 1e-10);
        }
        Assert.False(Oracles.HasKinks(Smooth()));
    }

    [Fact]
    public void A_relu_within_the_step_of_its_kink_is_flagged_and_has_no_complex_step()
    {
        // relu net = w·1 + b with w = 1, b = −1 + 3/8·2⁻¹⁰: net = 3/8·2⁻¹⁰. For w and b the step is
        // h = 2⁻¹⁰ (|θ| ≤ 1): the steps h and h/2 cross 0, h/4 does not — still a kink. The output
        // weight (θ = 2, h = 2⁻⁹) does not move the relu's input: no kink there.
        double b = -1 + 0.375 * Math.ScaleB(1, -10);
        Network n = Network.Create(1,
            [new Layer(Activation.Relu, new[,] { { 1.0 } }, [b], BiasMode.Trainable),
             new Layer(Activation.Identity, new[,] { { 2.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.1, [[1.0]], [[0.0]]);
        OracleGradients o = Oracles.Compute(n);
        Assert.Equal([true, true, false], o.Kink);
        Assert.True(double.IsNaN(o.FiniteDifference[0]) && double.IsNaN(o.FiniteDifference[1]));
        Assert.True(double.IsNaN(o.FiniteDifferenceError[0]) && double.IsNaN(o.FiniteDifferenceError[1]));
        // E = ½(2·net)², dE/dW₁ = 2·net·net = 2·(3·2⁻¹³)²
        double net = 3 * Math.ScaleB(1, -13);
        Assert.Equal(2 * net * net, o.FiniteDifference[2], 1e-15);
        Assert.Null(o.ComplexStep);
        Assert.True(Oracles.HasKinks(n));
    }

    [Fact]
    public void A_complex_step_below_the_floor_is_NaN()
    {
        // x = 1e-280: dE/dW = r·x ≈ 1e-280, so Im E = 1e-20·dE/dW ≈ 1e-300 < 2⁻⁹⁶⁰ ≈ 1e-289: NaN;
        // dE/db = r = o − t = 3·1e-280 + 0.5 − 1 = −0.5 has all its digits
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 3.0 } }, [0.5], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[1e-280]], [[1.0]]);
        OracleGradients o = Oracles.Compute(n);
        Assert.NotNull(o.ComplexStep);
        Assert.True(double.IsNaN(o.ComplexStep![0]), $"{o.ComplexStep[0]}");
        Assert.Equal(-0.5, o.ComplexStep[1], 1e-15);
    }
}

/// <summary>Tests that read the process-wide memo of <see cref="Oracles"/> run apart from tests that fill it.</summary>
[CollectionDefinition(nameof(OracleMemo), DisableParallelization = true)]
public class OracleMemo;
