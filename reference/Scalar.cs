using System.Numerics;

namespace BackpropSpec.Reference;

/// <summary>
/// The arithmetic the forward pass needs, and nothing more. The forward pass is written once,
/// generic over <typeparamref name="T"/>, and evaluated on:
/// <see cref="Real"/> (plain doubles, used by backprop), dual numbers (exact forward-mode
/// derivatives) and complex numbers (the complex-step method). See oracle/Derivatives.
/// </summary>
public interface IScalar<T> :
    IAdditionOperators<T, T, T>,
    ISubtractionOperators<T, T, T>,
    IMultiplyOperators<T, T, T>,
    IDivisionOperators<T, T, T>,
    IUnaryNegationOperators<T, T>
    where T : IScalar<T>
{
    static abstract T FromDouble(double value);

    /// <summary>The real value. Used only to choose a branch: ReLU's sign test, the stable
    /// sigmoid's side, the shift of a log-sum-exp. It never feeds a derivative.</summary>
    static abstract double RealPart(T x);

    static abstract T Exp(T x);
    static abstract T Log(T x);
    static abstract T Tanh(T x);
    static abstract T Cosh(T x);
}

/// <summary>A double as an <see cref="IScalar{T}"/>. A one-field struct: the JIT keeps it in a
/// register, so the generic forward pass on <see cref="Real"/> costs what a double one would
/// (measured in benchmarks/).</summary>
public readonly record struct Real(double Value) : IScalar<Real>
{
    public static Real FromDouble(double value) => new(value);
    public static double RealPart(Real x) => x.Value;
    public static Real Exp(Real x) => new(Math.Exp(x.Value));
    public static Real Log(Real x) => new(Math.Log(x.Value));
    public static Real Tanh(Real x) => new(Math.Tanh(x.Value));
    public static Real Cosh(Real x) => new(Math.Cosh(x.Value));

    public static Real operator +(Real a, Real b) => new(a.Value + b.Value);
    public static Real operator -(Real a, Real b) => new(a.Value - b.Value);
    public static Real operator *(Real a, Real b) => new(a.Value * b.Value);
    public static Real operator /(Real a, Real b) => new(a.Value / b.Value);
    public static Real operator -(Real a) => new(-a.Value);

    public override string ToString() => Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
