using BackpropSpec.Oracle.Judging;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The tolerance model's elementary rules (ErrorModel.cs states each with its derivation), at points
/// where the rule can be worked out by hand: u = 2⁻⁵³ and the floor 2⁻¹⁰²² in float64, u = 2⁻²⁴ and
/// 2⁻¹²⁶ in float32; the library functions within 1 ulp (careful) or 4 ulps (textbook), a relative
/// Fn = 2·ulps·u. Where the expected value below is a sum of multiples of u it is exact in binary, and
/// compared exactly; where it goes through exp or ln it is compared to a relative 1e-14, a few hundred
/// ulps: far below any change of a rule (the smallest a rule's term can move is u of the bound's
/// size, and each case is built so that the term tested is at least 1e-6 of the total).
/// </summary>
public class ErrorModelTests
{
    const double U = 1.0 / 9007199254740992;                   // 2⁻⁵³
    static readonly double Floor = Math.ScaleB(1, -1022);
    static readonly double U32 = Math.ScaleB(1, -24), Floor32 = Math.ScaleB(1, -126);
    static readonly ErrorModel Careful = ErrorModel.Careful(), Textbook = ErrorModel.Textbook(Precision.Float64);
    static readonly ErrorModel Careful32 = ErrorModel.Careful(Precision.Float32), Textbook32 = ErrorModel.Textbook(Precision.Float32);

    static void Near(double expected, double actual, double relative = 1e-14) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    static double SigmoidPrime(double x) => Math.Exp(-Math.Abs(x)) / ((1 + Math.Exp(-Math.Abs(x))) * (1 + Math.Exp(-Math.Abs(x))));
    static double SechSquared(double x) => 1 / (Math.Cosh(x) * Math.Cosh(x));

    [Fact]
    public void Each_profile_has_its_unit_roundoff_floor_library_error_and_formulations()
    {
        Assert.Equal(U, Careful.U);
        Assert.Equal(Floor, Careful.Floor);
        Assert.Equal(2 * U, Careful.Fn);                        // 1 ulp = 2u
        Assert.Equal(8 * U, Textbook.Fn);                       // 4 ulps
        Assert.Equal(U32, Textbook32.U);
        Assert.Equal(Floor32, Textbook32.Floor);
        Assert.Equal(8 * U32, Textbook32.Fn);
        Assert.Equal(2 * U32, Careful32.Fn);
        foreach (Formulation f in new[] { Formulation.DerivativesFromOut, Formulation.LossesFromProbabilities, Formulation.UnshiftedSoftmax, Formulation.TanhFromExponentials, Formulation.All })
        {
            Assert.False(Careful.Allows(f));
            Assert.True(Textbook.Allows(f));
            Assert.True(Textbook.Only(f).Allows(f));
        }
        Assert.False(Textbook.Only(Formulation.DerivativesFromOut).Allows(Formulation.UnshiftedSoftmax));
        Assert.False(Textbook.Only(Formulation.DerivativesFromOut).Allows(Formulation.All));
        Assert.False(Textbook.Allows(Formulation.Careful));    // "careful" is no formulation to allow
        Assert.False(Careful.Allows(Formulation.Careful));
    }

    /// <summary>γ_k = k·u/(1 − k·u). In float32, k = 2²⁰ gives k·u = 1/16 and γ = 1/15; k = 1 gives u/(1 − u).</summary>
    [Fact]
    public void Gamma_is_k_u_over_1_minus_k_u()
    {
        Near(1.0 / 15, Textbook32.Gamma(1 << 20));
        Assert.Equal(U / (1 - U), Careful.Gamma(1));
        Assert.Equal(0, Careful.Gamma(0));
    }

    /// <summary>e(ln x) = −ln(1 − e/x) + Fn·|ln x| + floor, infinite where x may be 0 or below.</summary>
    [Fact]
    public void The_error_of_a_logarithm_follows_its_argument_and_is_infinite_where_the_argument_may_be_0()
    {
        Assert.Equal(Floor, Careful.LogError(1, 0));                           // ln 1 = 0, exactly
        Near(2 * U, Careful.LogError(Math.E, 0));                              // Fn·1
        Near(Math.Log(2) * (1 + 2 * U), Careful.LogError(2, 1));               // −ln(1/2) + Fn·ln 2
        Near(Math.Log(2) * (1 + 2 * U), Careful.LogError(0.5, 0.25));          // |ln 0.5| = ln 2
        Assert.Equal(double.PositiveInfinity, Careful.LogError(1, 1));         // x may be 0
        Assert.Equal(double.PositiveInfinity, Careful.LogError(1, 2));
        Assert.Equal(double.PositiveInfinity, Careful.LogError(0, 0));
        Assert.Equal(double.PositiveInfinity, Careful.LogError(-1, 0));
        Assert.Equal(double.PositiveInfinity, Careful.LogError(double.NaN, 0));
    }

