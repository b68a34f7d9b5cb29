using BackpropSpec.Oracle.Derivatives;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The acceptance rules of the numeric oracles, on differences chosen by hand. On the networks the
/// properties draw, the differences either converge like s² or sit within the noise, so the rules'
/// edges (a ratio of exactly 3 or 5, a change exactly at the floor) and their rejections of a
/// difference that has not converged (a saturating unit) are met only by chance. Here every number
/// is a dyadic rational, so each comparison is exact and each edge is met exactly: the rules are
/// pinned as documented, edges included.
/// </summary>
public class ExtrapolationTests
{
    // ---- the directional Richardson rule: D(1), D(1/2), D(1/4) ---------------------------------
    // floor = 16·noise/¼ = 64·noise; with noise = 1/64 the floor is 1.
    const double UnitFloorNoise = 1.0 / 64;

    [Fact]
    public void Differences_of_an_exact_s_squared_error_extrapolate_to_the_derivative_with_the_noise_as_estimate()
    {
        // D(s) = 8 + s²: 9, 8.25, 8.0625. R₁ = (4·8.25 − 9)/3 = 8, R₂ = (4·8.0625 − 8.25)/3 = 8;
        // changes 0.75 and 0.1875 in the ratio 4, above the floor 64·2⁻¹⁰ = 1/16 and below 8.0625/16:
        // accepted on the ratio
        double noise = 1.0 / 1024;
        var (value, estimate) = Directional.Extrapolate(9, 8.25, 8.0625, noise)!.Value;
        Assert.Equal(8.0, value);
        Assert.Equal(8 * noise / 0.25, estimate);   // |R₂ − R₁| = 0: the noise term alone
    }

    [Fact]
    public void An_s_to_the_fourth_error_is_removed_too_and_its_size_is_the_estimate()
    {
        // D(s) = 2 + s⁴: 3, 2.0625, 2.00390625. R₁ = 1.75, R₂ = 1.984375, (16·R₂ − R₁)/15 = 2;
        // the changes (0.9375, 0.05859375) are in the ratio 16, not like s², but the last one is within
        // the floor 1, where the ratio says nothing
        var (value, estimate) = Directional.Extrapolate(3, 2.0625, 2.00390625, UnitFloorNoise)!.Value;
        Assert.Equal(2.0, value);
        Assert.Equal(0.234375 + 8 * UnitFloorNoise / 0.25, estimate);
    }

    [Fact]
    public void A_last_change_exactly_at_the_floor_is_accepted_whatever_the_ratio()
    {
        // changes 0 and 1 = floor: 0 < 3·1 would reject, but the change is not above the floor.
        // A floor of 16·noise·¼ = 1/16 (instead of /¼) or a floor that takes its own edge would reject it.
        Assert.NotNull(Directional.Extrapolate(10, 10, 9, UnitFloorNoise));
        // just above the floor the same ratio rejects
        Assert.Null(Directional.Extrapolate(10, 10, 9 - Math.ScaleB(1, -20), UnitFloorNoise));
    }

    [Theory]
    [InlineData(108, "ratio exactly 3")]   // changes 6 and 2
    [InlineData(112, "ratio exactly 5")]   // changes 10 and 2
    [InlineData(110, "ratio 4")]
    [InlineData(96, "ratio 3, the first change going the other way: only the sizes of the changes count")]
    public void Changes_in_a_ratio_from_3_to_5_edges_included_are_converged(double d0, string why)
    {
        // D(1/2) = 102, D(1/4) = 100: the last change 2 is above the floor 1 and below |100|/16 = 6.25
        Assert.True(Directional.Extrapolate(d0, 102, 100, UnitFloorNoise) is not null, why);
    }

    [Theory]
    [InlineData(106, "ratio 2: the differences change too little to be converging like s²")]
    [InlineData(113, "ratio 5.5: they change too much")]
    public void Changes_outside_the_ratio_from_3_to_5_are_not_converged(double d0, string why)
    {
        Assert.True(Directional.Extrapolate(d0, 102, 100, UnitFloorNoise) is null, why);
    }

    [Fact]
    public void A_too_large_ratio_is_rejected_even_when_the_last_change_is_below_one()
    {
        // noise 2⁻¹⁰: floor 1/16. Changes 1.5 and 0.25 (ratio 6 > 5): rejected. (A rule reading
        // 5/second, 20 here, would let it through; so would one that rejects only a ratio both below 3
        // and above 5.)
        Assert.Null(Directional.Extrapolate(9.75, 8.25, 8, 1.0 / 1024));
    }

    [Fact]
    public void A_last_change_of_exactly_a_sixteenth_of_the_last_difference_is_accepted_and_above_it_is_not()
    {
        // D = 42, 34, 32: changes 8 and 2 (ratio 4), above the floor 1; 2 = |32|/16 exactly: accepted
        Assert.NotNull(Directional.Extrapolate(42, 34, 32, UnitFloorNoise));
        // D = 26, 18, 16: the same changes, but 2 > |16|/16 = 1: the difference is not small yet
        Assert.Null(Directional.Extrapolate(26, 18, 16, UnitFloorNoise));
    }

