using System.Numerics;
using System.Reflection;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The edges of the exact arithmetic that the random-point tests of <see cref="DoubleDoubleTests"/>
/// rarely or never reach: comparisons of values whose Hi differ, an overflow that happens only in the
/// last addition of a product, the rounding of <c>Scale</c> onto the subnormal grid at ties and next
/// to them, the constant tables, Expm1 where 2ᵏ overflows (x above 709.09), and the propagation rules
/// of <see cref="Dual"/> and <see cref="ComplexStep"/> on expressions small enough to derive by hand.
/// Every expected value comes from <see cref="BigFloat"/>/<see cref="BigMath"/> or from a derivation
/// written next to it, never from the code under test.
/// </summary>
public class TruthBoundaryTests
{
    const double U = 1.0 / 9007199254740992;             // 2⁻⁵³
    const double U2 = U * U;
    static readonly double Eps = Math.BitIncrement(1.0) - 1.0;   // 2⁻⁵², the ε of Dual's Round

    static BigFloat B(DoubleDouble x) => BigFloat.Of(x);
    static BigFloat B(double x) => BigFloat.Of(x);

    // ----------------------------------------------------------------------------------------
    // DoubleDouble: comparisons and overflow in the last step
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Comparisons_of_values_whose_Hi_differ_follow_Hi_whatever_Lo_says()
    {
        // 1 + 2⁻⁶⁰ < 2 − 2⁻⁵⁵: Hi decides, Lo points the other way
        DoubleDouble x = DoubleDouble.TwoSum(1, Math.ScaleB(1.0, -60)), y = DoubleDouble.TwoSum(2, -Math.ScaleB(1.0, -55));
        Assert.True(x.Hi == 1 && y.Hi == 2 && x.Lo > 0 && y.Lo < 0);
        Assert.True(x < y);
        Assert.True(x <= y);
        Assert.True(y > x);
        Assert.True(y >= x);
        Assert.False(y < x);
        Assert.False(y <= x);
        Assert.False(x > y);
        Assert.False(x >= y);
        // equal values are not greater
        DoubleDouble x2 = x;
        Assert.False(x > x2);
        Assert.False(x < x2);
        Assert.True(x >= x2 && x <= x2);
    }

    [Fact]
    public void A_product_that_overflows_only_in_its_last_addition_is_plus_infinity_with_Lo_zero()
    {
        // x = max + 2⁹⁶⁹ (normalised: ulp(max) = 2⁹⁷¹, so 2⁹⁶⁹ < ulp/2), y = 1 + 2⁻⁵³ (normalised:
        // a tie, rounds to the even 1). The exact product is max + 2⁹⁶⁹ + max·2⁻⁵³ + … ≥ max + 2⁹⁷⁰·1.9,
        // beyond max + ulp(max)/2 = 2¹⁰²⁴ − 2⁹⁷⁰, the overflow threshold of round-to-nearest: +∞.
        // xh·yh = max is finite, so the overflow happens in h = p + low; the documented result of a
        // non-finite value is (±∞, 0).
        var x = new DoubleDouble(double.MaxValue, Math.ScaleB(1.0, 969));
        var y = new DoubleDouble(1, Math.ScaleB(1.0, -53));
        Assert.True(x.Hi + x.Lo == x.Hi && y.Hi + y.Lo == y.Hi);
        DoubleDouble z = x * y;
        Assert.True(double.IsPositiveInfinity(z.Hi) && z.Lo == 0, $"({x})·({y}) = {z}, expected +∞ + 0");
    }

    // ----------------------------------------------------------------------------------------
    // Scale: rounding onto the subnormal grid, at and next to ties
    // ----------------------------------------------------------------------------------------

    static DoubleDouble Scale(DoubleDouble x, int k) =>
        (DoubleDouble)typeof(DoubleDouble).GetMethod("Scale", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [x, k])!;