    /// <summary>Relative error of 1/b: e/(|b| − e) + u, infinite where b may be 0.</summary>
    [Fact]
    public void The_error_of_a_reciprocal_is_infinite_where_the_divisor_may_be_0()
    {
        Assert.Equal(1 + U, Careful.ReciprocalRelativeError(2, 1));
        Assert.Equal(1 + U, Careful.ReciprocalRelativeError(-2, 1));
        Assert.Equal(U, Careful.ReciprocalRelativeError(4, 0));
        Assert.Equal(1.0 / 3 + U, Careful.ReciprocalRelativeError(4, 1));       // e/(|b| − e), not e·(|b| − e)
        Assert.Equal(double.PositiveInfinity, Careful.ReciprocalRelativeError(1, 1));
        Assert.Equal(double.PositiveInfinity, Careful.ReciprocalRelativeError(0, 0));
    }

    /// <summary>max σ′ on [x − e, x + e] is σ′ at the point nearest 0: ¼ when the interval holds 0.</summary>
    [Fact]
    public void The_largest_sigmoid_slope_on_an_interval_is_at_its_point_nearest_0()
    {
        Assert.Equal(0.25, ErrorModel.SigmoidSlope(0, 0));
        Assert.Equal(0.25, ErrorModel.SigmoidSlope(0.5, 1));
        Near(SigmoidPrime(2), ErrorModel.SigmoidSlope(3, 1));
        Near(SigmoidPrime(2), ErrorModel.SigmoidSlope(-3, 1));
        Near(SigmoidPrime(40), ErrorModel.SigmoidSlope(40, 0));               // 4e-18, no cancellation
    }

    /// <summary>σ within (2·Fn + 2u)·σ, plus max σ′ times the argument's error, plus the floor.</summary>
    [Fact]
    public void A_sigmoid_output_errs_by_its_roundings_and_its_arguments_error_through_the_slope()
    {
        Assert.Equal(3 * U, Careful.SigmoidError(0, 0, 0.5));                   // (4u + 2u)·½
        // the textbook's widest form at net = 0 is exp(−softplus(0)): expm1(u·ln 2 + 2·Fn + u)·(1 + Fn) + Fn relative,
        // above the library form's (2·Fn + 2u)·½ = 9u
        double a = U * Math.Log(2) + 16 * U + U;
        Near(0.5 * (a * (1 + a) * (1 + 8 * U) + 8 * U), Textbook.SigmoidError(0, 0, 0.5));
        Assert.True(Textbook.SigmoidError(0, 0, 0.5) > 9 * U);
        // random:9068 of seed 20261207: exp(−softplus(33.375)) from a Java implementation is 3.2020024986373665E-15 for an
        // exact 3.2020024986373563E-15 (softplus rounded by u·33.375): within the log space's bound, beyond the careful one
        double exact = 3.2020024986373563E-15, fromLogSpace = 3.2020024986373665E-15;
        Assert.InRange(fromLogSpace - exact, 0, Textbook.SigmoidError(-33.375, 0, exact));
        Assert.True(fromLogSpace - exact > Careful.SigmoidError(-33.375, 0, exact));
        Near(0.25 * 1e-3 + 3 * U, Careful.SigmoidError(0, 1e-3, 0.5));
        Near(SigmoidPrime(3) + 6 * U * Sigmoid(4), Careful.SigmoidError(4, 1, Sigmoid(4)));
        Assert.Equal(Floor, Careful.SigmoidError(-800, 0, 0));                  // an output that underflows to 0
    }

    /// <summary>tanh within Fn·|tanh|, plus max sech² on the interval times the argument's error.</summary>
    [Fact]
    public void A_tanh_output_errs_by_the_library_and_its_arguments_error_through_sech_squared()
    {
        Near(SechSquared(0.4) * 0.1 + 2 * U * Math.Tanh(0.5), Careful.TanhError(0.5, 0.1, Math.Tanh(0.5)));
        Near(SechSquared(0.4) * 0.1 + 2 * U * Math.Tanh(0.5), Careful.TanhError(-0.5, 0.1, -Math.Tanh(0.5)));
        Near(0.1 + 2 * U * 0.05, Careful.TanhError(0.05, 0.1, 0.05));          // the interval holds 0: sech² = 1
        Assert.Equal(Floor, Careful.TanhError(0, 0, 0));
    }

