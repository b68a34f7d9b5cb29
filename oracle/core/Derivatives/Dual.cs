using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Derivatives;

/// <summary>
/// A dual number V + D·ε with ε² = 0, for exact forward-mode derivatives: running the reference's
/// own forward pass on duals gives dE/dθ in D, with no step size. Beside them it runs an error
/// analysis of its own arithmetic (Wilkinson's running error bound, to first order):
/// <list type="bullet">
/// <item>M = Σ|terms| of the chain rule behind D (every product and sum in absolute value). Reverse
/// mode sums the same terms in another order, so the two differ by a few ε of M.</item>
/// <item>EV and ED bound the absolute error of V and of D: every operation adds its own rounding
/// (ε of its result; below 2⁻¹⁰²² an absolute 2⁻¹⁰⁷⁴, since subnormals keep fewer bits) and
/// carries the errors of its operands. ED sees what M cannot: a value rounded by 600ε at net = 696
/// moves e^{net}, and every derivative through it, by 1e-13 relative.</item>
/// </list>
/// </summary>
public readonly record struct Dual(double V, double D, double M, double ED = 0, double EV = 0) : IScalar<Dual>
{
    const double MinNormal = 2.2250738585072014E-308;   // 2⁻¹⁰²²
    static readonly double Eps = Validation.MachineEpsilon;

    /// <summary>The rounding of one result: ε relative, or 2⁻¹⁰⁷⁴ absolute in the subnormal range, 0 included: a
    /// product below half the smallest subnormal rounds to 0 (random:12866 of seed 77: the exact v·g is 2e-323, the
    /// duals' 0, and with no error counted for the flushed products the cross-check reported a problem of its own).</summary>
    static double Round(double x) => Math.Abs(x) < MinNormal ? double.Epsilon : Eps * Math.Abs(x);

    public static Dual FromDouble(double value) => new(value, 0, 0);
    public static double RealPart(Dual x) => x.V;

    public static Dual operator +(Dual a, Dual b)
    {
        double v = a.V + b.V, d = a.D + b.D;
        return new(v, d, a.M + b.M, a.ED + b.ED + Round(d), a.EV + b.EV + Round(v));
    }

    public static Dual operator -(Dual a, Dual b) => a + -b;
    public static Dual operator -(Dual a) => new(-a.V, -a.D, a.M, a.ED, a.EV);

    public static Dual operator *(Dual a, Dual b)
    {
        double v = a.V * b.V, t1 = a.D * b.V, t2 = a.V * b.D, d = t1 + t2;
        return new(v, d, a.M * Math.Abs(b.V) + Math.Abs(a.V) * b.M,
            a.ED * Math.Abs(b.V) + Math.Abs(a.D) * b.EV + a.EV * Math.Abs(b.D) + Math.Abs(a.V) * b.ED + Round(t1) + Round(t2) + Round(d),
            a.EV * Math.Abs(b.V) + Math.Abs(a.V) * b.EV + Round(v));
    }

    public static Dual operator /(Dual a, Dual b)
    {
        // v = a/b, d = (a′ − v·b′)/b
        double v = a.V / b.V, t = v * b.D, d = (a.D - t) / b.V, ab = Math.Abs(b.V);
        double ev = (a.EV + Math.Abs(v) * b.EV) / ab + Round(v);
        return new(v, d, (a.M * ab + Math.Abs(a.V) * b.M) / (b.V * b.V),
            (a.ED + Math.Abs(v) * b.ED + ev * Math.Abs(b.D) + Math.Abs(d) * b.EV + Round(t) + Round(a.D - t)) / ab + Round(d),
            ev);
    }

    public static Dual Exp(Dual x)
    {
        double e = Math.Exp(x.V), d = e * x.D;          // (e^x)′ = e^x
        double ev = e * x.EV + Round(e);
        return new(e, d, e * x.M, ev * Math.Abs(x.D) + e * x.ED + Round(d), ev);
    }

    public static Dual Log(Dual x)                      // (ln x)′ = 1/x
    {
        double v = Math.Log(x.V), d = x.D / x.V, ax = Math.Abs(x.V);
        return new(v, d, x.M / ax, x.ED / ax + Math.Abs(d) * x.EV / ax + Round(d), x.EV / ax + Round(v));
    }

    public static Dual Cosh(Dual x)
    {
        double c = Math.Cosh(x.V), sh = Math.Sinh(x.V), d = sh * x.D;   // (cosh x)′ = sinh x
        double ev = Math.Abs(sh) * x.EV + 2 * Round(c);                 // libm's cosh: within an ulp
        return new(c, d, Math.Abs(sh) * x.M, Math.Abs(sh) * x.ED + c * x.EV * Math.Abs(x.D) + 2 * Round(sh) * Math.Abs(x.D) + Round(d), ev);
    }

    public static Dual Tanh(Dual x)
    {
        double c = Math.Cosh(x.V), t = Math.Tanh(x.V);
        double sech2 = 1 / (c * c), d = sech2 * x.D;    // (tanh x)′ = sech² x, 0 once cosh overflows
        return new(t, d, sech2 * x.M, sech2 * (x.ED + 2 * Math.Abs(t * x.D) * x.EV) + 3 * Round(d), sech2 * x.EV + Round(t));
    }
}

