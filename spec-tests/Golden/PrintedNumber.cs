using System.Globalization;
using System.Numerics;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>
/// A number exactly as a document prints it: "0.5250", "9.71659803e-06", "93.75%". The rule of the
/// catalog: a value reproduces it when the value lies within half a unit of the last printed digit,
/// that is, when rounding the value to the printed digits gives the printed number. Everything here
/// is exact rational arithmetic (a double is m·2^e exactly), so the check adds no rounding of its own.
/// </summary>
public sealed class PrintedNumber
{
    PrintedNumber(string text, BigInteger digits, int scale)
    {
        Text = text;
        Digits = digits;
        Scale = scale;
    }

    public string Text { get; }
    /// <summary>The printed value is Digits · 10^(−Scale).</summary>
    public BigInteger Digits { get; }
    public int Scale { get; }

    /// <summary>Half a unit in the last printed digit: 5·10^(−Scale−1).</summary>
    public Rational HalfUnit => Rational.Pow10(-(Scale + 1)) * 5;
    public Rational Value => new Rational(Digits, 1) * Rational.Pow10(-Scale);

    public static PrintedNumber Parse(string text)
    {
        string s = text.Trim();
        int extraScale = 0;
        if (s.EndsWith('%')) { s = s[..^1]; extraScale = 2; }          // 93.75% is 0.9375 printed to 4 decimals
        int exponent = 0;
        int e = s.IndexOfAny(['e', 'E']);
        if (e >= 0) { exponent = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture); s = s[..e]; }
        bool negative = s.StartsWith('-');
        s = s.TrimStart('-', '+');
        int dot = s.IndexOf('.');
        int decimals = dot < 0 ? 0 : s.Length - dot - 1;
        string all = s.Replace(".", "");
        if (all.Length == 0 || !all.All(char.IsAsciiDigit)) throw new FormatException($"not a printed number: '{text}'");
        BigInteger digits = BigInteger.Parse(all, CultureInfo.InvariantCulture);
        return new PrintedNumber(text, negative ? -digits : digits, decimals - exponent + extraScale);
    }

    public bool IsReproducedBy(double value) => IsReproducedBy(Rational.Exact(value));

    public bool IsReproducedBy(Rational value) => (value - Value).Abs() <= HalfUnit;

    /// <summary>How far off a value is, in units of the last printed digit (≤ 0.5 reproduces).</summary>
    public double UnitsOff(double value) => ((Rational.Exact(value) - Value).Abs() / (HalfUnit * 2)).ToDouble();
}

/// <summary>An exact fraction of big integers.</summary>
public readonly record struct Rational(BigInteger Num, BigInteger Den)
{
    public static Rational Exact(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"not finite: {v}");
        long bits = BitConverter.DoubleToInt64Bits(v);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else mantissa |= 1L << 52;
        exp -= 1075;                                                  // v = mantissa · 2^exp
        BigInteger m = negative ? -mantissa : mantissa;
        return exp >= 0 ? new Rational(m * BigInteger.Pow(2, exp), 1) : new Rational(m, BigInteger.Pow(2, -exp));
    }

    public static Rational Exact(decimal v) => PrintedNumber.Parse(v.ToString(CultureInfo.InvariantCulture)).Value;

    public static Rational Pow10(int k) => k >= 0 ? new Rational(BigInteger.Pow(10, k), 1) : new Rational(1, BigInteger.Pow(10, -k));

    public static Rational operator -(Rational a, Rational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator *(Rational a, Rational b) => new(a.Num * b.Num, a.Den * b.Den);
    public static Rational operator *(Rational a, int k) => new(a.Num * k, a.Den);
    public static Rational operator /(Rational a, Rational b) => new(a.Num * b.Den, a.Den * b.Num);
    public static bool operator <=(Rational a, Rational b) => a.Num * b.Den * Sign(a.Den * b.Den) <= b.Num * a.Den * Sign(a.Den * b.Den);
    public static bool operator >=(Rational a, Rational b) => b <= a;
    public Rational Abs() => new(BigInteger.Abs(Num), BigInteger.Abs(Den));
    public double ToDouble() => Math.Exp(BigInteger.Log(BigInteger.Abs(Num)) - BigInteger.Log(BigInteger.Abs(Den))) * (Num.Sign * Den.Sign);
    static int Sign(BigInteger x) => x.Sign;
}
