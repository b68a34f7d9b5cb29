using System.Numerics;
using BackpropSpec.Oracle.Derivatives;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// M·2^E with an unbounded integer M: the independent reference for <see cref="DoubleDouble"/>.
/// +, − and × are exact (every double and double-double is such a number, so sums and products of
/// them are checked against the exact result); <see cref="Round"/> truncates to a precision, and
/// <see cref="BigMath"/> evaluates exp, log, tanh and cosh on it to about 250 bits. No exponent range:
/// nothing overflows or underflows.
/// </summary>
readonly record struct BigFloat(BigInteger M, int E)
{
    public static readonly BigFloat Zero = new(BigInteger.Zero, 0);
    public static readonly BigFloat One = new(BigInteger.One, 0);

    /// <summary>A finite double, exactly (subnormals included).</summary>
    public static BigFloat Of(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentException($"not finite: {d}");
        long bits = BitConverter.DoubleToInt64Bits(d);
        int biased = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        BigInteger m = biased == 0 ? mantissa : mantissa | (1L << 52);
        return new(d < 0 || (d == 0 && double.IsNegative(d)) ? -m : m, biased == 0 ? -1074 : biased - 1075);
    }

    /// <summary>Hi + Lo, exactly.</summary>
    public static BigFloat Of(DoubleDouble x) => Of(x.Hi) + Of(x.Lo);

    public static BigFloat Of(long n) => new(n, 0);

    public int Sign => M.Sign;
    public bool IsZero => M.IsZero;

    /// <summary>⌊log₂|x|⌋ (x ≠ 0).</summary>
    public long Exponent => (long)BigInteger.Abs(M).GetBitLength() - 1 + E;

    public static BigFloat operator +(BigFloat a, BigFloat b)
    {
        if (a.M.IsZero) return b;
        if (b.M.IsZero) return a;
        int e = Math.Min(a.E, b.E);
        return new((a.M << (a.E - e)) + (b.M << (b.E - e)), e);
    }

    public static BigFloat operator -(BigFloat a) => new(-a.M, a.E);
    public static BigFloat operator -(BigFloat a, BigFloat b) => a + -b;
    public static BigFloat operator *(BigFloat a, BigFloat b) => new(a.M * b.M, a.E + b.E);
    public static BigFloat Abs(BigFloat a) => new(BigInteger.Abs(a.M), a.E);
    public BigFloat Times2Pow(long k) => new(M, checked((int)(E + k)));

    /// <summary>Truncated (toward zero) to <paramref name="bits"/> significant bits: relative error &lt; 2^(1 − bits).</summary>
    public BigFloat Round(int bits)
    {
        long length = (long)BigInteger.Abs(M).GetBitLength();
        if (length <= bits) return this;
        int shift = (int)(length - bits);
        return new(M.Sign * (BigInteger.Abs(M) >> shift), E + shift);
    }

    /// <summary>a/b truncated to at least <paramref name="bits"/> significant bits.</summary>
    public static BigFloat Divide(BigFloat a, BigFloat b, int bits)
    {
        if (b.M.IsZero) throw new DivideByZeroException();
        if (a.M.IsZero) return Zero;
        long shift = Math.Max(0, bits + 2 + BigInteger.Abs(b.M).GetBitLength() - BigInteger.Abs(a.M).GetBitLength());
        return new((a.M << (int)shift) / b.M, a.E - (int)shift - b.E);
    }

    public static int Compare(BigFloat a, BigFloat b) => (a - b).Sign;

    /// <summary>The nearest double to x, give or take the last bit (for reporting, not for exact checks).</summary>
    public double ToDouble()
    {
        if (M.IsZero) return 0;
        BigFloat r = Round(60);
        return Math.ScaleB((double)(long)r.M, r.E);
    }

    /// <summary>|approx − exact|/|exact| as a double (exact ≠ 0).</summary>
    public static double RelativeError(BigFloat approx, BigFloat exact) =>
        Divide(Abs(approx - exact), Abs(exact), 64).ToDouble();

    /// <summary>x/2^e rounded to the nearest integer, ties to even: x on the grid 2^e·ℤ.</summary>
    public static BigInteger RoundToGrid(BigFloat x, int e)
    {
        int shift = x.E - e;
        if (shift >= 0) return x.M << shift;
        BigInteger a = BigInteger.Abs(x.M), q = a >> -shift, rem = a - (q << -shift), half = BigInteger.One << (-shift - 1);
        if (rem > half || (rem == half && !q.IsEven)) q += 1;
        return x.M.Sign * q;
    }
}

/// <summary>
/// exp, log, tanh and cosh on <see cref="BigFloat"/> with 256-bit working precision, written for
/// obviousness rather than speed, and independently of <see cref="DoubleDouble"/>: ln 2 from the
/// series 2·atanh(1/3); exp from its Taylor series after an exact reduction by k·ln 2; log from the
/// series 2·atanh((m − 1)/(m + 1)) (not Newton on exp, as DoubleDouble's is); tanh from the sinh and
/// cosh series below 1 and from exp above; cosh from exp. Each result is good to about 2⁻²⁴⁰
/// relative, checked in the tests against 85-digit values from mpmath.
/// </summary>
static class BigMath
{
    public const int Bits = 256;
    const int Guard = Bits + 64;

    public static readonly BigFloat Ln2 = ComputeLn2(Guard + 32);

    /// <summary>ln 2 = 2·Σ 1/((2n + 1)·3^(2n+1)), in fixed point with <paramref name="bits"/> fraction
    /// bits; each of the ~bits/3 terms truncates by less than one unit.</summary>
    static BigFloat ComputeLn2(int bits)
    {
        BigInteger one = BigInteger.One << (bits + 16), sum = 0, power = 3;
        for (int n = 0; ; n++, power *= 9)
        {
            BigInteger term = one / ((2 * n + 1) * power);
            if (term.IsZero) break;
            sum += term;
        }
        return new BigFloat(2 * sum, -(bits + 16)).Round(bits);
    }