    /// <summary>tanh from exponentials (the textbook, 4 ulps: Fn = 8u): Fn + 5u absolute however small
    /// tanh is, plus (Fn + 3u)·|tanh|, where the library's tanh keeps FnHyperbolic·|tanh|. Near 0 that
    /// is 13u against 8u·1e-8: the net of random:168 of seed 31337 (−1.76e-8), where an implementation
    /// written from the definition was once called wrong at a relative 4.8e-10.</summary>
    [Fact]
    public void A_tanh_from_exponentials_errs_by_an_absolute_Fn_plus_5u_however_small_tanh_is()
    {
        double t = Math.Tanh(1.7591516751705987e-08);
        Assert.Equal(13 * U + 11 * U * t + Floor, Textbook.TanhError(1.7591516751705987e-08, 0, t));
        Assert.Equal(13 * U + 11 * U * t + Floor, Textbook.TanhError(-1.7591516751705987e-08, 0, -t));
        Assert.Equal(13 * U32 + 11 * U32 * 0.5 + Floor32, Textbook32.TanhError(Math.Atanh(0.5), 0, 0.5));
        Assert.Equal(8 * U * t + Floor, Textbook.Only(Formulation.DerivativesFromOut).TanhError(1.7591516751705987e-08, 0, t));  // the library's, 4 ulps
        Assert.Equal(13 * U + 11 * U * t + Floor, Textbook.Only(Formulation.TanhFromExponentials).TanhError(1.7591516751705987e-08, 0, t));
        Near(SechSquared(0.4) * 0.1 + 13 * U + 11 * U * Math.Tanh(0.5), Textbook.TanhError(0.5, 0.1, Math.Tanh(0.5)));
    }

    /// <summary>σ′ from exponentials, e^−x/(1 + e^−x)², in float32 (Fn = 8u): where its square fits it is
    /// within (3·Fn + 4u)·σ′ = 28u·σ′, which the careful bound already covers; from net = −44.37 on, where
    /// 2·(−net + Fn) + u passes ln(max) = 88.72, the square may be ∞ and σ′ 0, so σ′ whole is added. Below
    /// net = −88.72, e^−x itself overflows (∞/∞); tanh from exponentials overflows for 2·|net| + Fn past
    /// ln(max), from |net| = 44.37 on, either side.</summary>
    [Fact]
    public void Sigma_prime_from_exponentials_loses_itself_where_its_square_overflows_and_tanh_overflows_past_half_ln_max()
    {
        var exp = Textbook32.Only(Formulation.SigmoidFromExponentials);
        double S(double x) => Math.Exp(-Math.Abs(x)) / ((1 + Math.Exp(-Math.Abs(x))) * (1 + Math.Exp(-Math.Abs(x))));
        double relOut = 18 * U32;
        // at −40 the square fits: the careful σ′·(relOut·(1 + e^−40) + relOut + 2u) ≈ 38u·σ′ covers the form's 28u·σ′
        Near(S(-40) * (relOut * (1 + Math.Exp(-40)) + relOut + 2 * U32) + Floor32, exp.SigmoidDerivativeError(-40, 0, 0, S(-40)));
        Assert.Equal(S(-45) + 28 * U32 * S(-45) + Floor32, exp.SigmoidDerivativeError(-45, 0, 0, S(-45)));
        Assert.False(exp.SigmoidDerivativeSquareOverflows(-44.35, 0));
        Assert.True(exp.SigmoidDerivativeSquareOverflows(-44.37, 0));
        Assert.True(exp.SigmoidDerivativeSquareOverflows(-44.35, 0.02));                                                  // the net's own error counts
        Assert.False(exp.SigmoidDerivativeExpOverflows(-88.7, 0));
        Assert.True(exp.SigmoidDerivativeExpOverflows(-88.73, 0));
        Assert.False(Textbook32.TanhFromExponentialsOverflows(44.35, 0));
        Assert.True(Textbook32.TanhFromExponentialsOverflows(-44.37, 0));
        Assert.True(Textbook.TanhFromExponentialsOverflows(354.9, 0) && !Textbook.TanhFromExponentialsOverflows(354.8, 0));   // float64: ln(max)/2 = 354.89
        Assert.True(Textbook32.Only(Formulation.DerivativesFromOut).SigmoidDerivativeError(-45, 0, 0, S(-45)) < 1e-3 * S(-45));   // out·(1 − out) keeps it
        // in float64 at net = −700, σ′ ≈ 1e-304 is a few thousand floors: the floor shows
        double s700 = Math.Exp(-700);
        Assert.Equal(28 * U * s700 + s700 + Floor, Textbook.Only(Formulation.SigmoidFromExponentials).SigmoidDerivativeError(-700, 0, 0, s700));
    }

