using BackpropSpec.Oracle.Judging;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>What a declared precision means for rounding (Precision.cs): IEEE binary64 and binary32,
/// what a float32 implementation does to the numbers of the document on reading, and the names.</summary>
public class PrecisionTests
{
    static readonly PrecisionProfile F64 = PrecisionProfile.Float64, F32 = PrecisionProfile.Float32;

    [Fact]
    public void The_profiles_are_ieee_binary64_and_binary32()
    {
        Assert.Equal((Precision.Float64, 53, Math.ScaleB(1, -53), Math.ScaleB(1, -1022), double.MaxValue), (F64.Precision, F64.Bits, F64.U, F64.MinNormal, F64.Max));
        Assert.Equal((Precision.Float32, 24, Math.ScaleB(1, -24), Math.ScaleB(1, -126), (double)float.MaxValue), (F32.Precision, F32.Bits, F32.U, F32.MinNormal, F32.Max));
        Assert.Same(F64, PrecisionProfile.Of(Precision.Float64));
        Assert.Same(F32, PrecisionProfile.Of(Precision.Float32));
        Assert.Equal(F64.MinNormal, F64.Floor);
        Assert.Equal(F32.MinNormal, F32.Floor);
    }

    /// <summary>A float32 implementation stores every double of the JSON as the nearest float32; a float64
    /// one reads them exactly.</summary>
    [Fact]
    public void Only_float32_rounds_the_numbers_it_reads()
    {
        Assert.False(F64.RoundsInputs);
        Assert.True(F32.RoundsInputs);
        Assert.Equal(0.1, F64.Store(0.1));
        Assert.Equal((double)0.1f, F32.Store(0.1));
        Assert.NotEqual(0.1, F32.Store(0.1));
    }

    /// <summary>Exact: finite, stored unchanged, and 0 or at least the smallest normal number (a subnormal
    /// keeps fewer bits, and may be flushed to 0). 2⁻¹²⁷ is a float32 subnormal: stored unchanged, not exact.</summary>
    [Fact]
    public void A_number_is_exact_when_stored_unchanged_and_not_below_the_smallest_normal()
    {
        Assert.True(F64.Exact(0.1));
        Assert.True(F64.Exact(0));
        Assert.True(F64.Exact(Math.ScaleB(1, -1022)));
        Assert.False(F64.Exact(Math.ScaleB(1, -1023)));
        Assert.False(F64.Exact(double.NaN));
        Assert.False(F64.Exact(double.PositiveInfinity));
        Assert.True(F32.Exact(0.5));
        Assert.False(F32.Exact(0.1));
        Assert.True(F32.Exact(Math.ScaleB(1, -126)));
        Assert.Equal(Math.ScaleB(1, -127), F32.Store(Math.ScaleB(1, -127)));
        Assert.False(F32.Exact(Math.ScaleB(1, -127)));
        Assert.False(F32.Exact(-Math.ScaleB(1, -127)));
        Assert.False(F32.Exact(1e300));                                        // beyond float32: stored as ∞
    }

    /// <summary>Storing errs by 0 when exact, u·|x| when rounded, and |x| when x may underflow to 0.</summary>
    [Fact]
    public void Storing_errs_by_nothing_by_u_of_the_number_or_by_all_of_it_below_the_smallest_normal()
    {
        Assert.Equal(0, F64.StoreError(0.1));
        Assert.Equal(0, F32.StoreError(0.5));
        Assert.Equal(Math.ScaleB(1, -24) * 0.1, F32.StoreError(0.1));
        Assert.Equal(Math.ScaleB(1, -24) * 0.1, F32.StoreError(-0.1));
        Assert.Equal(Math.ScaleB(1, -127), F32.StoreError(Math.ScaleB(1, -127)));
        Assert.Equal(Math.ScaleB(1, -127), F32.StoreError(-Math.ScaleB(1, -127)));
        Assert.Equal(1e-310, F64.StoreError(1e-310));
    }

    [Fact]
    public void A_number_is_in_range_up_to_the_largest_finite_number_of_the_format()
    {
        Assert.True(F32.InRange(float.MaxValue));
        Assert.True(F32.InRange(-(double)float.MaxValue));
        Assert.False(F32.InRange(3.5e38));
        Assert.False(F32.InRange(-3.5e38));
        Assert.True(F64.InRange(3.5e38));
        Assert.True(F64.InRange(double.MaxValue));
        Assert.False(F64.InRange(double.PositiveInfinity));
        Assert.False(F64.InRange(double.NaN));
    }

    [Fact]
    public void Precisions_are_named_float64_and_float32_and_nothing_else_parses()
    {
        Assert.Equal("float64", F64.Name);
        Assert.Equal("float32", F32.Name);
        Assert.Equal(Precision.Float64, PrecisionProfile.Parse("float64"));
        Assert.Equal(Precision.Float32, PrecisionProfile.Parse("float32"));
        var e = Assert.Throws<ArgumentException>(() => PrecisionProfile.Parse("float16"));
        Assert.Equal("unknown precision 'float16': expected float64 or float32", e.Message);
        Assert.Throws<ArgumentException>(() => PrecisionProfile.Parse(""));
    }
}
