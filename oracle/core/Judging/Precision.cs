namespace BackpropSpec.Oracle.Judging;

/// <summary>The arithmetic an implementation declares (hello's <c>precision</c>, or
/// <c>check --precision</c>): every bound of the tolerance model follows from it.</summary>
public enum Precision { Float64, Float32 }

/// <summary>
/// What a precision means for rounding: the unit roundoff u (every correctly rounded operation is
/// within u of its exact result, relative), the underflow floor (the absolute error one operation
/// may make near 0), the overflow threshold, and whether the numbers of the document are rounded on
/// reading (a float32 implementation stores every double of the JSON as the nearest float32).
/// </summary>
public sealed record PrecisionProfile(Precision Precision, int Bits, double U, double MinNormal, double Max)
{
    /// <summary>IEEE binary64: 53 bits, u = 2⁻⁵³. Inputs are exact (the JSON numbers are doubles).</summary>
    public static readonly PrecisionProfile Float64 =
        new(Precision.Float64, 53, Math.ScaleB(1, -53), Math.ScaleB(1, -1022), double.MaxValue);

    /// <summary>IEEE binary32: 24 bits, u = 2⁻²⁴, normal down to 2⁻¹²⁶, overflow past 3.4e38.</summary>
    public static readonly PrecisionProfile Float32 =
        new(Precision.Float32, 24, Math.ScaleB(1, -24), Math.ScaleB(1, -126), float.MaxValue);

    public static PrecisionProfile Of(Precision p) => p == Precision.Float32 ? Float32 : Float64;

    /// <summary>
    /// The absolute error one operation may make near zero. A result below the smallest normal
    /// number loses relative precision: with gradual underflow by at most half the subnormal spacing,
    /// and where subnormals are flushed to zero (common in float32 kernels, GPUs and fast-math builds)
    /// by the whole value, less than <see cref="MinNormal"/>. So: <see cref="MinNormal"/> per
    /// operation, which covers both.
    /// </summary>
    public double Floor => MinNormal;

    public bool RoundsInputs => Precision == Precision.Float32;

    /// <summary>x as this precision stores it.</summary>
    public double Store(double x) => Precision == Precision.Float32 ? (float)x : x;

    /// <summary>Whether x is stored without change (finite and exactly representable, not lost to underflow).</summary>
    public bool Exact(double x) => double.IsFinite(x) && Store(x) == x && (x == 0 || Math.Abs(x) >= MinNormal);

    /// <summary>The error of storing x: 0 when representable; u·|x| when rounded; |x| when x may
    /// underflow to 0.</summary>
    public double StoreError(double x) =>
        Exact(x) ? 0 : Math.Abs(x) < MinNormal ? Math.Abs(x) : U * Math.Abs(x);

    /// <summary>Whether a value this large can be held at all.</summary>
    public bool InRange(double x) => double.IsFinite(x) && Math.Abs(x) <= Max;

    public string Name => Precision == Precision.Float32 ? "float32" : "float64";

    public static Precision Parse(string name) => name switch
    {
        "float64" => Precision.Float64,
        "float32" => Precision.Float32,
        _ => throw new ArgumentException($"unknown precision '{name}': expected float64 or float32"),
    };
}