    /// <summary>The overflow thresholds to the ulp of their own fuzz, in float32 (Fn = 8u): (1 + e^−x)²
    /// may overflow once 2·(−net + e + Fn) + u passes ln(max); e^−x once −net + e + Fn does; tanh from
    /// exponentials once 2·(|net| + e) + Fn does. Each is true just past its threshold and false just
    /// before, so neither Fn nor u nor e(net) may be dropped or flip its sign.</summary>
    [Fact]
    public void The_exponential_forms_overflow_thresholds_carry_Fn_u_and_the_net_error()
    {
        var exp = Textbook32.Only(Formulation.SigmoidFromExponentials);
        double lnMax = Math.Log(float.MaxValue), fn = 8 * U32;
        Assert.True(exp.SigmoidDerivativeSquareOverflows(-(lnMax / 2 - fn), 0));              // 2·(lnMax/2) + u
        Assert.False(exp.SigmoidDerivativeSquareOverflows(-(lnMax / 2 - fn - U32), 0));       // 2·(lnMax/2 − u) + u
        Assert.True(exp.SigmoidDerivativeSquareOverflows(-(lnMax / 2 - fn - U32), U32));      // e(net) = u puts it back
        Assert.True(exp.SigmoidDerivativeExpOverflows(-(lnMax - fn / 2), 0));
        Assert.False(exp.SigmoidDerivativeExpOverflows(-(lnMax - fn / 2), -fn));
        Assert.False(exp.SigmoidDerivativeExpOverflows(-(lnMax - 3 * fn / 2), 0));
        Assert.True(Textbook32.TanhFromExponentialsOverflows(lnMax / 2 - fn / 4, 0));         // lnMax + Fn/2
        Assert.False(Textbook32.TanhFromExponentialsOverflows(lnMax / 2 - 3 * fn / 4, 0));    // lnMax − Fn/2
        Assert.True(Textbook32.TanhFromExponentialsOverflows(lnMax / 2 - fn, fn));            // lnMax + Fn: e(net) counts
        Assert.True(Textbook32.TanhFromExponentialsOverflows(-(lnMax / 2 - fn / 4), 0));      // either side
        Assert.True(exp.SigmoidFromExponentialsOverflows(lnMax - fn / 2, 0));                  // e^x/(1 + e^x): lnMax + Fn/2
        Assert.False(exp.SigmoidFromExponentialsOverflows(lnMax - 3 * fn / 2, 0));
        Assert.True(exp.SigmoidFromExponentialsOverflows(lnMax - 3 * fn / 2, fn));
        Assert.False(exp.SigmoidFromExponentialsOverflows(-(lnMax + fn), 0));                 // only for large positive x
    }

    /// <summary>
    /// σ′ careful: σ′·((2·Fn + 2u)·(1 + min(e^net, 16)) + (2·Fn + 2u) + 2u), plus max σ′ times e(net).
    /// At net = 0: relOut = 6u, so σ′·(12u + 6u + 2u) = ¼·20u = 5u. At net = 10, e^net is capped at 16:
    /// σ′·(17·6u + 8u) = 110u·σ′. Textbook (from out): at least e(out) + 2u·σ′.
    /// </summary>
    [Fact]
    public void The_sigmoid_derivative_errs_by_its_roundings_and_from_out_by_the_outputs_error()
    {
        Assert.Equal(5 * U, Careful.SigmoidDerivativeError(0, 0, 0, 0.25));
        Near(0.25 * 1e-3 + 5 * U, Careful.SigmoidDerivativeError(0, 1e-3, 0, 0.25));
        Near(110 * U * SigmoidPrime(10), Careful.SigmoidDerivativeError(10, 0, 0, SigmoidPrime(10)));
        Near(110 * U * SigmoidPrime(40), Careful.SigmoidDerivativeError(40, 0, 0, SigmoidPrime(40)));
        Assert.Equal(Floor, Careful.SigmoidDerivativeError(800, 0, 0, 0));   // e^800 overflows: capped, the bound stays finite
        // textbook, from out: at net = 30, e(out) = 6u swamps σ′ ≈ 9e-14 (three digits left)
        double prime30 = SigmoidPrime(30);
        Near(6 * U + 2 * U * prime30, Textbook.SigmoidDerivativeError(30, 0, 6 * U, prime30));
        Assert.Equal(5 * U, Careful.SigmoidDerivativeError(0, 0, 1, 0.25));        // careful does not go through out: e(out) plays no part
        // where e(out) is small the careful part remains: relOut = 2·8u + 2u = 18u, ¼·(36u + 18u + 2u) = 14u
        Assert.Equal(14 * U, Textbook.SigmoidDerivativeError(0, 0, 0, 0.25));
        // at net = −800 out underflows to 0 within a floor, σ′ = 0: from out, that floor and one more
        Assert.Equal(2 * Floor, Textbook.SigmoidDerivativeError(-800, 0, Floor, 0));
    }

