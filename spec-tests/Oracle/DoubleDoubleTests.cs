using System.Globalization;
using System.Numerics;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// <see cref="DoubleDouble"/> against exact rational results (arithmetic) and against the 256-bit
/// <see cref="BigMath"/> reference (functions), at seeded random points. Every tolerance is the
/// error bound derived in DoubleDouble.cs's comments for that operation, in units of
/// u² = 2⁻¹⁰⁶ (u = 2⁻⁵³); all of them are below the 2⁻¹⁰⁰ = 64u² the oracle needs. The reference is
/// itself good to 2⁻²⁴⁰ (checked below), so its own error is invisible at this scale. The seed is
/// the suite's (<see cref="RunSettings"/>: fixed, printed, BACKPROPSPEC_SEED to replay another); the
/// bounds are proofs, not fits to these points, so any seed must pass.
/// </summary>
public class DoubleDoubleTests(ITestOutputHelper output)
{
    static readonly ulong Seed = RunSettings.Seed;
    const double U = 1.0 / 9007199254740992;             // 2⁻⁵³
    const double U2 = U * U, U3 = U2 * U;
    static readonly double Pow2Minus969 = Math.ScaleB(1.0, -969);   // below this, Lo is subnormal

    static BigFloat B(DoubleDouble x) => BigFloat.Of(x);
    static BigFloat B(double x) => BigFloat.Of(x);

    // ----------------------------------------------------------------------------------------
    // Random points
    // ----------------------------------------------------------------------------------------

    Random NewRandom(string what)
    {
        output.WriteLine($"{what}: seed {Seed}");
        return new Random(unchecked((int)(Seed ^ (Seed >> 32))));
    }

    /// <summary>A random sign, a uniformly random 53-bit significand, an exponent uniform in [min, max].</summary>
    static double RandomDouble(Random rng, int minExponent, int maxExponent)
    {
        double v = Math.ScaleB((double)rng.NextInt64(1L << 52, 1L << 53), rng.Next(minExponent, maxExponent + 1) - 52);
        return rng.Next(2) == 0 ? v : -v;
    }

    /// <summary>Hi as <see cref="RandomDouble"/>, Lo uniform in (−ulp(Hi)/2, ulp(Hi)/2), or 0 one time in 8.</summary>
    static DoubleDouble RandomDD(Random rng, int minExponent, int maxExponent) =>
        WithRandomLo(rng, RandomDouble(rng, minExponent, maxExponent));

    static DoubleDouble WithRandomLo(Random rng, double hi)
    {
        if (rng.Next(8) == 0 || hi == 0) return new(hi, 0);
        double lo = Math.ScaleB(2 * rng.NextDouble() - 1, Math.ILogB(hi) - 53);
        return hi + lo == hi ? new(hi, lo) : new(hi, 0);   // below a power of two the spacing halves
    }

    static double Uniform(Random rng, double a, double b) => a + (b - a) * rng.NextDouble();

    /// <summary>|x| log-uniform in [a, b], random sign.</summary>
    static double LogUniform(Random rng, double a, double b, bool signed = true)
    {
        double v = Math.Exp(Uniform(rng, Math.Log(a), Math.Log(b)));
        return signed && rng.Next(2) == 0 ? -v : v;
    }

    // ----------------------------------------------------------------------------------------
    // Checks
    // ----------------------------------------------------------------------------------------

    static double HalfUlp(double h) => (Math.BitIncrement(Math.Abs(h)) - Math.Abs(h)) / 2;

    /// <summary>Hi = fl(Hi + Lo) and |Lo| ≤ ulp(Hi)/2; a non-finite Hi has Lo = 0.</summary>
    static void AssertNormalised(DoubleDouble z, string context)
    {
        if (!double.IsFinite(z.Hi)) { Assert.True(z.Lo == 0, $"{context}: non-finite {z} with Lo ≠ 0"); return; }
        Assert.True(z.Hi + z.Lo == z.Hi && Math.Abs(z.Lo) <= HalfUlp(z.Hi), $"{context}: {z} is not normalised");
    }

    /// <summary>Tracks the worst relative error of a batch and reports it.</summary>
    sealed class Worst(string name)
    {
        public double Error;
        public string At = "";
        public int Count;

        public void See(double error, string at)
        {
            Count++;
            if (error > Error) { Error = error; At = at; }
        }

        public string Report() => Error == 0
            ? $"{name}: {Count} points, all exact"
            : $"{name}: {Count} points, worst relative error {Error:E3} = 2^{Math.Log2(Error):F2} = {Error / U2:F3} u², at {At}";
    }

