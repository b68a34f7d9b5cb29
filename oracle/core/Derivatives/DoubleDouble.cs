using System.Globalization;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Derivatives;

/// <summary>
/// A double-double ("double-word") number Hi + Lo: about 106 significant bits in two doubles, to
/// run the reference's own forward and backward pass as an oracle far more precise than the
/// doubles it checks. A plain struct of two doubles: no allocation, no table beyond 24 constants.
///
/// <para><b>Normalised.</b> Every result satisfies Hi = fl(Hi + Lo), so |Lo| ≤ ulp(Hi)/2 ≤ u·|Hi|,
/// with u = 2⁻⁵³ the unit roundoff; Hi is the nearest double to the value (<see cref="RealPart"/>).
/// The constructor takes a pair as given: build values with <see cref="FromDouble"/>, the
/// arithmetic, or <see cref="TwoSum"/>.</para>
///
/// <para><b>Error bounds</b>, relative, derived next to each operation; u² = 2⁻¹⁰⁶:
/// + and − ≤ 3u² (Joldes–Muller–Popescu), × ≤ u² + 50u³, ÷ ≤ u² + 80u³, √ ≤ 4.2u²,
/// Exp ≤ 5u², Expm1 ≤ 12.5u², Log ≤ 15u², Tanh ≤ 14u², Cosh ≤ 9u² (all below 2⁻¹⁰⁰ = 64u²).
/// They assume no underflow inside: every bound holds while the numbers involved (operands,
/// results, and the products the algorithms form) stay above about 2⁻⁹⁶⁹, where Lo still has 53
/// bits. Below that Lo runs into the subnormals and the error becomes absolute, a few 2⁻¹⁰⁷⁴.</para>
///
/// <para><b>Non-finite values.</b> A non-finite result is (±∞ or NaN, 0). NaN propagates; ∞
/// follows IEEE (∞ + 1 = ∞, ∞ − ∞ = NaN, x/0 = ±∞, 0/0 = NaN, finite/∞ = 0); Exp(+∞) = +∞,
/// Exp(−∞) = 0, Log(0) = −∞, Log(x &lt; 0) = NaN, Log(+∞) = +∞, Tanh(±∞) = ±1, Cosh(±∞) = +∞,
/// Sqrt(x &lt; 0) = NaN. A result within an ulp of the overflow threshold may round to ∞.</para>
/// </summary>
public readonly record struct DoubleDouble(double Hi, double Lo) : IScalar<DoubleDouble>
{
    // ln 2 = L1 + L2 + L3 + δ, |δ| < 2⁻¹⁶⁴ (a triple double: each part is the rounding of what the
    // parts before it leave). L1 + L2 alone is ln 2 to 2⁻¹⁰⁹, too coarse once multiplied by the
    // k ≈ 1000 of an argument reduction; with L3, k·ln 2 is known to 2⁻¹⁵³.
    const double L1 = 0.6931471805599453;               // 0x1.62e42fefa39efp-1
    const double L2 = 2.3190468138462996E-17;           // 0x1.abc9e3b39803fp-56
    const double L3 = 5.707708438416212E-34;            // 0x1.7b57a079a1934p-111
    const double InvLn2 = 1.4426950408889634;           // fl(1/ln 2), only to choose k
    const double HalfLn2 = 0.34657359027997264;         // fl(ln 2 / 2) = L1/2, just below ln 2 / 2
    const double Sqrt2 = 1.4142135623730951;            // fl(√2), just above √2
    const double TanhTiny = 2.7755575615628914E-17;     // 2⁻⁵⁵

    /// <summary>ln 2 as a double-double (the nearest one; error below 2⁻¹⁰⁹).</summary>
    public static DoubleDouble Ln2 => new(L1, L2);

    public static DoubleDouble FromDouble(double value) => new(value, 0);

    /// <summary>The nearest double: Hi, since results are normalised.</summary>
    public static double RealPart(DoubleDouble x) => x.Hi;

    /// <summary>The nearest double: Hi, since results are normalised.</summary>
    public double ToDouble() => Hi;

    public static implicit operator DoubleDouble(double value) => new(value, 0);
    public static explicit operator double(DoubleDouble x) => x.Hi;

    // ---------------------------------------------------------------------------------------
    // Error-free transformations. Each returns (s, e) with s + e equal to the exact result and
    // s the rounded one, so the pair is normalised. Exact in binary64 with round-to-nearest,
    // barring overflow (and, for TwoProd, underflow of e).
    // ---------------------------------------------------------------------------------------

    /// <summary>a + b exactly (Knuth's 2Sum, 6 operations, any a and b). Overflow gives (±∞, 0).</summary>
    public static DoubleDouble TwoSum(double a, double b)
    {
        double s = a + b;
        if (!double.IsFinite(s)) return new(s, 0);
        double bb = s - a;
        return new(s, (a - (s - bb)) + (b - bb));
    }

    /// <summary>a + b exactly when |a| ≥ |b| or a = 0 (Dekker's Fast2Sum, 3 operations); the
    /// caller guarantees the condition.</summary>
    public static DoubleDouble FastTwoSum(double a, double b)
    {
        double s = a + b;
        if (!double.IsFinite(s)) return new(s, 0);
        return new(s, b - (s - a));
    }

    /// <summary>a·b exactly: the error of a rounded product is a double, and one fused multiply-add
    /// gives it. Exact when the exponents of a and b sum to at least −969 (e then has no subnormal
    /// digits to lose); overflow gives (±∞, 0).</summary>
    public static DoubleDouble TwoProd(double a, double b)
    {
        double p = a * b;
        if (!double.IsFinite(p)) return new(p, 0);
        return new(p, Math.FusedMultiplyAdd(a, b, -p));
    }

    /// <summary>A non-finite Hi takes Lo = 0 (the algorithms would leave NaN there).</summary>
    static DoubleDouble Finish(DoubleDouble z) => double.IsFinite(z.Hi) ? z : new(z.Hi, 0);

    // ---------------------------------------------------------------------------------------
    // Arithmetic
    // ---------------------------------------------------------------------------------------

    public static DoubleDouble operator -(DoubleDouble x) => new(-x.Hi, -x.Lo);

    /// <summary>
    /// The accurate sum (Joldes, Muller, Popescu, "Tight and rigorous error bounds for basic
    /// building blocks of double-word arithmetic", ACM TOMS 44(2), 2017, Algorithm 6): relative
    /// error ≤ 3u²/(1 − 4u) &lt; 3u² + 13u³, proved there and checked in Coq by Muller and Rideau
    /// (ACM TOMS 48(1), 2022). Unlike the "sloppy" sum, it stays accurate under cancellation,
    /// x ≈ −y. Sketch: xh + yh and xl + yl are split exactly; the only roundings are c = sl + th
    /// and w = tl + vl, each below u times a quantity that is itself O(u) of the result, unless
    /// xh + yh cancels, in which case sl = 0 (Sterbenz) and the roundings shrink with the result.
    /// The sum of two doubles is exact: with xl = yl = 0 nothing is rounded.
    /// </summary>
    public static DoubleDouble operator +(DoubleDouble x, DoubleDouble y)
    {
        var (sh, sl) = TwoSum(x.Hi, y.Hi);
        if (!double.IsFinite(sh)) return new(sh, 0);
        var (th, tl) = TwoSum(x.Lo, y.Lo);
        var (vh, vl) = FastTwoSum(sh, sl + th);
        return Finish(FastTwoSum(vh, tl + vl));
    }

    public static DoubleDouble operator -(DoubleDouble x, DoubleDouble y) => x + -y;

    /// <summary>
    /// A double-double plus a double (ibid., Algorithm 4): relative error ≤ 2u²/(1 − 2u)
    /// &lt; 2u² + 5u³. The only rounding is v = xl + sl, below u·(|xl| + |sl|) ≤ 2u²·max(|x|, |x + y|),
    /// and sl = 0 when xh + y cancels.
    /// </summary>
    static DoubleDouble AddDouble(DoubleDouble x, double y)
    {
        var (sh, sl) = TwoSum(x.Hi, y);
        if (!double.IsFinite(sh)) return new(sh, 0);
        return Finish(FastTwoSum(sh, x.Lo + sl));
    }

    /// <summary>
    /// The product (Joldes, Muller, Popescu, ACM TOMS 44(2), 2017, Algorithm 12, "DWTimesDW3"):
    /// relative error ≤ 4u², proved there. p = xh·yh with its error e exactly (one FMA); the cross
    /// terms xh·yl + xl·yh + xl·yl are accumulated by two FMAs onto the rounded xl·yl, each rounding
    /// ≤ u of a quantity ≤ 2u|P|; e + that rounds once more; the final Fast2Sum is exact. Seven
    /// operations, a third of an all-exact split, and the product of two doubles is exact (p + e).
    /// </summary>
    public static DoubleDouble operator *(DoubleDouble x, DoubleDouble y)
    {
        double p = x.Hi * y.Hi;
        if (p == 0 || !double.IsFinite(p)) return new(p, 0);
        double e = Math.FusedMultiplyAdd(x.Hi, y.Hi, -p);
        double cross = Math.FusedMultiplyAdd(x.Lo, y.Hi, Math.FusedMultiplyAdd(x.Hi, y.Lo, x.Lo * y.Lo));
        double low = e + cross;
        double h = p + low;
        return Finish(new(h, low - (h - p)));
    }

    /// <summary>
    /// Long division with an exact first remainder: relative error ≤ u² + 80u³. Derivation, with
    /// Q = x/y:
    /// <list type="number">
    /// <item>q1 = fl(xh/yh). The remainder x − q1·y = r0 + xl − q1·yl, where r0 = xh − q1·yh is a
    /// double (the remainder of a correctly rounded quotient is, Boldo–Daumas) given exactly by
    /// one FMA, and q1·yl = pl + el exactly (TwoProd). Four doubles of size ≤ u|x|, summed in
    /// double-double: r = x − q1·y + η₁, |η₁| ≤ 2·(2u²·3u|x|) = 12u³|x|, |r| ≤ 3.01u|x|.</item>
    /// <item>q2 = fl(rh/yh) = (r/y)(1 + ξ), |ξ| ≤ 3u (|rl/rh|, |yl/yh| ≤ u, and the division).
    /// r − q2·y, formed the same way (q2·yh exactly, q2·yl rounded by u·3u²|x|), is
    /// x − (q1 + q2)·y + η₂, |η₂| ≤ 30u³|x|, and its size is ≤ 3u|r| + |η| ≤ 9.1u²|x|.</item>
    /// <item>q3 = fl(r′h/yh) is r′/y to 3u relative, so q1 + q2 + q3 = Q + O(30u³ + 3u·9.1u²)|Q|
    /// = Q + 58u³|Q|.</item>
    /// <item>Renormalising: (h, m) = q1 + q2 exactly (|q2| ≤ 3.1u|q1|), then fl(m + q3) rounds by
    /// ≤ u(u|h| + 9.1u²|Q|), and the last Fast2Sum is exact.</item>
    /// </list>
    /// Total ≤ u²|h| + 68u³|Q| ≤ (u² + 80u³)|Q|. A quotient of doubles that is a double is exact.
    /// </summary>
    public static DoubleDouble operator /(DoubleDouble x, DoubleDouble y)
    {
        double q1 = x.Hi / y.Hi;
        if (q1 == 0 || !double.IsFinite(q1)) return new(q1, 0);
        double r0 = Math.FusedMultiplyAdd(-q1, y.Hi, x.Hi);
        var (pl, el) = TwoProd(q1, y.Lo);
        DoubleDouble r = AddDouble(AddDouble(TwoSum(r0, x.Lo), -pl), -el);

        double q2 = r.Hi / y.Hi;
        var (p2, e2) = TwoProd(q2, y.Hi);
        r = AddDouble(AddDouble(AddDouble(r, -p2), -e2), -(q2 * y.Lo));

        double q3 = r.Hi / y.Hi;
        var (h, m) = FastTwoSum(q1, q2);
        return Finish(FastTwoSum(h, m + q3));
    }

    public static DoubleDouble Abs(DoubleDouble x) => double.IsNegative(x.Hi) ? -x : x;

    /// <summary>
    /// √x by one Newton step from Math.Sqrt: relative error ≤ 4.2u². Let s = √x, y0 = fl(√xh) and
    /// D = s − y0: |y0 − √xh| ≤ u·y0 and |√xh − s| ≤ (u/2)(1 + u)s (as |xl/xh| ≤ u), so
    /// |D| ≤ 1.5u·s(1 + 2u). The remainder R = x − y0² = (xh − p) − e + xl is formed from the exact
    /// square p + e (xh − p is exact by Sterbenz) with two TwoSums, so its one rounding is ≤ u of
    /// it. Since R/(2y0) = D + D²/(2y0), the computed d = fl(fl(R)/(2y0)) is
    /// (D + D²/(2y0))(1 + θ₁)(1 + θ₂) with |θᵢ| ≤ u: off by ≤ 1.125u²s (Newton's own error) plus
    /// 2u·1.5u·s (the two roundings) = 4.125u²s, and the final Fast2Sum is exact.
    /// Sqrt(−0) = −0, Sqrt(x &lt; 0) = NaN.
    /// </summary>
    public static DoubleDouble Sqrt(DoubleDouble x)
    {
        double y0 = Math.Sqrt(x.Hi);
        if (y0 == 0 || !double.IsFinite(y0)) return new(y0, 0);
        // keep y0² and its error term away from overflow and from the subnormals (exact rescaling)
        if (x.Hi > 1e300) return ScaleExact(Sqrt(ScaleExact(x, -600)), 300);
        if (x.Hi < 1e-290) return ScaleExact(Sqrt(ScaleExact(x, 600)), -300);
        var (p, e) = TwoProd(y0, y0);
        var (s1, t1) = TwoSum(x.Hi - p, -e);
        var (s2, t2) = TwoSum(s1, x.Lo);
        double d = (s2 + (t1 + t2)) / (2 * y0);
        return Finish(FastTwoSum(y0, d));
    }

    // ---------------------------------------------------------------------------------------
    // Comparison (Hi first, then Lo: valid for normalised values; false if either is NaN)
    // ---------------------------------------------------------------------------------------

    public static bool operator <(DoubleDouble a, DoubleDouble b) => a.Hi < b.Hi || (a.Hi == b.Hi && a.Lo < b.Lo);
    public static bool operator >(DoubleDouble a, DoubleDouble b) => b < a;
    public static bool operator <=(DoubleDouble a, DoubleDouble b) => a.Hi < b.Hi || (a.Hi == b.Hi && a.Lo <= b.Lo);
    public static bool operator >=(DoubleDouble a, DoubleDouble b) => b <= a;

    // ---------------------------------------------------------------------------------------
    // Scaling by powers of two
    // ---------------------------------------------------------------------------------------

    /// <summary>x·2ᵏ where it is exact: both parts stay normal (or the caller accepts Lo's
    /// rounding below 2⁻¹⁰²², which moves the value by ≤ 2⁻¹⁰⁷⁵).</summary>
    static DoubleDouble ScaleExact(DoubleDouble x, int k) => new(Math.ScaleB(x.Hi, k), Math.ScaleB(x.Lo, k));

    /// <summary>x·2ᵏ as Exp needs it: exact while Hi·2ᵏ is normal (Lo may lose digits to the
    /// subnormals, ≤ 2⁻¹⁰⁷⁵ absolute, and is renormalised, as it may round up to half an ulp of Hi);
    /// ±∞ on overflow; and below 2⁻¹⁰²² the value Hi + Lo rounded once, to nearest-even, onto the
    /// subnormal grid 2⁻¹⁰⁷⁴ℤ, with Lo = 0.</summary>
    static DoubleDouble Scale(DoubleDouble x, int k)
    {
        if (x.Hi == 0 || !double.IsFinite(x.Hi) || Math.ILogB(x.Hi) + k >= -1022)
            return FastTwoSum(Math.ScaleB(x.Hi, k), Math.ScaleB(x.Lo, k));
        // (Hi + Lo)·2^(k + 1074) = a + b; a = Hi·2^j is exact (|a| < 2^52), b matters only near a tie.
        int j = k + 1074;
        double a = Math.ScaleB(x.Hi, j), b = Math.ScaleB(x.Lo, j);
        double n = Math.Round(a, MidpointRounding.ToEven);
        var (s, err) = TwoSum(a - n, b);                  // a − n exact, |a − n| ≤ 1/2; s + err = a + b − n
        bool odd = Math.IEEERemainder(n, 2) != 0;
        if (s > 0.5 || (s == 0.5 && (err > 0 || (err == 0 && odd)))) n += 1;
        else if (s < -0.5 || (s == -0.5 && (err < 0 || (err == 0 && odd)))) n -= 1;
        return new(Math.ScaleB(n, -1074), 0);            // exact: |n| ≤ 2^52
    }

    // ---------------------------------------------------------------------------------------
    // Exponential
    // ---------------------------------------------------------------------------------------

    /// <summary>1/n! for n = 0 … 23, each from the one before by one division: 1/n! to
    /// (n − 2)(u² + 80u³) relative, which the series damps by |t|ⁿ⁻¹/n! (≤ 0.02u² in all).</summary>
    static readonly DoubleDouble[] InvFactorial = MakeInverseFactorials(23);

    static DoubleDouble[] MakeInverseFactorials(int n)
    {
        var c = new DoubleDouble[n + 1];
        c[0] = new(1, 0);
        for (int i = 1; i <= n; i++) c[i] = c[i - 1] / new DoubleDouble(i, 0);
        return c;
    }

    /// <summary>
    /// e^t − 1 for |t| ≤ 0.35 (ln 2 / 2 = 0.3466 with a margin), by its Taylor series to t²³ in
    /// Horner form, q ← 1/n! + t·q, then t·q: relative error ≤ 8.5u². Derivation:
    /// <list type="bullet">
    /// <item>Truncation: Σ_{n≥24} |t|ⁿ/n! ≤ 1.02·0.35²⁴/24! ≤ 2⁻¹¹⁴|t| against |e^t − 1| ≥ 0.84|t|.
    /// The terms from t¹⁴ on are summed in double (their share is below 2⁻⁵⁶, so u of it is 2⁻¹⁰⁹).</item>
    /// <item>Step n of Horner rounds its product (≤ 4u²) and its sum (≤ 3u² + 13u³) and carries
    /// the error of q(n+1) scaled by ρn = |t·Q(n+1)|/|Q(n)| ≤ 0.185 for n = 1 and ≤ 0.12 for n ≥ 2
    /// (Q the exact partial sums). So δ₂ ≤ (3u² + 0.12·4u²)/(1 − 0.12) ≤ 4u², δ₁ ≤ 3u² + 0.185·8u²
    /// ≤ 4.5u², and the final ·t adds 4u²: 8.5u² with the coefficients' 0.02u² (measured: under 2u²).</item>
    /// </list>
    /// The series runs on t itself, with no scaling by 2⁻ˢ and squaring back: each squaring
    /// (e^{2t} − 1 = m(2 + m)) would add about 3u² and carry the error before it, so five of them
    /// would triple this bound; 23 terms cost about what 14 terms and 4 squarings do.
    /// </summary>
    static DoubleDouble Expm1Small(DoubleDouble t)
    {
        // The terms from t¹⁴ on, Σ_{n≥14} tⁿ⁻¹⁴/n!, in double: their sum times t¹³ is below
        // 0.35¹³/14! ≈ 2⁻⁵⁶ of the result, so double's u of it is below 2⁻¹⁰⁹ of the result.
        double th = t.Hi, qd = InvFactorial[23].Hi;
        for (int n = 22; n >= 14; n--) qd = Math.FusedMultiplyAdd(th, qd, InvFactorial[n].Hi);
        DoubleDouble q = new(qd, 0);
        for (int n = 13; n >= 1; n--) q = InvFactorial[n] + t * q;
        return t * q;
    }

    /// <summary>
    /// Splits x = k·ln 2 + r with k = round(xh/ln 2), |r| ≤ ln 2 / 2 + 2⁻⁴⁰, and returns
    /// e^r − 1 (to 5u² relative, with r off by ≤ 0.7u² absolute). For |x| ≤ 746, |k| ≤ 1077 &lt; 2¹¹.
    /// <list type="bullet">
    /// <item>k·L1 = p1 + e1 and k·L2 = p2 + e2 exactly (TwoProd); k·L3 rounds by ≤ u·2¹¹·2⁻¹¹⁰,
    /// and k·δ ≤ 2¹¹·2⁻¹⁶⁴: together below 2⁻¹⁵⁰.</item>
    /// <item>s = xh − p1 is exact: for k ≠ 0, |xh − p1| ≤ 0.35 ≤ min(|xh|, |p1|), so the difference
    /// is a multiple of the smaller ulp with fewer than 53 bits (Sterbenz's argument).</item>
    /// <item>The tail xl − e1 − p2 − e2 − p3, all ≤ 2⁻⁴², is summed first (error ≤ 2u²·2⁻⁴¹), then
    /// added to s once: ≤ 2u²|r| ≤ 0.7u² absolute, which is 0.7u² relative in e^x.</item>
    /// </list>
    /// </summary>
    static DoubleDouble Expm1Reduced(DoubleDouble x, out int k) => Expm1Small(Reduce(x, out k));

    /// <summary>r = x − k·ln 2 with k = round(xh/ln 2), |r| ≤ ln 2 / 2 + 2⁻⁴⁰, to 0.7u² absolute
    /// (the derivation at <see cref="Expm1Reduced"/>).</summary>
    static DoubleDouble Reduce(DoubleDouble x, out int k)
    {
        k = (int)Math.Round(x.Hi * InvLn2);
        if (k == 0) return x;
        var (p1, e1) = TwoProd(k, L1);
        var (p2, e2) = TwoProd(k, L2);
        DoubleDouble tail = AddDouble(AddDouble(AddDouble(TwoSum(x.Lo, -e1), -p2), -e2), -(k * L3));
        return AddDouble(tail, x.Hi - p1);
    }

    /// <summary>
    /// e^x, relative error ≤ 7.3u² ≈ 2⁻¹⁰³·² wherever e^x ≥ 2⁻⁹⁶⁹. x = k·ln 2 + j/64 + s with
    /// |s| ≤ 1/128 + 2⁻⁴⁰, and e^x = 2ᵏ·T[j]·(1 + m), m = e^s − 1 by a short series (<see cref="Expm1Near0"/>).
    /// Errors: the reduction's 0.7u² (as in <see cref="Expm1Reduced"/>; j/64 is exact and so is
    /// r − j/64); T[j] = e^{j/64} correctly rounded to a double-double (0.5u², computed once to 80
    /// digits); m to 7u² of |m| ≤ 0.0079, so 0.06u² of 1 + m; the sum 1 + m 2u²; the product 4u².
    /// Total ≤ 7.3u². The table saves the long series: one e^x costs about seven double-double
    /// operations instead of twenty-five. e^0 = 1 exactly. Overflow (x &gt; 709.7827) gives +∞; below
    /// 2⁻¹⁰²² the result is the double-double rounded once to the subnormal grid (Lo = 0), and 0
    /// below 2⁻¹⁰⁷⁵ (x &lt; −745.13).
    /// </summary>
    public static DoubleDouble Exp(DoubleDouble x)
    {
        double xh = x.Hi;
        if (double.IsNaN(xh)) return new(double.NaN, 0);
        if (xh > 709.79) return new(double.PositiveInfinity, 0);    // e^709.79 > double.MaxValue
        if (xh < -746) return new(0, 0);                            // e^−746 < 2⁻¹⁰⁷⁶: rounds to 0
        return ExpTimesPowerOfTwo(x, 0);
    }

    /// <summary>e^x·2^shift, the scaling done once at the end (exact but for under- and overflow):
    /// <see cref="Cosh"/> halves e^x this way where e^x itself would overflow.</summary>
    static DoubleDouble ExpTimesPowerOfTwo(DoubleDouble x, int shift)
    {
        if (x.Hi == 0 && x.Lo == 0) return Scale(new(1, 0), shift);
        DoubleDouble r = Reduce(x, out int k);
        int j = (int)Math.Round(r.Hi * 64);
        DoubleDouble m = Expm1Near0(AddDouble(r, -j / 64.0));
        return Scale(ExpTable[j + 23] * AddDouble(m, 1), k + shift);
    }

    /// <summary>e^{j/64} for j = −23 … 23, correctly rounded to double-doubles (80-digit decimal arithmetic).</summary>
    static readonly DoubleDouble[] ExpTable =
    [
        new(0.6981125100681258, 4.379112262891346e-17),   // e^(-23/64)
        new(0.7091061824373984, -1.2868055655346304e-17),   // e^(-22/64)
        new(0.7202729799554398, -3.7374088280484695e-17),   // e^(-21/64)
        new(0.7316156289466418, 8.35576468031604e-18),   // e^(-20/64)
        new(0.7431368986687583, -9.001102395673582e-19),   // e^(-19/64)
        new(0.7548396019890073, -9.844076038651084e-18),   // e^(-18/64)
        new(0.76672659607082, 2.5682592802096574e-17),   // e^(-17/64)
        new(0.7788007830714049, -1.0231869534531498e-17),   // e^(-16/64)
        new(0.791065110850296, 5.426586044764942e-17),   // e^(-15/64)
        new(0.8035225736890608, -3.661886830920417e-17),   // e^(-14/64)
        new(0.8161762130223398, 6.554697808700811e-18),   // e^(-13/64)
        new(0.8290291181804004, -2.7604408719539223e-17),   // e^(-12/64)
        new(0.8420844271433824, -3.8967887440685524e-17),   // e^(-11/64)
        new(0.8553453273074225, 1.7204900005057594e-17),   // e^(-10/64)
        new(0.8688150562628432, 6.146598011714697e-19),   // e^(-9/64)
        new(0.8824969025845955, -5.224526916735663e-17),   // e^(-8/64)
        new(0.8963942066351505, -4.7460497709066285e-17),   // e^(-7/64)
        new(0.9105103613800342, -3.325048324577564e-17),   // e^(-6/64)
        new(0.9248488132162048, 1.0614261758612887e-17),   // e^(-5/64)
        new(0.9394130628134758, -2.152447043447057e-17),   // e^(-4/64)
        new(0.9542066659691884, -3.392457164103672e-17),   // e^(-3/64)
        new(0.9692332344763441, -4.801151707083219e-17),   // e^(-2/64)
        new(0.9844964370054085, -4.7493026566356186e-17),   // e^(-1/64)
        new(1.0, 0.0),   // e^(0/64)
        new(1.0157477085866857, 2.0530467874932267e-17),   // e^(1/64)
        new(1.0317434074991028, -8.944417741043132e-17),   // e^(2/64)
        new(1.0479910020166328, -5.327900898877614e-17),   // e^(3/64)
        new(1.0644944589178593, 1.0872888143211957e-16),   // e^(4/64)
        new(1.0812578074490395, 6.013904942011385e-17),   // e^(5/64)
        new(1.0982851403078258, 9.070644949793751e-17),   // e^(6/64)
        new(1.1155806146424807, 5.298211318168963e-17),   // e^(7/64)
        new(1.1331484530668263, -5.370737708558031e-18),   // e^(8/64)
        new(1.1509929446911764, 3.7613173622701076e-17),   // e^(9/64)
        new(1.1691184461695043, 6.945488167320411e-17),   // e^(10/64)
        new(1.1875293827631006, 6.415816207759217e-19),   // e^(11/64)
        new(1.2062302494209807, 3.9295715071105525e-17),   // e^(12/64)
        new(1.2252256118773075, 8.279379001181868e-17),   // e^(13/64)
        new(1.2445201077660952, -7.440512295261056e-17),   // e^(14/64)
        new(1.2641184477534664, -1.541497933603795e-17),   // e^(15/64)
        new(1.2840254166877414, 8.968972781793724e-17),   // e^(16/64)
        new(1.3042458747676378, 1.7093578107981658e-17),   // e^(17/64)
        new(1.3247847587288655, 9.422682377542367e-17),   // e^(18/64)
        new(1.3456470830494105, 3.415854209639032e-17),   // e^(19/64)
        new(1.3668379411737963, 5.1449446596411544e-17),   // e^(20/64)
        new(1.3883625067566268, 6.691963657219203e-17),   // e^(21/64)
        new(1.4102260349257107, -4.1758810273684196e-17),   // e^(22/64)
        new(1.4324338635650782, -6.53862212642198e-17),   // e^(23/64)
    ];

    /// <summary>
    /// e^s − 1 for |s| ≤ 2⁻⁷ + 2⁻⁴⁰, the series to s¹³: truncation below 2⁻¹³⁰ of the result; the
    /// terms from s⁷ on in double (their share is below 2⁻⁵⁴, so u of it is 2⁻¹⁰⁷); six Horner steps
    /// in double-double, each rounding its sum (3u²) and its product (4u², damped by |s|/2 ≤ 0.004),
    /// and the final product by s (4u²): ≤ 7u² of |e^s − 1|.
    /// </summary>
    static DoubleDouble Expm1Near0(DoubleDouble s)
    {
        double sh = s.Hi, qd = InvFactorial[13].Hi;
        for (int n = 12; n >= 7; n--) qd = Math.FusedMultiplyAdd(sh, qd, InvFactorial[n].Hi);
        DoubleDouble q = new(qd, 0);
        for (int n = 6; n >= 1; n--) q = InvFactorial[n] + s * q;
        return s * q;
    }

    /// <summary>
    /// e^x − 1 without cancellation near 0: relative error ≤ 5u² for |x| ≤ ln 2 / 2 (the series on x
    /// itself), ≤ 12.5u² elsewhere. There e^x − 1 = 2ᵏ·m + (2ᵏ − 1) with 2ᵏ − 1 an exact
    /// double-double; |2ᵏ·m| is at most 1.415 times the result (k = 1, m = −0.293), so m's 4.9u²
    /// gives 6.9u², the reduction's 0.7u² scaled by e^x/|e^x − 1| ≤ 3.42 gives 2.4u², and the sum
    /// 3u² + 13u³ more: 12.3u². Beyond 700 (where 2ᵏ would overflow) it is Exp(x) − 1: 5u² + 2u².
    /// −1 below −746, +∞ past overflow.
    /// </summary>
    public static DoubleDouble Expm1(DoubleDouble x)
    {
        double xh = x.Hi;
        if (double.IsNaN(xh)) return new(double.NaN, 0);
        if (Math.Abs(xh) <= HalfLn2) return Expm1Small(x);
        if (xh > 700) return AddDouble(Exp(x), -1);
        if (xh < -746) return new(-1, 0);                           // −1 + e^x, e^x < 2⁻¹⁰⁷⁶
        DoubleDouble m = Expm1Reduced(x, out int k);
        return Scale(m, k) + TwoSum(Math.ScaleB(1.0, k), -1);
    }

    /// <summary>
    /// cosh x = e^|x|/2 + e^−|x|/2, two positive terms: relative error ≤ 10.3u². Each term to 7.3u²
    /// (<see cref="Exp"/>, the halving in the exponent), the sum 3u². For |x| ≥ 40 the second term,
    /// below e^−80 ≈ 2⁻¹¹⁵ of the first, is under the sum's precision (and 0 past 745). The halving goes into the exponent, so the
    /// result overflows only where cosh does (|x| &gt; 710.4758). Cosh(0) = 1 exactly.
    /// </summary>
    public static DoubleDouble Cosh(DoubleDouble x)
    {
        if (double.IsNaN(x.Hi)) return new(double.NaN, 0);
        DoubleDouble a = Abs(x);
        if (a.Hi > 711) return new(double.PositiveInfinity, 0);
        return ExpTimesPowerOfTwo(a, -1) + ExpTimesPowerOfTwo(-a, -1);   // e^|x|/2 finite up to |x| = 710.47
    }

    /// <summary>
    /// tanh x = E/(E + 2) with E = e^{2|x|} − 1 ≥ 0, then the sign of x (so odd symmetry is exact):
    /// no cancellation anywhere. E's relative error reaches tanh scaled by 2/(E + 2) ≤ 1, so with
    /// E + 2's 2u² and the division's u²: ≤ 4.9u² + 3u² = 8u² for |x| ≤ ln 2 / 4 (E from the series),
    /// and ≤ 12.3u²·2/2.414 + 3u² = 13.2u² beyond (E ≥ √2 − 1 there). For |x| ≤ 2⁻⁵⁵ it is x itself (tanh x = x(1 − x²/3 + …), off by x²/3 ≤ 2⁻¹¹¹);
    /// for |x| ≥ 40 it is ±1 (1 − tanh 40 = 2/(e⁸⁰ + 1) ≈ 2⁻¹¹⁴).
    /// </summary>
    public static DoubleDouble Tanh(DoubleDouble x)
    {
        double xh = x.Hi, ax = Math.Abs(xh);
        if (double.IsNaN(xh)) return new(double.NaN, 0);
        if (ax <= TanhTiny) return x;
        if (ax >= 40) return new(Math.CopySign(1.0, xh), 0);
        DoubleDouble e = Expm1(ScaleExact(Abs(x), 1));
        DoubleDouble t = e / AddDouble(e, 2);
        return xh < 0 ? -t : t;
    }

    /// <summary>
    /// ln x, relative error ≤ 15u², relative also near x = 1. x = 2ᵉ·m with m ∈ [√½, √2], so
    /// ln x = e·ln 2 + ln m.
    /// <list type="bullet">
    /// <item>ln m by one Newton step on e^y = m from y0 = Math.Log(mh) + ml/mh, which is within
    /// ε ≤ 2u(|ln m| + u) of ln m (Math.Log within an ulp). The step y = y0 + m·e^{−y0} − 1 leaves
    /// ε²/2 − ε³/6 ≤ 0.7u²|ln m|.</item>
    /// <item>The correction is formed as m·(e^{−y0} − 1) + (m − 1), never as a difference of two
    /// numbers near 1: m − 1 exactly (TwoSum), e^{−y0} − 1 by the series (4.9u²), the product
    /// (u²) is about −(m − 1) and |m − 1| ≤ 1.19|ln m|, so the correction is off by ≤ 7u²|ln m|;
    /// adding y0 rounds by 2u²: ln m to 9.7u².</item>
    /// <item>e·ln 2 has its parts exact or below 2⁻¹⁵⁰ (as in <see cref="Expm1Reduced"/>); adding
    /// ln m rounds by 3u²|ln m| and then p1 by 2u²|ln x|. As |ln m| ≤ |ln x| for e ≠ 0 (equality at
    /// e = 1, m = √½), the total is ≤ 9.7u² + 3u² + 2u² ≤ 15u². For e = 0 it is ln m alone.</item>
    /// </list>
    /// Log(1) = 0 exactly.
    /// </summary>
    public static DoubleDouble Log(DoubleDouble x)
    {
        double xh = x.Hi;
        if (double.IsNaN(xh) || xh < 0) return new(double.NaN, 0);
        if (xh == 0) return new(double.NegativeInfinity, 0);
        if (double.IsPositiveInfinity(xh)) return x;

        int e = Math.ILogB(xh);
        DoubleDouble m = ScaleExact(x, -e);                          // mh ∈ [1, 2)
        if (m.Hi > Sqrt2) { m = ScaleExact(m, -1); e++; }

        double y0 = Math.Log(m.Hi) + m.Lo / m.Hi;
        DoubleDouble correction = m * Expm1Small(new DoubleDouble(-y0, 0)) + TwoSum(m.Hi - 1, m.Lo);
        DoubleDouble y = AddDouble(correction, y0);
        if (e == 0) return y;

        var (p1, e1) = TwoProd(e, L1);
        var (p2, e2) = TwoProd(e, L2);
        DoubleDouble tail = AddDouble(AddDouble(TwoSum(e1, p2), e2), e * L3);
        return AddDouble(y + tail, p1);
    }

    /// <summary>Hi and Lo in round-trip form, e.g. "0.1 - 5.551115123125783E-18".</summary>
    public override string ToString()
    {
        string hi = Hi.ToString("R", CultureInfo.InvariantCulture);
        string lo = Math.Abs(Lo).ToString("R", CultureInfo.InvariantCulture);
        return double.IsNegative(Lo) ? $"{hi} - {lo}" : $"{hi} + {lo}";
    }
}