    /// <summary>
    /// tanh′ careful: (2·FnHyperbolic + 2u)·sech², cosh within 2 ulps so 10u, plus the slope of sech² (at most 0.7698, and 8·e^{−2|x|} away
    /// from 0) times e(net). From out: 1 − out², e = 2|out|·e(out) + u.
    /// </summary>
    [Fact]
    public void The_tanh_derivative_errs_by_its_roundings_and_from_out_by_twice_the_outputs_error()
    {
        Assert.Equal(10 * U, Careful.TanhDerivativeError(0, 0, 0, 0, 1));
        Near(0.7698 * 0.1 + 10 * U, Careful.TanhDerivativeError(0, 0.1, 0, 0, 1));
        Near(0.7698 * 0.1 + 10 * U, Careful.TanhDerivativeError(0.05, 0.1, 0.05, 0, 1));
        double s5 = SechSquared(5);
        Near(8 * Math.Exp(-9) * 0.5 + 10 * U * s5, Careful.TanhDerivativeError(5, 0.5, Math.Tanh(5), 0, s5));
        Near(8 * Math.Exp(-9) * 0.5 + 10 * U * s5, Careful.TanhDerivativeError(-5, 0.5, -Math.Tanh(5), 0, s5));
        double out8 = Math.Tanh(-8), s8 = SechSquared(-8);
        Near(2 * Math.Abs(out8) * 1e-15 + U, Textbook.TanhDerivativeError(-8, 0, out8, 1e-15, s8));
        Near(10 * U * s8, Careful.TanhDerivativeError(-8, 0, out8, 1, s8));        // careful does not go through out
        Assert.Equal(18 * U, Textbook.TanhDerivativeError(0, 0, 0, 0, 1));                       // 2·8u + 2u
    }

    /// <summary>relu′ is either 0 or 1 where net lies within its own rounding of 0, and fixed elsewhere.</summary>
    [Fact]
    public void The_relu_derivative_is_ambiguous_only_within_the_net_inputs_own_rounding_of_0()
    {
        Assert.Equal(0, ErrorModel.ReluDerivativeError(0, 0));                 // exactly 0: relu′(0) = 0
        Assert.Equal(1, ErrorModel.ReluDerivativeError(1e-17, 1e-16));
        Assert.Equal(1, ErrorModel.ReluDerivativeError(-1e-17, 1e-16));
        Assert.Equal(1, ErrorModel.ReluDerivativeError(1e-16, 1e-16));
        Assert.Equal(0, ErrorModel.ReluDerivativeError(2e-16, 1e-16));
        Assert.Equal(0, ErrorModel.ReluDerivativeError(-2e-16, 1e-16));
    }

    /// <summary>
    /// softmax output j: expm1(e(net_j) + max e(net)) + the shift's roundings u·|net_j − c| + Σ o_k·u·|net_k − c|
    /// + 2·Fn + γ_{K+2}. At net = (0, 0) with exact inputs: 4u + γ₄.
    /// </summary>
    [Fact]
    public void A_softmax_output_errs_by_its_shift_exps_sum_and_divide_and_its_inputs_errors()
    {
        double[] o = [0.5, 0.5];
        Assert.Equal(4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([0, 0], [0, 0], o, 0, 0));
        double o0 = Sigmoid(1), o1 = Sigmoid(-1);                              // softmax of (1, 0)
        Near(U * (1 + o1) + 4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([1, 0], [0, 0], [o0, o1], 1, 0));
        Near(U * o1 + 4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([1, 0], [0, 0], [o0, o1], 0, 0));
        Near(3e-4 * (1 + 3e-4) + 4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([0, 0], [1e-4, 2e-4], o, 0, 2e-4), 1e-12);
        Near(Math.E - 1 + 4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([0, 0], [0.5, 0.5], o, 0, 0.5));
        // at e(net_j) + max e(net) = 10⁻³ exactly (2·fl(5e-4) = fl(1e-3)) the bound x(1 + x) still applies, not e^x − 1
        Near(1e-3 * (1 + 1e-3) + 4 * U + Careful.Gamma(4), Careful.SoftmaxRelativeError([0, 0], [5e-4, 5e-4], o, 0, 5e-4), 1e-12);
        // the textbook's widest form at (0, 0) is exp(net_j − lse): S = 2 within γ_2 + Fn, ln S within that and Fn·ln 2,
        // lse = ln 2 and net_j − lse one u of ln 2 each, then exp: above the shifted form's 2·8u + γ_4
        double relS = Textbook.Gamma(2) + 8 * U, x = relS / (1 - relS) + 8 * U * Math.Log(2) + U * Math.Log(2) + U * Math.Log(2) * (1 + U);
        Near(x * (1 + x) * (1 + 8 * U) + 8 * U, Textbook.SoftmaxRelativeError([0, 0], [0, 0], o, 0, 0), 1e-12);
        Assert.True(Textbook.SoftmaxRelativeError([0, 0], [0, 0], o, 0, 0) > 16 * U + Textbook.Gamma(4));
        // random:10181 of seed 20261207: exp(35 − lse) over nets (35, 2) from a Java implementation is 0.9999999999999929
        // for an exact 0.9999999999999953 (lse rounded by u·35): within the log space's bound, beyond the careful one
        double o35 = 1 / (1 + Math.Exp(-33)), rel = Math.Abs(0.9999999999999929 - 0.9999999999999953) / 0.9999999999999953;
        Assert.InRange(rel, 0, Textbook.SoftmaxRelativeError([35, 2], [0, 0], [o35, 1 - o35], 0, 0));
        Assert.True(rel > Careful.SoftmaxRelativeError([35, 2], [0, 0], [o35, 1 - o35], 0, 0));
    }