    /// <summary>Asserts z is normalised and |z − exact| ≤ bound·|exact|, and records the relative error.</summary>
    static void Check(Worst worst, DoubleDouble z, BigFloat exact, double bound, string at)
    {
        AssertNormalised(z, at);
        double relative = exact.IsZero ? (B(z).IsZero ? 0 : double.PositiveInfinity) : BigFloat.RelativeError(B(z), exact);
        Assert.True(relative <= bound, $"{at}: got {z}, relative error {relative:E3} = {relative / U2:F2} u² > {bound / U2:F2} u² (exact ≈ {exact.ToDouble():R})");
        worst.See(relative, at);
    }

    // ----------------------------------------------------------------------------------------
    // The reference itself
    // ----------------------------------------------------------------------------------------

    /// <summary>85-digit values from mpmath (mp.dps = 90); the reference must agree to 2⁻²⁴⁰
    /// relative (85 digits are 282 bits, so the digits' own rounding is below 2⁻²⁸⁰).</summary>
    [Theory]
    [InlineData("exp", "1", "2.718281828459045235360287471352662497757247093699959574966967627724076630353547594571")]
    [InlineData("exp", "-700", "9.859676543759770856705372947849465105115600181400941710586466767793186796594637210541e-305")]
    [InlineData("log", "10", "2.302585092994045684017991454684364207601101488628772976033327900967572609677352480236")]
    [InlineData("log3x2^-1000", "", "-692.048568271277199725836876221254042370852643802432504668945315159756127676476106639")]
    [InlineData("tanh", "0.5", "0.4621171572600097585023184836436725487302892803301130385527318158380809061404092787749")]
    [InlineData("cosh", "3", "10.06766199577776584195393603511588983680980371537128667997328097865245327291108664068")]
    [InlineData("expm1", "1e-10", "0.0000000001000000000050000000001666666666708333333334166666666680555555555753968253970734126984")]
    public void The_256_bit_reference_agrees_with_published_digits_to_2_pow_minus_240(string f, string x, string digits)
    {
        BigFloat Parse(string s)
        {
            var (m, p) = BigMath.ParseDecimal(s);
            return p >= 0 ? new BigFloat(m * BigInteger.Pow(10, p), 0) : BigFloat.Divide(new BigFloat(m, 0), new BigFloat(BigInteger.Pow(10, -p), 0), 400);
        }
        BigFloat value = f switch
        {
            "exp" => BigMath.Exp(Parse(x)),
            "log" => BigMath.Log(Parse(x)),
            "log3x2^-1000" => BigMath.Log(BigFloat.Of(3).Times2Pow(-1000)),
            "tanh" => BigMath.Tanh(Parse(x)),
            "cosh" => BigMath.Cosh(Parse(x)),
            "expm1" => BigMath.Expm1(Parse(x)),
            _ => throw new ArgumentException(f),
        };
        double error = BigFloat.RelativeError(value, Parse(digits));
        output.WriteLine($"{f}({x}): reference off by 2^{Math.Log2(Math.Max(error, 1e-300)):F1}");
        Assert.True(error < Math.ScaleB(1.0, -240), $"{f}({x}): {error:E3}");
    }

    [Fact]
    public void Ln2_is_the_nearest_double_double_to_ln_2()
    {
        // The nearest double-double is within half an ulp of its Lo: ulp(2.3e-17) = 2⁻¹⁰⁸.
        BigFloat error = BigFloat.Abs(B(DoubleDouble.Ln2) - BigMath.Ln2);
        output.WriteLine($"|Ln2 − ln 2| = 2^{Math.Log2(error.ToDouble()):F2}");
        Assert.True(BigFloat.Compare(error, B(Math.ScaleB(1.0, -109))) <= 0);
        AssertNormalised(DoubleDouble.Ln2, "Ln2");
    }