    /// <summary>
    /// Scale(x, k) below 2⁻¹⁰²² is documented as Hi + Lo rounded once, to nearest-even, onto 2⁻¹⁰⁷⁴ℤ,
    /// with Lo = 0. The expected grid point is <see cref="BigFloat.RoundToGrid"/> of the exact
    /// (Hi + Lo)·2ᵏ. The points are exact ties of Hi alone (n + ½ with n even and odd), and Lo just
    /// above and below them: by 2⁻⁶⁰ (so fl(½ + Lo) = ½ and the sign of the TwoSum error decides) and
    /// by 2⁻⁵¹ = ulp(Hi)/2 (so s itself passes ½). All inputs are normalised.
    /// </summary>
    [Theory]
    [InlineData(4.5, 0, -1074)]
    [InlineData(4.5, 1.0 / (1L << 60), -1074)]
    [InlineData(4.5, -1.0 / (1L << 60), -1074)]
    [InlineData(4.5, 1.0 / (1L << 51), -1074)]
    [InlineData(3.5, 0, -1074)]
    [InlineData(3.5, 1.0 / (1L << 60), -1074)]
    [InlineData(3.5, -1.0 / (1L << 60), -1074)]
    [InlineData(3.5, -1.0 / (1L << 52), -1074)]
    [InlineData(-4.5, 0, -1074)]
    [InlineData(-4.5, -1.0 / (1L << 60), -1074)]
    [InlineData(-3.5, 0, -1074)]
    [InlineData(-3.5, 1.0 / (1L << 60), -1074)]
    [InlineData(5.5, 0, -1074)]
    [InlineData(2.5, 0, -1074)]
    [InlineData(4.25, 0, -1074)]
    [InlineData(4.75, 0, -1074)]
    [InlineData(0.5, 1.0 / (1L << 60), -1074)]
    [InlineData(0.5, 0, -1074)]
    [InlineData(-0.5, -1.0 / (1L << 60), -1074)]
    [InlineData(4.5, 1.0 / (1L << 60), -1075)]
    [InlineData(3.0, 0.5 / (1L << 51), -1076)]
    public void Scale_rounds_once_to_nearest_even_onto_the_subnormal_grid(double hiAtGrid, double loAtGrid, int k)
    {
        // Put the pair at 2⁻¹⁰⁰⁰ (both parts normal), then scale by k − (−1000) − 1074 … so that
        // (Hi + Lo)·2ᵏ sits at hiAtGrid + loAtGrid units of 2⁻¹⁰⁷⁴ when k = −1074.
        const int at = -1000;
        var x = new DoubleDouble(Math.ScaleB(hiAtGrid, at), Math.ScaleB(loAtGrid, at));
        Assert.True(x.Hi + x.Lo == x.Hi, $"{x} is not normalised");
        int shift = k - at;
        BigInteger grid = BigFloat.RoundToGrid(B(x).Times2Pow(shift), -1074);
        DoubleDouble z = Scale(x, shift);
        Assert.True(z.Lo == 0 && z.Hi == Math.ScaleB((double)grid, -1074),
            $"Scale({x}, {shift}) = {z}, expected {grid}·2⁻¹⁰⁷⁴");
    }

    // ----------------------------------------------------------------------------------------
    // The constant tables
    // ----------------------------------------------------------------------------------------

    static DoubleDouble[] Table(string name) =>
        (DoubleDouble[])typeof(DoubleDouble).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void The_inverse_factorials_are_1_over_n_factorial_to_their_documented_bound()
    {
        // Documented: 1/n! for n = 0 … 23, each one division from the one before, so to
        // (n − 2)(u² + 80u³) relative (exact for n ≤ 2: 1, 1, 1/2).
        DoubleDouble[] c = Table("InvFactorial");
        Assert.Equal(24, c.Length);
        BigInteger factorial = 1;
        for (int n = 0; n <= 23; n++)
        {
            if (n > 0) factorial *= n;
            BigFloat exact = BigFloat.Divide(BigFloat.One, new BigFloat(factorial, 0), 256);
            double bound = Math.Max(n - 2, 0) * (U2 + 80 * U2 * U);
            double relative = BigFloat.RelativeError(B(c[n]), exact);
            Assert.True(relative <= bound, $"1/{n}! = {c[n]}: relative error {relative:E3} > {bound:E3}");
        }
    }