    /// <summary>Shifted, the sum of exponentials is at least 1 and each may flush by the floor: K·floor.
    /// Unshifted, each e^net below the floor errs by the floor, which reaches o_j over the sum:
    /// K·floor·e^{−LSE} more. At net = (0, 0): 2·floor/2 + 2·floor = 3·floor.</summary>
    [Fact]
    public void Underflowing_exponentials_err_by_the_floor_over_the_sum_of_exponentials()
    {
        Assert.Equal(2 * Floor, Careful.SoftmaxUnderflowError([0, 0]));
        Near(3 * Floor, Textbook.SoftmaxUnderflowError([0, 0]), 1e-12);
        Near(3 * Floor * Math.Exp(100) / 3 + 3 * Floor, Textbook.SoftmaxUnderflowError([-100, -100, -100]), 1e-12);   // Σe^net = 3e^{−100}
        Near(3 * Floor32, Textbook32.SoftmaxUnderflowError([0, 0]), 1e-12);
    }

    /// <summary>
    /// e^x underflows below ln(smallest normal) = −708.40 (float64), −87.34 (float32), and overflows past
    /// ln(largest) = 709.78, 88.72. At the doubles nearest those logarithms e^x is still in range:
    /// e^{fl(ln 2⁻¹⁰²²)} = 2.2250738585072626e-308 &gt; 2⁻¹⁰²², e^{fl(ln max)} = 1.797693134862273e308 &lt; max.
    /// </summary>
    [Fact]
    public void Exponentials_underflow_and_overflow_exactly_beyond_the_logarithms_of_the_formats_limits()
    {
        Assert.True(Careful.ExpUnderflows(-709));
        Assert.False(Careful.ExpUnderflows(-708));
        Assert.True(Careful32.ExpUnderflows(-88));
        Assert.False(Careful32.ExpUnderflows(-87));
        Assert.False(Careful.ExpOverflows(709.7));
        Assert.True(Careful.ExpOverflows(709.8));
        Assert.False(Careful32.ExpOverflows(88.7));
        Assert.True(Careful32.ExpOverflows(88.8));

        double atFloor = Math.Log(Math.ScaleB(1, -1022)), atMax = Math.Log(double.MaxValue);
        Assert.True(Math.Exp(atFloor) >= Math.ScaleB(1, -1022) && double.IsFinite(Math.Exp(atMax)));   // the premise
        Assert.False(Careful.ExpUnderflows(atFloor));
        Assert.False(Careful.ExpOverflows(atMax));
    }

    /// <summary>
    /// Far out (|net| = 800, e(net) = 0) sech² underflows to 0 and only the floors and the library's
    /// roundings remain: tanh within FnHyperbolic·|tanh| + floor, tanh′ = 0 within a floor. sech² is
    /// computed as 4q/(1 + q)² with q = e^{−2|x|} ≤ 1, which cannot overflow (e^{+2|x|} would: ∞/∞).
    /// A softmax's underflow term takes its log-sum-exp shifted by the largest net input: at (0, −800)
    /// the sum is 1 (e^{−800} is nothing beside it), so 2·floor/1 + 2·floor.
    /// </summary>
    [Fact]
    public void Far_from_0_the_hyperbolic_bounds_keep_only_their_roundings_and_floors()
    {
        Assert.Equal(4 * U + Floor, Careful.TanhError(800, 0, 1));            // FnHyperbolic = 2·2 ulps·u = 4u
        Assert.Equal(4 * U + Floor, Careful.TanhError(-800, 0, -1));
        Assert.Equal(Floor, Careful.TanhDerivativeError(800, 0, 1, 0, 0));
        Near(4 * Floor, Textbook.SoftmaxUnderflowError([0, -800]), 1e-12);
    }