    // ----------------------------------------------------------------------------------------
    // Error-free transformations
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void TwoSum_FastTwoSum_and_TwoProd_are_exact_and_return_the_rounded_result_first()
    {
        Random rng = NewRandom("error-free transformations");
        for (int i = 0; i < 20000; i++)
        {
            // sums: exponents up to 1000 apart (b entirely below a's ulp included), cancellation included
            double a = RandomDouble(rng, -500, 500), b = i % 4 == 0 ? -a * (1 + RandomDouble(rng, -60, -1)) : RandomDouble(rng, -500, 500);
            DoubleDouble s = DoubleDouble.TwoSum(a, b);
            Assert.Equal(a + b, s.Hi);
            Assert.True(BigFloat.Compare(B(s), B(a) + B(b)) == 0, $"TwoSum({a:R}, {b:R}) = {s}");
            AssertNormalised(s, "TwoSum");

            (double big, double small) = Math.Abs(a) >= Math.Abs(b) ? (a, b) : (b, a);
            DoubleDouble f = DoubleDouble.FastTwoSum(big, small);
            Assert.Equal(s, f);

            // products: exponents summing to ≥ −900, so the error term is not subnormal
            double c = RandomDouble(rng, -450, 450), d = RandomDouble(rng, -450, 450);
            DoubleDouble p = DoubleDouble.TwoProd(c, d);
            Assert.Equal(c * d, p.Hi);
            Assert.Equal(0, BigFloat.Compare(B(p), B(c) * B(d)));
            AssertNormalised(p, "TwoProd");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Arithmetic against exact results
    // ----------------------------------------------------------------------------------------

    /// <summary>Pairs of random double-doubles, exponents in [−300, 300] (so no product or quotient
    /// comes near the subnormals), with a quarter of them y ≈ −x to 0 … 60 bits (cancellation).</summary>
    IEnumerable<(DoubleDouble x, DoubleDouble y)> Pairs(string what, int count)
    {
        Random rng = NewRandom(what);
        for (int i = 0; i < count; i++)
        {
            DoubleDouble x = RandomDD(rng, -300, 300);
            DoubleDouble y = (i % 4) switch
            {
                0 => WithRandomLo(rng, -x.Hi),
                1 => WithRandomLo(rng, -x.Hi * (1 + RandomDouble(rng, -60, -1))),
                _ => RandomDD(rng, -300, 300),
            };
            yield return (x, y);
        }
    }

    [Fact]
    public void Sums_and_differences_are_within_3u2_of_the_exact_result()
    {
        // Joldes–Muller–Popescu's bound for their Algorithm 6: 3u²/(1 − 4u) < 3u² + 13u³.
        const double bound = 3 * U2 + 13 * U3;
        var sum = new Worst("x + y");
        var difference = new Worst("x − y");
        foreach (var (x, y) in Pairs("sums", 20000))
        {
            Check(sum, x + y, B(x) + B(y), bound, $"({x}) + ({y})");
            Check(difference, x - y, B(x) - B(y), bound, $"({x}) − ({y})");
        }
        output.WriteLine(sum.Report());
        output.WriteLine(difference.Report());
    }

    [Fact]
    public void Products_are_within_4u2_of_the_exact_result()
    {
        const double bound = 4 * U2;                       // Joldes–Muller–Popescu's bound for DWTimesDW3, cited at operator *
        var worst = new Worst("x · y");
        foreach (var (x, y) in Pairs("products", 20000))
            Check(worst, x * y, B(x) * B(y), bound, $"({x}) · ({y})");
        output.WriteLine(worst.Report());
    }

    [Fact]
    public void Quotients_are_within_u2_plus_80u3_of_the_exact_result()
    {
        const double bound = U2 + 80 * U3;                 // derived at operator /
        var worst = new Worst("x / y");
        foreach (var (x, y) in Pairs("quotients", 20000))
        {
            DoubleDouble q = x / y;
            AssertNormalised(q, "quotient");
            // |q − x/y|/|x/y| = |q·y − x|/|x|, exactly, with no rounding in the reference
            double relative = BigFloat.RelativeError(B(q) * B(y), B(x));
            Assert.True(relative <= bound, $"({x}) / ({y}) = {q}: {relative / U2:F3} u²");
            worst.See(relative, $"({x}) / ({y})");
        }
        output.WriteLine(worst.Report());
    }

    [Fact]
    public void Square_roots_are_within_4_2u2_of_the_exact_result()
    {
        // 4.125u² + O(u³), derived at Sqrt. z = √x(1 + δ) ⇔ z² = x(1 + 2δ + δ²): δ is
        // (z² − x)/(2x) to a relative 2⁻¹⁰⁰ of itself, and z² − x is computed exactly.
        const double bound = 4.2 * U2;
        Random rng = NewRandom("square roots");
        var worst = new Worst("√x");
        for (int i = 0; i < 10000; i++)
        {
            DoubleDouble x = DoubleDouble.Abs(RandomDD(rng, i % 10 == 0 ? -1074 : -1000, 1023));
            if (x.Hi < Pow2Minus969) x = new(x.Hi, 0);    // a subnormal Lo is not a 106-bit input
            DoubleDouble z = DoubleDouble.Sqrt(x);
            AssertNormalised(z, "sqrt");
            double delta = BigFloat.RelativeError(B(z) * B(z), B(x)) / 2;
            Assert.True(delta <= bound, $"√({x}) = {z}: {delta / U2:F3} u²");
            worst.See(delta, $"√({x})");
        }
        output.WriteLine(worst.Report());
    }

    [Fact]
    public void Arithmetic_on_doubles_is_exact_where_the_result_fits_in_106_bits()
    {
        Random rng = NewRandom("exact arithmetic");
        for (int i = 0; i < 20000; i++)
        {
            double a = RandomDouble(rng, -400, 400), b = RandomDouble(rng, -400, 400);
            DoubleDouble x = DoubleDouble.FromDouble(a), y = DoubleDouble.FromDouble(b);
            // a ± b and a·b always fit (the product of two 53-bit significands has at most 106 bits)
            Assert.Equal(0, BigFloat.Compare(B(x + y), B(a) + B(b)));
            Assert.Equal(0, BigFloat.Compare(B(x - y), B(a) - B(b)));
            Assert.Equal(0, BigFloat.Compare(B(x * y), B(a) * B(b)));
            // a quotient of doubles that is a finite binary fraction is a double: (c·d)/d with c, d of 26 bits
            double c = Math.ScaleB((double)rng.Next(1 << 25, 1 << 26), rng.Next(-300, 300));
            double d = Math.ScaleB((double)rng.Next(1 << 25, 1 << 26), rng.Next(-300, 300));
            Assert.Equal(new DoubleDouble(c, 0), DoubleDouble.FromDouble(c * d) / DoubleDouble.FromDouble(d));
        }
        // double-doubles whose exact results keep within 106 bits
        DoubleDouble p60 = DoubleDouble.TwoSum(1, Math.ScaleB(1.0, -60)), p40 = DoubleDouble.TwoSum(1, Math.ScaleB(1.0, -40));
        Assert.Equal(0, BigFloat.Compare(B(p60 * p40), (B(1) + B(Math.ScaleB(1.0, -60))) * (B(1) + B(Math.ScaleB(1.0, -40)))));
        Assert.Equal(0, BigFloat.Compare(B(p60 + p40), B(2) + B(Math.ScaleB(1.0, -60)) + B(Math.ScaleB(1.0, -40))));
        Assert.Equal(p60, p60 * DoubleDouble.FromDouble(Math.ScaleB(1.0, 300)) / DoubleDouble.FromDouble(Math.ScaleB(1.0, 300)));
        Assert.Equal(new DoubleDouble(3, 0), DoubleDouble.Sqrt(9));
        Assert.Equal(p60 * p60, DoubleDouble.Sqrt(p60 * p60) * DoubleDouble.Sqrt(p60 * p60));
    }

    [Fact]
    public void Non_finite_operands_follow_IEEE_and_leave_Lo_zero()
    {
        DoubleDouble inf = double.PositiveInfinity, nan = double.NaN, max = double.MaxValue, one = 1, zero = 0;
        void Is(double expected, DoubleDouble z, string what)
        {
            Assert.True(expected.Equals(z.Hi) && z.Lo == 0, $"{what} = {z}, expected {expected}");
        }
        Is(double.PositiveInfinity, inf + one, "∞ + 1");
        Is(double.NaN, inf - inf, "∞ − ∞");
        Is(double.NaN, inf * zero, "∞ · 0");
        Is(double.NegativeInfinity, inf * -one, "∞ · −1");
        Is(double.PositiveInfinity, one / zero, "1/0");
        Is(double.NegativeInfinity, -one / zero, "−1/0");
        Is(double.NaN, zero / zero, "0/0");
        Is(0, one / inf, "1/∞");
        Is(double.NaN, inf / inf, "∞/∞");
        Is(double.NaN, nan + one, "NaN + 1");
        Is(double.NaN, one * nan, "1 · NaN");
        Is(double.NaN, nan / one, "NaN / 1");
        Is(double.PositiveInfinity, max + max, "max + max");
        Is(double.PositiveInfinity, max * 2, "max · 2");
        Is(double.PositiveInfinity, max / 0.5, "max / 0.5");
        Is(double.PositiveInfinity, DoubleDouble.Sqrt(inf), "√∞");
        Is(double.NaN, DoubleDouble.Sqrt(-one), "√−1");
        Is(double.NaN, DoubleDouble.Sqrt(nan), "√NaN");
        Assert.True(double.IsNegative(DoubleDouble.Sqrt(-0.0).Hi), "√−0 = −0");
        Assert.True(DoubleDouble.Sqrt(max).Hi > 1e154, "√max is finite");
    }

    // ----------------------------------------------------------------------------------------
    // Exp
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Exp_is_accurate_to_2_pow_minus_100_relative_across_the_double_range()
    {
        // 7.3u² (≈ 2⁻¹⁰³·²), derived at Exp, wherever e^x ≥ 2⁻⁹⁶⁹. Between 2⁻¹⁰²² and 2⁻⁹⁶⁹ Lo is
        // subnormal and rounds to the grid 2⁻¹⁰⁷⁴: add half of that grid, 2⁻¹⁰⁷⁵, absolute. Below
        // 2⁻¹⁰²² the result is a single correctly rounded double (a test of its own, below).
        const double bound = 7.3 * U2;
        BigFloat halfGrid = new(BigInteger.One, -1075);
        Random rng = NewRandom("exp");
        var worst = new Worst("Exp");
        double worstAbsolute = 0;                          // in units of 2⁻¹⁰⁷⁴, where Lo is subnormal
        int band = 0;
        for (int i = 0; i < 2500; i++)
        {
            DoubleDouble x = (i % 5) switch
            {
                0 => Uniform(rng, -708.39, 709.78),                                   // result normal
                1 => WithRandomLo(rng, Uniform(rng, -708.39, 709.78)),                // with a Lo
                2 => LogUniform(rng, 1e-300, 1),                                      // tiny arguments
                3 => WithRandomLo(rng, Math.Round(Uniform(rng, -1020, 1023)) * 0.6931471805599453 + RandomDouble(rng, -60, -20)), // x ≈ k·ln 2
                _ => Uniform(rng, -745, 709.78),
            };
            if (x.Hi > 709.78) continue;
            DoubleDouble z = DoubleDouble.Exp(x);
            BigFloat exact = BigMath.Exp(B(x));
            if (z.Hi != 0 && Math.Abs(z.Hi) < Math.ScaleB(1.0, -1022)) continue;    // the subnormal test's
            bool loSubnormal = Math.Abs(z.Hi) < Pow2Minus969;
            AssertNormalised(z, $"Exp({x})");
            BigFloat error = BigFloat.Abs(B(z) - exact);
            Assert.True(BigFloat.Compare(error, exact * B(bound) + (loSubnormal ? halfGrid : BigFloat.Zero)) <= 0,
                $"Exp({x}) = {z}: relative error {BigFloat.RelativeError(B(z), exact) / U2:F3} u²");
            if (!loSubnormal) worst.See(BigFloat.RelativeError(B(z), exact), $"x = {x}");
            else { band++; worstAbsolute = Math.Max(worstAbsolute, error.Times2Pow(1074).ToDouble()); }
        }
        output.WriteLine(worst.Report());
        output.WriteLine($"Exp, e^x in [2⁻¹⁰²², 2⁻⁹⁶⁹] (Lo subnormal): {band} points, worst absolute error {worstAbsolute:F3}·2⁻¹⁰⁷⁴");
        Assert.True(worst.Count > 2000);
    }

    [Fact]
    public void Exp_rounds_once_into_the_subnormals_and_underflows_to_zero()
    {
        // Below 2⁻¹⁰²² the result must be the exact e^x rounded to the grid 2⁻¹⁰⁷⁴ (ties to even),
        // with Lo = 0. It can differ only if e^x lies within 5u² of it of a midpoint of the grid:
        // chance about 2⁻¹⁰³·2⁵² per point, never at these.
        Random rng = NewRandom("exp, subnormal results");
        int n = 0;
        for (int i = 0; i < 500; i++)
        {
            DoubleDouble x = i % 2 == 0 ? Uniform(rng, -745.2, -708.4) : WithRandomLo(rng, Uniform(rng, -745.2, -708.4));
            DoubleDouble z = DoubleDouble.Exp(x);
            BigFloat exact = BigMath.Exp(B(x));
            if (exact.Exponent >= -1022) continue;
            BigInteger grid = BigFloat.RoundToGrid(exact, -1074);
            Assert.True(z.Lo == 0 && z.Hi == Math.ScaleB((double)grid, -1074), $"Exp({x}) = {z}, expected {grid}·2⁻¹⁰⁷⁴");
            n++;
        }
        output.WriteLine($"{n} subnormal or zero results, all correctly rounded");
        Assert.True(n > 400);
        Assert.Equal(new DoubleDouble(double.Epsilon, 0), DoubleDouble.Exp(-745.1));      // e^−745.1 ≈ 1.03·2⁻¹⁰⁷⁴
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Exp(-745.2));                 // below 2⁻¹⁰⁷⁵
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Exp(-746));
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Exp(-1e300));
    }

    [Fact]
    public void Exp_of_0_is_1_exactly_and_non_finite_and_overflowing_arguments_are_handled()
    {
        Assert.Equal(new DoubleDouble(1, 0), DoubleDouble.Exp(0));
        Assert.Equal(new DoubleDouble(1, 0), DoubleDouble.Exp(-0.0));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Exp(double.PositiveInfinity));
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Exp(double.NegativeInfinity));
        Assert.True(double.IsNaN(DoubleDouble.Exp(double.NaN).Hi));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Exp(709.79));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Exp(709.783));   // ln(max) = 709.7827…
        Assert.True(double.IsFinite(DoubleDouble.Exp(709.782).Hi));
        Assert.True(DoubleDouble.Exp(709.782).Hi > 1.79e308);
    }

    [Fact]
    public void Expm1_is_accurate_relative_near_0_and_everywhere_else()
    {
        // 5u² for |x| ≤ ln 2 / 2 and 12.5u² beyond, derived at Expm1.
        Random rng = NewRandom("expm1");
        var near0 = new Worst("Expm1, |x| ≤ ln2/2");
        var far = new Worst("Expm1, |x| > ln2/2");
        for (int i = 0; i < 2000; i++)
        {
            DoubleDouble x = (i % 4) switch
            {
                0 => LogUniform(rng, 1e-300, 0.3465),
                1 => WithRandomLo(rng, LogUniform(rng, 1e-30, 0.3465)),
                2 => WithRandomLo(rng, LogUniform(rng, 0.3466, 0.36)),
                _ => WithRandomLo(rng, rng.Next(2) == 0 ? LogUniform(rng, 0.3466, 709.7, false) : -LogUniform(rng, 0.3466, 745, false)),
            };
            bool small = Math.Abs(x.Hi) <= 0.34657359027997264;
            Check(small ? near0 : far, DoubleDouble.Expm1(x), BigMath.Expm1(B(x)), small ? 5 * U2 : 12.5 * U2, $"x = {x}");
        }
        output.WriteLine(near0.Report());
        output.WriteLine(far.Report());
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Expm1(0));
        Assert.Equal(new DoubleDouble(-1, 0), DoubleDouble.Expm1(double.NegativeInfinity));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Expm1(double.PositiveInfinity));
        Assert.True(double.IsNaN(DoubleDouble.Expm1(double.NaN).Hi));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Expm1(710));
        Assert.Equal(new DoubleDouble(1e-300, 0), DoubleDouble.Expm1(1e-300));
    }

    // ----------------------------------------------------------------------------------------
    // Log
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Log_is_accurate_to_2_pow_minus_100_relative_from_subnormal_to_huge_and_near_1()
    {
        const double bound = 15 * U2;                      // derived at Log
        Random rng = NewRandom("log");
        var worst = new Worst("Log");
        var nearOne = new Worst("Log, x within 2⁻¹⁰ of 1");
        for (int i = 0; i < 3000; i++)
        {
            DoubleDouble x = (i % 4) switch
            {
                0 => Math.Abs(RandomDouble(rng, -1074, 1023)),                          // every binade, subnormals too
                1 => DoubleDouble.Abs(RandomDD(rng, -960, 1023)),                      // with a (normal) Lo
                2 => DoubleDouble.TwoSum(1, RandomDouble(rng, -105, -10)),             // 1 + δ
                _ => WithRandomLo(rng, rng.Next(2) == 0 ? 1 : Math.BitDecrement(1.0)), // 1 ± a few ulps of Lo
            };
            if (x.Hi <= 0) continue;
            if (x == new DoubleDouble(1, 0)) continue;                               // tested exactly below
            BigFloat exact = BigMath.Log(B(x));
            bool close = Math.Abs(x.Hi - 1) < 1.0 / 1024;
            Check(close ? nearOne : worst, DoubleDouble.Log(x), exact, bound, $"x = {x}");
        }
        output.WriteLine(worst.Report());
        output.WriteLine(nearOne.Report());
    }

    [Fact]
    public void Log_of_1_is_0_exactly_and_special_values_follow_IEEE()
    {
        DoubleDouble l1 = DoubleDouble.Log(1);
        Assert.True(l1.Hi == 0 && !double.IsNegative(l1.Hi) && l1.Lo == 0, $"Log(1) = {l1}");
        Assert.Equal(new DoubleDouble(double.NegativeInfinity, 0), DoubleDouble.Log(0));
        Assert.Equal(new DoubleDouble(double.NegativeInfinity, 0), DoubleDouble.Log(-0.0));
        Assert.True(double.IsNaN(DoubleDouble.Log(-1).Hi) && DoubleDouble.Log(-1).Lo == 0);
        Assert.True(double.IsNaN(DoubleDouble.Log(double.NegativeInfinity).Hi));
        Assert.True(double.IsNaN(DoubleDouble.Log(double.NaN).Hi));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Log(double.PositiveInfinity));
        Assert.Equal(DoubleDouble.Ln2, DoubleDouble.Log(2));
        // ln(1 ± 2⁻¹⁰⁷⁴) = ±2⁻¹⁰⁷⁴ to far below the subnormal grid: the nearest double-double
        Assert.Equal(new DoubleDouble(double.Epsilon, 0), DoubleDouble.Log(new DoubleDouble(1, double.Epsilon)));
        Assert.Equal(new DoubleDouble(-double.Epsilon, 0), DoubleDouble.Log(new DoubleDouble(1, -double.Epsilon)));
    }

    // ----------------------------------------------------------------------------------------
    // Tanh
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Tanh_is_accurate_to_2_pow_minus_100_relative_from_1e_minus_300_to_50_and_exactly_odd()
    {
        const double bound = 14 * U2;                      // derived at Tanh
        Random rng = NewRandom("tanh");
        var worst = new Worst("Tanh");
        for (int i = 0; i < 2500; i++)
        {
            DoubleDouble x = (i % 4) switch
            {
                0 => LogUniform(rng, 1e-300, 50),
                1 => WithRandomLo(rng, LogUniform(rng, 1e-150, 50)),
                2 => WithRandomLo(rng, Uniform(rng, -2, 2)),
                _ => WithRandomLo(rng, LogUniform(rng, 0.1, 0.25)),   // around ln 2 / 4, where E changes method
            };
            DoubleDouble t = DoubleDouble.Tanh(x);
            Check(worst, t, BigMath.Tanh(B(x)), bound, $"x = {x}");
            Assert.Equal(-t, DoubleDouble.Tanh(-x));
        }
        output.WriteLine(worst.Report());
    }

    [Fact]
    public void Tanh_saturates_to_plus_minus_1_beyond_40_and_handles_special_values()
    {
        Assert.Equal(new DoubleDouble(1, 0), DoubleDouble.Tanh(40));
        Assert.Equal(new DoubleDouble(-1, 0), DoubleDouble.Tanh(-1e300));
        Assert.Equal(new DoubleDouble(1, 0), DoubleDouble.Tanh(double.PositiveInfinity));
        Assert.Equal(new DoubleDouble(-1, 0), DoubleDouble.Tanh(double.NegativeInfinity));
        Assert.True(double.IsNaN(DoubleDouble.Tanh(double.NaN).Hi));
        Assert.Equal(new DoubleDouble(0, 0), DoubleDouble.Tanh(0));
        Assert.True(double.IsNegative(DoubleDouble.Tanh(-0.0).Hi));
        Assert.Equal(new DoubleDouble(1e-300, 0), DoubleDouble.Tanh(1e-300));
        // up to 2⁻⁵⁵ inclusive it is x itself (x³/3 is below 2⁻¹¹¹ of x); one step above, E/(E + 2) keeps the −x³/3
        double tiny = Math.ScaleB(1, -55);
        Assert.Equal(new DoubleDouble(tiny, 0), DoubleDouble.Tanh(tiny));
        Assert.Equal(new DoubleDouble(-tiny, 0), DoubleDouble.Tanh(-tiny));
        // at Hi = 2⁻⁵⁵ with a Lo against it, |x| is still at most 2⁻⁵⁵: x itself, where E/(E + 2) may differ in Lo's last bits
        var random = new Random(55);
        for (int i = 0; i < 1000; i++)
        {
            double lo = -random.NextDouble() * Math.ScaleB(1, -109 - random.Next(60));
            Assert.Equal(new DoubleDouble(tiny, lo), DoubleDouble.Tanh(new DoubleDouble(tiny, lo)));
        }
        Assert.True(DoubleDouble.Tanh(Math.BitIncrement(tiny)).Lo < 0, $"Tanh(2^-55 + ulp) = {DoubleDouble.Tanh(Math.BitIncrement(tiny))}");
        // below saturation, 1 − tanh x ≈ 2e^{−2x} is in Lo (at 30 it is 1.75e-26, far above u²)
        DoubleDouble t = DoubleDouble.Tanh(30);
        Assert.True(t.Hi == 1 && t.Lo < 0, $"Tanh(30) = {t}");
    }

    // ----------------------------------------------------------------------------------------
    // Cosh
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void Cosh_is_accurate_to_2_pow_minus_100_relative_up_to_overflow()
    {
        const double bound = 10.3 * U2;                    // derived at Cosh
        Random rng = NewRandom("cosh");
        var worst = new Worst("Cosh");
        for (int i = 0; i < 1000; i++)
        {
            DoubleDouble x = (i % 3) switch
            {
                0 => Uniform(rng, -710.47, 710.47),
                1 => WithRandomLo(rng, LogUniform(rng, 1e-300, 50)),
                _ => WithRandomLo(rng, Uniform(rng, -45, 45)),
            };
            DoubleDouble c = DoubleDouble.Cosh(x);
            Check(worst, c, BigMath.Cosh(B(x)), bound, $"x = {x}");
            Assert.Equal(c, DoubleDouble.Cosh(-x));
        }
        output.WriteLine(worst.Report());
        Assert.Equal(new DoubleDouble(1, 0), DoubleDouble.Cosh(0));
        // from |x| = 40 on, e^−|x|/2 is below 2⁻¹¹⁵ of e^|x|/2, under the double-double's precision: the sum is
        // e^|x|/2 itself, the halving exact
        foreach (double x in new[] { 40, -40, 41.5 })
        {
            DoubleDouble e = DoubleDouble.Exp(Math.Abs(x));
            Assert.Equal(new DoubleDouble(e.Hi / 2, e.Lo / 2), DoubleDouble.Cosh(x));
        }
        Assert.True(double.IsFinite(DoubleDouble.Cosh(710.475).Hi));                  // cosh overflows at 710.4758…
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Cosh(710.476));
        Assert.Equal(new DoubleDouble(double.PositiveInfinity, 0), DoubleDouble.Cosh(double.NegativeInfinity));
        Assert.True(double.IsNaN(DoubleDouble.Cosh(double.NaN).Hi));
    }

    // ----------------------------------------------------------------------------------------
    // The rest of the surface
    // ----------------------------------------------------------------------------------------

    [Fact]
    public void ToString_prints_both_parts_in_round_trip_form()
    {
        DoubleDouble x = new DoubleDouble(1, 0) / 10;
        string s = x.ToString();
        output.WriteLine($"1/10 = {s}");
        string[] parts = s.Split(' ');
        Assert.Equal(3, parts.Length);
        double hi = double.Parse(parts[0], CultureInfo.InvariantCulture), lo = double.Parse(parts[2], CultureInfo.InvariantCulture);
        Assert.Equal(x, new DoubleDouble(hi, parts[1] == "-" ? -lo : lo));
        Assert.Equal("0.1 - 5.551115123125783E-18", s);
        Assert.Equal("1 + 0", new DoubleDouble(1, 0).ToString());
    }

    [Fact]
    public void Conversions_and_comparisons_order_by_the_exact_value()
    {
        DoubleDouble a = DoubleDouble.TwoSum(1, Math.ScaleB(1.0, -80)), b = 1, c = DoubleDouble.TwoSum(1, -Math.ScaleB(1.0, -80));
        DoubleDouble a2 = a;
        Assert.True(c < b && b < a && a > b && b > c && c <= b && a >= a2 && a <= a2 && !(a < a2) && !(a <= c));
        Assert.Equal(1.0, (double)a);
        Assert.Equal(1.0, a.ToDouble());
        Assert.Equal(1.0, DoubleDouble.RealPart(a));
        Assert.Equal(new DoubleDouble(2.5, 0), DoubleDouble.FromDouble(2.5));
        DoubleDouble nan = double.NaN;
        Assert.False(nan < b || nan > b || nan <= b || nan >= b);
        Assert.Equal(new DoubleDouble(2, 0), DoubleDouble.Abs(-2));
        Assert.False(double.IsNegative(DoubleDouble.Abs(-0.0).Hi));
    }

    static T Sigmoid<T>(T x) where T : IScalar<T> => T.FromDouble(1) / (T.FromDouble(1) + T.Exp(-x));

    [Fact]
    public void Generic_IScalar_code_runs_on_DoubleDouble_and_agrees_with_the_reference()
    {
        // 1/(1 + e^−x): exp's 7.3u², the sum's 3u² (scaled by e^−x/(1 + e^−x) ≤ 1) and the division's u²
        const double bound = 11.3 * U2 + 100 * U3;
        var worst = new Worst("generic sigmoid");
        Random rng = NewRandom("generic sigmoid");
        for (int i = 0; i < 200; i++)
        {
            double x = Uniform(rng, -30, 30);
            DoubleDouble s = Sigmoid(DoubleDouble.FromDouble(x));
            BigFloat exact = BigFloat.Divide(BigFloat.One, BigFloat.One + BigMath.Exp(-B(x)), 256);
            Check(worst, s, exact, bound, $"x = {x:R}");
            Assert.Equal(Sigmoid(new Real(x)).Value, s.Hi, Math.Abs(s.Hi) * 4 * U);  // the double version, to a few ulps
        }
        output.WriteLine(worst.Report());
    }
}