    static bool Negligible(BigFloat term, BigFloat sum, int bits) =>
        term.IsZero || (!sum.IsZero && term.Exponent < sum.Exponent - bits - 8);

    /// <summary>e^x = 2^k·(e^{r/256})^256, r = x − k·ln 2, |r| ≤ 0.35: the Taylor series of e^{r/256}
    /// until its terms vanish (about 30), then eight squarings, which double the relative error
    /// eight times: 2⁸ times a few 2⁻³²⁰ is still far below 2⁻²⁵⁶.</summary>
    public static BigFloat Exp(BigFloat x)
    {
        const int halvings = 8;
        long k = (long)Math.Round(x.ToDouble() / Math.Log(2));
        BigFloat r = (x - Ln2 * BigFloat.Of(k)).Round(Guard).Times2Pow(-halvings);
        BigFloat sum = BigFloat.One, term = BigFloat.One;
        for (int n = 1; ; n++)
        {
            term = BigFloat.Divide(term * r, BigFloat.Of(n), Guard);
            sum = (sum + term).Round(Guard);
            if (Negligible(term, sum, Guard)) break;
        }
        for (int i = 0; i < halvings; i++) sum = (sum * sum).Round(Guard);
        return sum.Times2Pow(k).Round(Bits);
    }

    /// <summary>e^x − 1: the series x + x²/2 + … for |x| &lt; 1/2 (no cancellation), else exp − 1
    /// (which loses under 2 bits there).</summary>
    public static BigFloat Expm1(BigFloat x)
    {
        if (x.IsZero || x.Exponent >= -1) return (Exp(x) - BigFloat.One).Round(Bits);
        BigFloat sum = x, term = x;
        for (int n = 2; ; n++)
        {
            term = BigFloat.Divide(term * x, BigFloat.Of(n), Guard);
            sum = (sum + term).Round(Guard);
            if (Negligible(term, sum, Guard)) break;
        }
        return sum.Round(Bits);
    }

    /// <summary>ln x = e·ln 2 + 2·atanh(f), f = (m − 1)/(m + 1), x = 2^e·m, m ∈ [√½, √2]:
    /// |f| ≤ 0.172, and f has full relative precision even for m near 1.</summary>
    public static BigFloat Log(BigFloat x)
    {
        if (x.Sign <= 0) throw new ArgumentException("log of a non-positive number");
        long e = x.Exponent;
        BigFloat m = x.Times2Pow(-e);                                // [1, 2)
        if (BigFloat.Compare(m * m, BigFloat.Of(2)) > 0) { m = m.Times2Pow(-1); e++; }
        BigFloat f = BigFloat.Divide(m - BigFloat.One, m + BigFloat.One, Guard);
        BigFloat sum = f, power = f, f2 = (f * f).Round(Guard);
        if (!f.IsZero)
            for (int n = 1; ; n++)
            {
                power = (power * f2).Round(Guard);
                BigFloat term = BigFloat.Divide(power, BigFloat.Of(2 * n + 1), Guard);
                sum = (sum + term).Round(Guard);
                if (Negligible(term, sum, Guard)) break;
            }
        return (Ln2 * BigFloat.Of(e) + sum.Times2Pow(1)).Round(Bits);
    }

    /// <summary>tanh x: sinh/cosh from their series for |x| &lt; 1 (no cancellation for tiny x),
    /// (e^{2x} − 1)/(e^{2x} + 1) above, where e^{2x} − 1 ≥ 6.3 cancels nothing.</summary>
    public static BigFloat Tanh(BigFloat x)
    {
        if (x.IsZero) return x;
        if (x.Exponent >= 0)
        {
            BigFloat e2 = Exp(x.Times2Pow(1));
            return BigFloat.Divide(e2 - BigFloat.One, e2 + BigFloat.One, Bits);
        }
        BigFloat x2 = (x * x).Round(Guard), sinh = x, cosh = BigFloat.One, s = x, c = BigFloat.One;
        for (int n = 1; ; n++)
        {
            c = BigFloat.Divide(c * x2, BigFloat.Of((2 * n - 1) * (2 * n)), Guard);
            s = BigFloat.Divide(s * x2, BigFloat.Of((2 * n) * (2 * n + 1)), Guard);
            cosh = (cosh + c).Round(Guard);
            sinh = (sinh + s).Round(Guard);
            if (Negligible(c, cosh, Guard) && Negligible(s, sinh, Guard)) break;
        }
        return BigFloat.Divide(sinh, cosh, Bits);
    }

    /// <summary>cosh x = (e^x + 1/e^x)/2, two positive terms.</summary>
    public static BigFloat Cosh(BigFloat x)
    {
        BigFloat e = Exp(x);
        return (e + BigFloat.Divide(BigFloat.One, e, Guard)).Times2Pow(-1).Round(Bits);
    }

    /// <summary>A decimal string (digits, one optional point, optional e±exponent) as M·10^p, for
    /// comparing with published digits.</summary>
    public static (BigInteger digits, int power10) ParseDecimal(string s)
    {
        int exponent = 0, ePos = s.IndexOfAny(['e', 'E']);
        if (ePos >= 0) { exponent = int.Parse(s[(ePos + 1)..], System.Globalization.CultureInfo.InvariantCulture); s = s[..ePos]; }
        int point = s.IndexOf('.');
        if (point >= 0) { exponent -= s.Length - point - 1; s = s.Remove(point, 1); }
        return (BigInteger.Parse(s, System.Globalization.CultureInfo.InvariantCulture), exponent);
    }
}