    /// <summary>A framework's clip of o to [1e-7, 1 − 1e-7] may act where o may lie below 1e-7 as stored
    /// (1e-7·(1 + u)) or 1 − o below 1e-7 + u (1 − 1e-7 is stored up to u below it: in float32, 1 − 1.19e-7),
    /// o's own error included; PyTorch's clamps act inside that; the careful model has no clip.</summary>
    [Fact]
    public void A_frameworks_clip_may_act_where_o_or_1_minus_o_may_lie_below_1e_7()
    {
        Assert.Equal(1e-7, ErrorModel.ProbabilityClip);
        Assert.True(Textbook.ProbabilityMayBeClamped(0.9999999e-7, 1, 0));
        Assert.False(Textbook.ProbabilityMayBeClamped(1e-7 * (1 + 4 * U), 1, 0));
        Assert.True(Textbook32.ProbabilityMayBeClamped(1e-7 * (1 + U32 / 2), 1, 0));        // float32's 1e-7 is 1.00000001e-7
        Assert.False(Textbook32.ProbabilityMayBeClamped(1e-7 * (1 + 2 * U32), 1, 0));
        Assert.True(Textbook.ProbabilityMayBeClamped(2e-7, 1, 1.0001e-7));                 // o − e(o) just below 1e-7
        Assert.False(Textbook.ProbabilityMayBeClamped(2e-7, 1, 0.9999e-7));                // just above
        Assert.True(Textbook.ProbabilityMayBeClamped(1, 1e-7 + U / 2, 0));                 // o near 1: 1 − o below 1e-7 + u
        Assert.False(Textbook.ProbabilityMayBeClamped(1, 1e-7 + 2 * U, 0));
        Assert.True(Textbook.ProbabilityMayBeClamped(1, 1.2e-7, 1.1e-7));                  // 1 − o − e(o) below it
        Assert.True(Textbook32.ProbabilityMayBeClamped(1, 1.19e-7, 0));                    // float32's 1 − 1e-7 is 1 − 1.19e-7
        Assert.False(Textbook32.ProbabilityMayBeClamped(1, 1.6e-7, 0));
        Assert.False(Textbook.ProbabilityMayBeClamped(0.5, 0.5, 0.1));
        // exactly at the clip's upper readings nothing is cut: clip(o) = o there, and the clip's derivative
        // passes at its ends (tf.clipByValue's gradient is 1 for min <= x <= max)
        Assert.False(Textbook.ProbabilityMayBeClamped(ErrorModel.ProbabilityClip * (1 + U), 1, 0));
        Assert.False(Textbook.ProbabilityMayBeClamped(1, ErrorModel.ProbabilityClip + U, 0));
        Assert.False(Careful.ProbabilityMayBeClamped(1e-20, 1, 0));
        Assert.False(Textbook.Only(Formulation.All & ~Formulation.ClampedProbabilities).ProbabilityMayBeClamped(1e-20, 1, 0));
    }
    // ------------------------------------------------------------------ the probabilities from log space

    static readonly ErrorModel LogSpace = Textbook.Only(Formulation.ProbabilitiesFromLogSpace);

    /// <summary>e^x − 1 bounded without cancellation, as the model does: x(1 + x) up to 1e-3.</summary>
    static double ExpM1Upper(double x) => x <= 1e-3 ? x * (1 + x) : Math.Exp(x) - 1;