    [Fact]
    public void The_exp_table_holds_e_to_the_j_over_64_correctly_rounded_for_every_j()
    {
        // Correctly rounded to a double-double: |Hi + Lo − v| ≤ ulp(Lo)/2 ≤ u|Lo| ≤ u·ulp(Hi)/2 ≤ u²|Hi|,
        // and |Hi| ≤ (1 + u)|v|: bound u²(1 + u)·|v|. Entries ±23 are beyond what Exp's reduction
        // reaches (|r|·64 ≤ 22.2), but the table claims them too.
        DoubleDouble[] t = Table("ExpTable");
        Assert.Equal(47, t.Length);
        for (int j = -23; j <= 23; j++)
        {
            BigFloat exact = BigMath.Exp(new BigFloat(j, -6));
            double relative = BigFloat.RelativeError(B(t[j + 23]), exact);
            Assert.True(relative <= U2 * (1 + U), $"e^({j}/64) = {t[j + 23]}: relative error {relative / U2:F3} u²");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Expm1 where 2ᵏ itself overflows
    // ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData(709.1)]
    [InlineData(709.5)]
    [InlineData(709.78)]
    [InlineData(700.5)]
    public void Expm1_is_accurate_up_to_the_overflow_of_e_to_the_x(double x)
    {
        // For x > 709.09, k = round(x/ln 2) = 1024 and 2ᵏ is not a double, though e^x − 1 is finite
        // up to ln(max) = 709.78: Expm1 must still be within its 12.5u² (derived at Expm1).
        DoubleDouble z = DoubleDouble.Expm1(x);
        BigFloat exact = BigMath.Expm1(B(x));
        Assert.True(double.IsFinite(z.Hi), $"Expm1({x}) = {z}, expected finite");
        double relative = BigFloat.RelativeError(B(z), exact);
        Assert.True(relative <= 12.5 * U2, $"Expm1({x}) = {z}: relative error {relative / U2:F3} u²");
    }

    // ----------------------------------------------------------------------------------------
    // Dual: the derivative, M and the running error bounds, by hand
    // ----------------------------------------------------------------------------------------

    static void Near(double expected, double actual, string what)
    {
        // expected values are sums of a few positive terms evaluated in another order: a few ulps
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Abs(expected), $"{what}: {actual:R}, expected {expected:R}");
    }

    [Fact]
    public void Dual_rounding_is_relative_above_2_pow_minus_1022_absolute_below_and_at_zero()
    {
        // 2⁻⁶⁰⁰·2⁻⁶⁰⁰ = 2⁻¹²⁰⁰ flushes to 0: an error of up to 2⁻¹⁰⁷⁴ (half of it, to be exact), which a zero must carry
        // (a zero cannot tell a flushed product from an exact 0 such as 1 + (−1), which so carries 2⁻¹⁰⁷⁴ too)
        Dual flushed = new Dual(Math.ScaleB(1.0, -600), 0, 0) * new Dual(Math.ScaleB(1.0, -600), 0, 0);
        Assert.Equal(0, flushed.V);
        Assert.Equal(double.Epsilon, flushed.EV);
        Dual zero = new Dual(1, 0, 0) + new Dual(-1, 0, 0);
        Assert.Equal(0, zero.V);
        Assert.Equal(double.Epsilon, zero.EV);
        Assert.Equal(double.Epsilon, zero.ED);
        // 2⁻¹⁰⁶⁰ + 2⁻¹⁰⁶⁰ = 2⁻¹⁰⁵⁹, subnormal: the rounding there is the absolute 2⁻¹⁰⁷⁴, not ε·2⁻¹⁰⁵⁹
        double tiny = Math.ScaleB(1.0, -1060);
        Dual s = new Dual(tiny, 0, 0) + new Dual(tiny, 0, 0);
        Assert.Equal(double.Epsilon, s.EV);
        // 1 + 1: ε·2, relative
        Assert.Equal(2 * Eps, (new Dual(1, 0, 0) + new Dual(1, 0, 0)).EV);
    }

    /// <summary>random:12866 of seed 77 (found by a Java implementation's runs: every `check` at that seed printed it):
    /// the exact v·g of a direction is 2e-323 and the duals give 0, as products along the chain flush to 0. With no
    /// error counted for a zero result the cross-check's tolerance was one subnormal, and it reported a problem of
    /// the oracle that was only underflow.</summary>
    [Fact]
    public void The_dual_cross_check_counts_products_flushed_to_zero_and_finds_no_problem_where_they_underflow()
    {
        Network n = NetworkGen.Sample(77, 12866, 20000, null, null);
        Assert.Empty(Directional.Verify(Truth.For(n), seed: 77).Problems);
    }

    [Fact]
    public void Dual_sum_adds_derivatives_M_and_errors_and_one_rounding_of_each_result()
    {
        // (1 + ε·1) + (2 + ε·1): V = 3, D = 2, M = 1 + 1; ED = ea + eb + ε|2|, EV = va + vb + ε|3|
        double ea = 3e-17, eb = 5e-17, va = 7e-17, vb = 11e-17;
        Dual r = new Dual(1, 1, 1, ea, va) + new Dual(2, 1, 1, eb, vb);
        Assert.Equal(3, r.V);
        Assert.Equal(2, r.D);
        Assert.Equal(2, r.M);
        Near(ea + eb + 2 * Eps, r.ED, "ED of a sum");
        Near(va + vb + 3 * Eps, r.EV, "EV of a sum");
    }

    [Fact]
    public void Dual_product_follows_the_product_rule_and_carries_every_error_term()
    {
        // a = 3 (a′ = 1, errors ea, va), b = 5 (b′ = 2, errors eb, vb).
        // (ab)′ = a′b + ab′ = 5 + 6 = 11. An error ea in a′ moves a′b by |b|·ea; vb in b moves it by
        // |a′|·vb; va in a moves ab′ by va·|b′|; eb in b′ moves it by |a|·eb; then t1 = 5, t2 = 6 and
        // d = 11 each round by ε of themselves. EV: |b|·va + |a|·vb + ε·15. M = Ma·|b| + |a|·Mb.
        double ea = 3e-17, eb = 5e-17, va = 7e-17, vb = 11e-17;
        Dual r = new Dual(3, 1, 2, ea, va) * new Dual(5, 2, 3, eb, vb);
        Assert.Equal(15, r.V);
        Assert.Equal(11, r.D);
        Assert.Equal(2 * 5 + 3 * 3, r.M);
        Near(5 * ea + 1 * vb + va * 2 + 3 * eb + 5 * Eps + 6 * Eps + 11 * Eps, r.ED, "ED of a product");
        Near(5 * va + 3 * vb + 15 * Eps, r.EV, "EV of a product");
    }

    [Fact]
    public void Dual_quotient_follows_the_quotient_rule_and_carries_every_error_term()
    {
        // a = 6 (a′ = 1), b = 3 (b′ = 2): v = 2, (a/b)′ = (a′ − v·b′)/b = (1 − 4)/3 = −1.
        // M = (Ma·|b| + |a|·Mb)/b² = (1·3 + 6·1)/9 = 1.
        // EV: (va + |v|·vb)/|b| + ε|v|.
        // ED: the numerator a′ − t (t = v·b′ = 4) carries ea, |b′|·EV(v) + |v|·eb (from t), and the
        // roundings of t (ε·4) and of a′ − t (ε·3); dividing by |b| scales all of it, and moves d by
        // |d|·vb/|b| through the error of b; the quotient rounds by ε|d| = ε.
        double ea = 3e-17, eb = 5e-17, va = 7e-17, vb = 11e-17;
        Dual r = new Dual(6, 1, 1, ea, va) / new Dual(3, 2, 1, eb, vb);
        Assert.Equal(2, r.V);
        Assert.Equal(-1, r.D);
        Assert.Equal(1, r.M);
        double ev = (va + 2 * vb) / 3 + 2 * Eps;
        Near(ev, r.EV, "EV of a quotient");
        Near((ea + 2 * eb + ev * 2 + 1 * vb + 4 * Eps + 3 * Eps) / 3 + Eps, r.ED, "ED of a quotient");
    }

    [Fact]
    public void Dual_exp_log_cosh_and_tanh_follow_their_derivatives_and_error_rules()
    {
        double ex = 3e-17, vx = 7e-17;

        // e^x at x = 0, x′ = 2: e = 1, (e^x)′ = e·x′ = 2, M = e·Mx = 5. EV: e·vx + ε·e.
        // ED: EV(e)·|x′| + e·ex + ε·|d|.
        Dual e = Dual.Exp(new Dual(0, 2, 5, ex, vx));
        Assert.Equal(1, e.V);
        Assert.Equal(2, e.D);
        Assert.Equal(5, e.M);
        double evE = vx + Eps;
        Near(evE, e.EV, "EV of exp");
        Near(evE * 2 + ex + 2 * Eps, e.ED, "ED of exp");

        // ln x at x = 2, x′ = 3: (ln x)′ = x′/x = 1.5, M = Mx/|x| = 4/2. EV: vx/|x| + ε·ln 2.
        // ED: ex/|x| + |d|·vx/|x| (d = x′/x moves by d·δx/x) + ε|d|.
        Dual l = Dual.Log(new Dual(2, 3, 4, ex, vx));
        Assert.Equal(Math.Log(2), l.V);
        Assert.Equal(1.5, l.D);
        Assert.Equal(2, l.M);
        Near(vx / 2 + Eps * Math.Log(2), l.EV, "EV of log");
        Near(ex / 2 + 1.5 * vx / 2 + 1.5 * Eps, l.ED, "ED of log");

        // cosh x at x = ln 2 (cosh = 5/4, sinh = 3/4), x′ = 2: (cosh x)′ = sinh x·x′ = 3/2, M = |sinh|·Mx = 3/4·4.
        // EV: |sinh|·vx + 2ε·cosh (libm's cosh within an ulp, and its own rounding).
        // ED: |sinh|·ex + cosh·vx·|x′| (sinh moves by cosh·δx) + 2ε·|sinh|·|x′| + ε|d|.
        double ln2 = Math.Log(2), c = Math.Cosh(ln2), sh = Math.Sinh(ln2);
        Assert.True(Math.Abs(c - 1.25) < 1e-15 && Math.Abs(sh - 0.75) < 1e-15);
        Dual ch = Dual.Cosh(new Dual(ln2, 2, 4, ex, vx));
        Assert.Equal(c, ch.V);
        Near(1.5, ch.D, "D of cosh");
        Near(3, ch.M, "M of cosh");
        Near(0.75 * vx + 2 * Eps * 1.25, ch.EV, "EV of cosh");
        Near(0.75 * ex + 1.25 * vx * 2 + 2 * Eps * 0.75 * 2 + Eps * 1.5, ch.ED, "ED of cosh");

        // tanh x at x = ln 2 (tanh = 3/5, sech² = 16/25), x′ = 2: (tanh x)′ = sech²·x′ = 32/25,
        // M = sech²·Mx. EV: sech²·vx + ε·tanh. ED: sech²·(ex + 2|tanh·x′|·vx) (sech² moves by
        // −2 tanh·sech²·δx) + 3ε|d| (cosh, its square and the reciprocal).
        Dual th = Dual.Tanh(new Dual(ln2, 2, 4, ex, vx));
        double s2 = 16.0 / 25;
        Near(0.6, th.V, "tanh");
        Near(2 * s2, th.D, "D of tanh");
        Near(4 * s2, th.M, "M of tanh");
        Near(s2 * vx + Eps * 0.6, th.EV, "EV of tanh");
        Near(s2 * (ex + 2 * 0.6 * 2 * vx) + 3 * Eps * 2 * s2, th.ED, "ED of tanh");
    }

    // ----------------------------------------------------------------------------------------
    // ComplexStep
    // ----------------------------------------------------------------------------------------

    static void Near(ComplexStep expected, ComplexStep actual, string what)
    {
        double scale = Math.Max(Math.Abs(expected.Re), Math.Abs(expected.Im));
        Assert.True(Math.Abs(actual.Re - expected.Re) <= 1e-15 * scale && Math.Abs(actual.Im - expected.Im) <= 1e-15 * scale,
            $"{what}: {actual}, expected {expected}");
    }

    [Fact]
    public void ComplexStep_arithmetic_and_functions_agree_with_hand_computed_values()
    {
        var a = new ComplexStep(1, 2);
        var b = new ComplexStep(3, 4);
        // (1 + 2i)(3 + 4i) = 3 − 8 + (4 + 6)i
        Assert.Equal(new ComplexStep(-5, 10), a * b);
        // (1 + 2i)/(3 + 4i) = (1 + 2i)(3 − 4i)/25 = (11 + 2i)/25
        Near(new ComplexStep(11.0 / 25, 2.0 / 25), a / b, "(1 + 2i)/(3 + 4i)");
        // e^{ln 2 + iπ/3} = 2(1/2 + i√3/2) = 1 + i√3
        Near(new ComplexStep(1, Math.Sqrt(3)), ComplexStep.Exp(new ComplexStep(Math.Log(2), Math.PI / 3)), "exp(ln 2 + iπ/3)");
        // cosh(ln 2 + iπ/3) = cosh(ln 2)cos(π/3) + i sinh(ln 2) sin(π/3) = 5/8 + i(3/4)(√3/2)
        Near(new ComplexStep(0.625, 0.375 * Math.Sqrt(3)), ComplexStep.Cosh(new ComplexStep(Math.Log(2), Math.PI / 3)), "cosh(ln 2 + iπ/3)");
        // log(3 + 4i) = ln 5 + i·atan(4/3)
        Near(new ComplexStep(Math.Log(5), Math.Atan(4.0 / 3)), ComplexStep.Log(b), "log(3 + 4i)");
    }

    [Theory]
    [InlineData(1.5, 0.25)]
    [InlineData(-2.0, 0.5)]
    [InlineData(0.5, 0.25)]
    public void ComplexStep_tanh_is_sinh_2a_plus_i_sin_2b_over_cosh_2a_plus_cos_2b(double re, double im)
    {
        // tanh(a + ib) = (sinh 2a + i sin 2b)/(cosh 2a + cos 2b), directly (no overflow at these a)
        double den = Math.Cosh(2 * re) + Math.Cos(2 * im);
        var expected = new ComplexStep(Math.Sinh(2 * re) / den, Math.Sin(2 * im) / den);
        ComplexStep t = ComplexStep.Tanh(new ComplexStep(re, im));
        Assert.True(Math.Abs(t.Re - expected.Re) <= 1e-14 && Math.Abs(t.Im - expected.Im) <= 1e-14, $"tanh({re} + {im}i) = {t}, expected {expected}");
    }

    [Theory]
    [InlineData(1e-8)]
    [InlineData(-3e-5)]
    [InlineData(1.0)]
    [InlineData(-0.75)]
    public void ComplexStep_tanh_keeps_its_real_parts_digits_near_zero_and_at_one(double re)
    {
        // with b = 10⁻²⁰ the real part is tanh a to the last digits: 1 − e^{−4|a|} would lose 8 of them at 10⁻⁸
        double t = ComplexStep.Tanh(new ComplexStep(re, 1e-20)).Re, expected = Math.Tanh(re);
        Assert.True(Math.Abs(t - expected) <= 4 * Math.ScaleB(1, -53) * Math.Abs(expected), $"tanh({re} + 1e-20i) = {t:R}, expected {expected:R}");
    }

    [Fact]
    public void ComplexStep_tanh_of_a_large_real_part_does_not_overflow()
    {
        // tanh(400 + 10⁻²⁰i) = 1 + i·10⁻²⁰·sech²(400), and sech²(400) = 4e^{−800}/(1 + e^{−800})² ≈ 0:
        // sinh 800 and cosh 800 overflow, so only the e^{−2|a|} form gives it
        ComplexStep t = ComplexStep.Tanh(new ComplexStep(400, 1e-20));
        Assert.Equal(1, t.Re);
        Assert.Equal(0, t.Im);
        Assert.Equal(-1, ComplexStep.Tanh(new ComplexStep(-400, 1e-20)).Re);
    }

    // ----------------------------------------------------------------------------------------
    // Exact
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Distance_is_the_absolute_difference_from_hi_plus_lo()
    {
        // |1 − (0.5 + 0.25)| = 0.25, and |0.75 − (0.5 + 0.25)| = 0
        Assert.Equal(0.25, ExactValues.Distance(1, 0.5, 0.25));
        Assert.Equal(0, ExactValues.Distance(0.75, 0.5, 0.25));
        Assert.Equal(0.25, ExactValues.Distance(0.5, 0.5, 0.25));
    }

    [Fact]
    public void The_exact_forward_passes_remembered_per_input_row_are_bounded()
    {
        // one input row shared by networks with other weights (as a shrinker's or a law's networks
        // share it): each new network's pass is remembered, the oldest forgotten past the bound
        double[] row = [0.5, -1.5];
        Assert.Equal(0, Exact.RememberedPasses(row));
        for (int i = 1; i <= Exact.PassesPerRow + 3; i++)
        {
            Network n = Network.Create(2, [new Layer(Activation.Tanh, new[,] { { 0.1 * i, -0.2 } }, [0.3], BiasMode.Trainable)],
                                       LossKind.HalfSse, 0.1, [row], [[0.25]]);
            ExactValues x = Exact.Compute(n);
            Assert.Equal(Math.Min(i, Exact.PassesPerRow), Exact.RememberedPasses(row));
            // a remembered pass gives the same answer as a new one
            Assert.Equal(x.Gradient, Exact.Compute(n).Gradient);
        }
    }

    [Fact]
    public void Exact_Compute_runs_on_number_types_other_than_DoubleDouble()
    {
        // One identity unit, w = 0.3, b = 0.1, inputs 0.7 and 0.3, targets 0.2 and 0.4, ½·SSE:
        // residuals r = (0.31 − 0.2, 0.19 − 0.4) = (0.11, −0.21); E = ½(0.0121 + 0.0441) = 0.0281;
        // dE/dw = Σ r·x = 0.077 − 0.063 = 0.014; dE/db = Σ r = −0.1. In double (Real): to 1e-15.
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.3 } }, [0.1], BiasMode.Trainable)], LossKind.HalfSse, 0.5,
            [[0.7], [0.3]], [[0.2], [0.4]]);
        ExactValues r = Exact.Compute<Real>(n, x => (x.Value, 0));
        Assert.Equal(0.0281, r.Loss, 1e-15);
        Assert.Equal(2, r.Gradient.Length);
        Assert.Equal(0.014, r.Gradient[0], 1e-15);
        Assert.Equal(-0.1, r.Gradient[1], 1e-15);
        ExactValues d = Exact.Compute(n);
        Assert.Equal(0.0281, d.Loss, 1e-15);
        Assert.Equal(0.014, d.Gradient[0], 1e-15);
    }
}