    // ---- the per-parameter rule: D(h), D(h/2), D(h/4) ------------------------------------------
    // threshold = 16·noise/(h/4); with h = 2 and noise = 1/32 it is 1. (h/4 ≠ 1, so a threshold of
    // 16·noise·(h/4) = 1/4 or 16·noise/(4h) = 1/16 differs from it.)
    const double H = 2, Noise = 1.0 / 32;

    [Fact]
    public void A_coordinate_that_converges_like_h_squared_gets_the_extrapolated_value_and_its_estimate()
    {
        // D = 3, 2.25, 2.0625 (D(s) = 2 + (s/h)²): value 2, |r₂ − r₁| = 0, noise term 8·noise/(h/4)
        var (value, error) = Oracles.Extrapolate(3, 2.25, 2.0625, Noise, H);
        Assert.Equal(2.0, value);
        Assert.Equal(8 * Noise / (H / 4), error);
        // D(s) = 2 + (s/h)⁴: the h⁴ term goes too, |r₂ − r₁| = 0.234375 stays as the estimate
        (value, error) = Oracles.Extrapolate(3, 2.0625, 2.00390625, Noise, H);
        Assert.Equal(2.0, value);
        Assert.Equal(0.234375 + 8 * Noise / (H / 4), error);
    }

    [Fact]
    public void A_last_change_exactly_at_the_threshold_is_accepted()
    {
        // changes 0 and 1 = threshold: the first is not twice the last, but the last is within the noise
        var (value, error) = Oracles.Extrapolate(10, 10, 9, Noise, H);
        Assert.False(double.IsNaN(value) || double.IsNaN(error));
    }

    [Fact]
    public void A_first_change_of_exactly_twice_the_last_is_accepted()
    {
        // changes 4 and 2 (ratio 2), the last above the threshold 1
        var (value, error) = Oracles.Extrapolate(106, 102, 100, Noise, H);
        Assert.False(double.IsNaN(value) || double.IsNaN(error));
    }

    [Fact]
    public void A_coordinate_whose_differences_do_not_converge_has_no_value_and_no_error()
    {
        // D = 4, 1, −1: changes 3 and 2, ratio 1.5 < 2, the last above the threshold: a saturated unit
        // pulled out of saturation by the step. (The sums |D₀ + D₁| = 5 and |D₁ + D₂| = 0 in place of
        // the changes would accept it, and so would a threshold of 16/noise.)
        var (value, error) = Oracles.Extrapolate(4, 1, -1, Noise, H);
        Assert.True(double.IsNaN(value), $"value {value}");
        Assert.True(double.IsNaN(error), $"error {error}");
    }

    // ---- agreement within a bound -----------------------------------------------------------------

    [Fact]
    public void A_difference_equal_to_the_bound_agrees_one_above_it_and_any_NaN_do_not()
    {
        Assert.True(Directional.Within(1.5, 1, 0.5));
        Assert.True(Directional.Within(0.5, 1, 0.5));
        Assert.False(Directional.Within(1.5, 1, Math.BitDecrement(0.5)));
        Assert.False(Directional.Within(double.NaN, 1, 0.5));
        Assert.False(Directional.Within(1, double.NaN, 0.5));
        Assert.False(Directional.Within(1, 1, double.NaN));
    }

    /// <summary>Forward mode's allowance is the duals' bound, the exact side's own error and the kinks' allowance
    /// together, each counted once and added: powers of two far apart, so that the sum is exact and each term shows
    /// in it. A dual exactly at the allowance agrees; one ulp beyond it is a problem, named with both values.</summary>
    [Fact]
    public void Forward_modes_allowance_adds_the_exact_sides_own_error_and_the_kinks_to_the_duals_bound()
    {
        double dualBound = Math.ScaleB(1, -30), own = Math.ScaleB(1, -40), kinks = Math.ScaleB(1, -20);
        double allowance = Directional.DualAllowance(dualBound, own, kinks);
        Assert.Equal(Math.ScaleB(1, -20) + Math.ScaleB(1, -30) + Math.ScaleB(1, -40), allowance);
        Assert.Equal(dualBound + own, Directional.DualAllowance(dualBound, own, 0));
        Assert.Null(Directional.DualProblem(1, 1.0, 1 + allowance, allowance));
        Assert.Null(Directional.DualProblem(1, 1.0, 1 - allowance, allowance));
        double beyond = Math.BitIncrement(1 + allowance);
        Assert.Equal($"direction 1: the exact v·g is 1, forward mode on dual numbers gives {beyond:R} (tolerance 9.55E-07)",
                     Directional.DualProblem(1, 1.0, beyond, allowance));
    }

    // ---- the complex step's floor ----------------------------------------------------------------

    [Fact]
    public void An_imaginary_part_exactly_at_the_floor_still_gives_a_derivative_and_one_below_it_does_not()
    {
        Assert.Equal(Oracles.ComplexStepFloor / Oracles.ComplexStepSize, Oracles.ComplexStepDerivative(Oracles.ComplexStepFloor));
        Assert.Equal(-Oracles.ComplexStepFloor / Oracles.ComplexStepSize, Oracles.ComplexStepDerivative(-Oracles.ComplexStepFloor));
        Assert.True(double.IsNaN(Oracles.ComplexStepDerivative(Math.BitDecrement(Oracles.ComplexStepFloor))));
        Assert.Equal(-3.0, Oracles.ComplexStepDerivative(-3e-20), 1e-15);
    }
}