    /// <summary>σ = exp(−softplus(−x)): softplus of any x within e(net) of net is at most max(−net, 0) + e(net) + ln 2,
    /// rounded by u·s + 2·Fn + u in the exponent; exp makes it relative, with its own Fn. Written out in the model's
    /// order (so compared exactly) at net = −3, with an input error of 2⁻²⁰ and without one, in float64 and float32
    /// (where the second-order factors, (1 + Fn), are far above the bound's last bit).</summary>
    [Theory]
    [InlineData(Precision.Float64, 0.0)]
    [InlineData(Precision.Float64, 9.5367431640625E-07)]   // 2⁻²⁰
    [InlineData(Precision.Float32, 0.0)]
    [InlineData(Precision.Float32, 9.5367431640625E-07)]
    public void A_sigmoid_from_log_space_errs_by_its_exponents_rounding_at_the_size_of_the_net(Precision precision, double eNet)
    {
        ErrorModel m = ErrorModel.Textbook(precision).Only(Formulation.ProbabilitiesFromLogSpace);
        double net = -3, o = Sigmoid(net), u = m.U, Fn = m.Fn;
        double softplus = Math.Max(-net, 0) + eNet + Math.Log(2);
        double fromLogSpace = o * (ExpM1Upper(u * softplus + 2 * Fn + u) * (1 + Fn) + Fn);
        Assert.True(fromLogSpace > (2 * Fn + 2 * u) * o);
        Assert.Equal(ErrorModel.SigmoidSlope(net, eNet) * eNet + Math.Max((2 * Fn + 2 * u) * o, fromLogSpace) + m.Floor, m.SigmoidError(net, eNet, o));
        Assert.True(m.SigmoidError(net, eNet, o) > ErrorModel.Textbook(precision).Only(Formulation.DerivativesFromOut).SigmoidError(net, eNet, o));
    }

    /// <summary>The softmax as exp(net_j − lse), lse = c + ln S: S within Σ o_k·(u·|net_k − c| + Fn) + γ_K, its ln within
    /// that over 1 − it and Fn·|ln S|, lse and net_j − lse one u each (the latter's u with its own u), exp's Fn; the
    /// inputs' errors as in the shifted form. Written out at nets (1.5, −2, 0.25), output 1, with errors on every net
    /// and without, in float64 and float32 (where the second-order terms show in the bound's double).</summary>
    [Theory]
    [InlineData(Precision.Float64, 0.0)]
    [InlineData(Precision.Float64, 9.313225746154785E-10)]   // 2⁻³⁰
    [InlineData(Precision.Float32, 0.0)]
    [InlineData(Precision.Float32, 9.313225746154785E-10)]
    public void A_softmax_from_log_space_errs_by_its_log_sum_exps_rounding(Precision precision, double e)
    {
        ErrorModel m = ErrorModel.Textbook(precision).Only(Formulation.ProbabilitiesFromLogSpace);
        double[] net = [1.5, -2, 0.25], eNet = [e, e / 2, e / 4];
        double maxENet = e, u = m.U, Fn = m.Fn, c = 1.5;
        double S = net.Sum(x => Math.Exp(x - c)), lse = c + Math.Log(S);
        double[] o = [.. net.Select(x => Math.Exp(x - lse))];
        const int j = 1;
        double shift = u * Math.Abs(net[j] - c);
        for (int k = 0; k < 3; k++) shift += o[k] * u * Math.Abs(net[k] - c);
        double relative = ExpM1Upper(eNet[j] + maxENet) + (shift + 2 * Fn + m.Gamma(5));
        double relS = m.Gamma(3), exponent = eNet[j] + maxENet;
        for (int k = 0; k < 3; k++) relS += o[k] * (u * Math.Abs(net[k] - c) + Fn);
        exponent += relS / (1 - relS) + Fn * Math.Abs(Math.Log(S)) + u * Math.Abs(lse) + u * Math.Abs(net[j] - lse) * (1 + u);
        double fromLogSpace = ExpM1Upper(exponent) * (1 + Fn) + Fn;
        Assert.True(fromLogSpace > relative);
        Assert.Equal(fromLogSpace, m.SoftmaxRelativeError(net, eNet, o, j, maxENet));
        Assert.Equal(relative, ErrorModel.Textbook(precision).Only(Formulation.DerivativesFromOut).SoftmaxRelativeError(net, eNet, o, j, maxENet));
    }

    /// <summary>σ′ as σ(x)·σ(−x) with σ from log space is within e(out) + 2u·σ′, as out·(1 − out) is: one bound, for
    /// either formulation alone and not for careful arithmetic; at net = −700 its floor is seen (e(out) = 4 floors).</summary>
    [Fact]
    public void Sigma_prime_from_log_space_or_from_out_errs_by_the_outputs_error()
    {
        foreach (ErrorModel m in new[] { LogSpace, Textbook.Only(Formulation.DerivativesFromOut) })
        {
            Assert.Equal(1e-14 + 2 * U * 0.25 + Floor, m.SigmoidDerivativeError(0, 0, 1e-14, 0.25));
            double s700 = Sigmoid(-700) * Sigmoid(700);
            Assert.Equal(4 * Floor + 2 * U * s700 + Floor, m.SigmoidDerivativeError(-700, 0, 4 * Floor, s700));
        }
        Assert.True(Careful.SigmoidDerivativeError(0, 0, 1e-14, 0.25) < 1e-14);
    }
}