/// <summary>
/// A complex number for the complex-step method: E(θ + i·h)'s imaginary part over h is dE/dθ to
/// machine precision for h = 1e-20, with no subtraction and so no cancellation. Valid only where
/// the network is analytic: no ReLU (a kink), which the caller checks.
/// </summary>
public readonly record struct ComplexStep(double Re, double Im) : IScalar<ComplexStep>
{
    public static ComplexStep FromDouble(double value) => new(value, 0);
    public static double RealPart(ComplexStep x) => x.Re;

    public static ComplexStep operator +(ComplexStep a, ComplexStep b) => new(a.Re + b.Re, a.Im + b.Im);
    public static ComplexStep operator -(ComplexStep a, ComplexStep b) => new(a.Re - b.Re, a.Im - b.Im);
    public static ComplexStep operator -(ComplexStep a) => new(-a.Re, -a.Im);
    public static ComplexStep operator *(ComplexStep a, ComplexStep b) =>
        new(a.Re * b.Re - a.Im * b.Im, a.Re * b.Im + a.Im * b.Re);
    public static ComplexStep operator /(ComplexStep a, ComplexStep b)
    {
        double d = b.Re * b.Re + b.Im * b.Im;
        return new((a.Re * b.Re + a.Im * b.Im) / d, (a.Im * b.Re - a.Re * b.Im) / d);
    }

    public static ComplexStep Exp(ComplexStep x)
    {
        double e = Math.Exp(x.Re);
        return new(e * Math.Cos(x.Im), e * Math.Sin(x.Im));
    }

    /// <summary>cosh(a + ib) = cosh a · cos b + i · sinh a · sin b.</summary>
    public static ComplexStep Cosh(ComplexStep x) => new(Math.Cosh(x.Re) * Math.Cos(x.Im), Math.Sinh(x.Re) * Math.Sin(x.Im));

    public static ComplexStep Log(ComplexStep x) => new(Math.Log(Math.Sqrt(x.Re * x.Re + x.Im * x.Im)), Math.Atan2(x.Im, x.Re));

    /// <summary>
    /// tanh(a + ib) = (sinh 2a + i·sin 2b)/(cosh 2a + cos 2b). The real part, divided through by cosh 2a, is
    /// tanh 2a/(1 + cos 2b/cosh 2a): no cancellation near a = 0 (as 1 − e^{−4|a|} would have), and no overflow
    /// (cos 2b/cosh 2a goes to 0 where cosh overflows). With q = e^{−2|a|} ≤ 1 the imaginary part is
    /// 2q·sin 2b/(1 + q² + 2q·cos 2b), which never overflows. One formula for every a: no boundary between two.
    /// </summary>
    public static ComplexStep Tanh(ComplexStep x)
    {
        double a = x.Re, b = x.Im, q = Math.Exp(-2 * Math.Abs(a));
        double re = Math.Tanh(2 * a) / (1 + Math.Cos(2 * b) / Math.Cosh(2 * a));
        return new(re, 2 * q * Math.Sin(2 * b) / (1 + q * q + 2 * q * Math.Cos(2 * b)));
    }
}
