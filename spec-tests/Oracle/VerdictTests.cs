using BackpropSpec.Oracle.Judging;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The verdict on one number (Verdict.cs): agrees within the careful bound, accuracy within the
/// textbook bound, wrong beyond it, range where the textbook bound is infinite; which zones fail a
/// run; and the line a finding prints. Bounds are given directly here, so every boundary is exact.
/// </summary>
public class VerdictTests
{
    [Fact]
    public void A_number_agrees_within_the_careful_bound_inclusive()
    {
        Assert.Equal(Zone.Agrees, Zones.Of(1.5, 1, 0, 0.5, 1));               // d = careful
        Assert.Equal(Zone.Agrees, Zones.Of(0.5, 1, 0, 0.5, 1));
        Assert.Equal(Zone.Agrees, Zones.Of(1, 1, 0, 0, double.NaN));           // exact, no bound needed
    }

    [Fact]
    public void Beyond_the_careful_bound_a_number_is_accuracy_within_the_textbook_bound_inclusive_and_wrong_beyond()
    {
        Assert.Equal(Zone.Accuracy, Zones.Of(1.75, 1, 0, 0.5, 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(2, 1, 0, 0.5, 1));               // d = textbook
        Assert.Equal(Zone.Accuracy, Zones.Of(0, 1, 0, 0.5, 1));
        Assert.Equal(Zone.Wrong, Zones.Of(2.25, 1, 0, 0.5, 1));
        Assert.Equal(Zone.Wrong, Zones.Of(-0.25, 1, 0, 0.5, 1));
    }

    [Fact]
    public void Beyond_the_careful_bound_where_the_textbook_bound_is_infinite_or_undefined_a_number_is_a_range_finding()
    {
        Assert.Equal(Zone.Range, Zones.Of(5, 1, 0, 0.5, double.PositiveInfinity));
        Assert.Equal(Zone.Range, Zones.Of(5, 1, 0, 0.5, double.NaN));
        Assert.Equal(Zone.Agrees, Zones.Of(1.25, 1, 0, 0.5, double.PositiveInfinity));
    }

    /// <summary>Where the textbook bound is infinite (a formulation cannot represent some answer of the
    /// network), a finite number within the bound of the formulations that can (inclusive, measured to
    /// hi + lo) is an accuracy finding, beyond it a range one; a non-finite one is a range finding; where
    /// the textbook bound is finite the in-range bound is never asked for.</summary>
    [Fact]
    public void Where_the_textbook_bound_is_infinite_a_number_within_the_in_range_bound_is_an_accuracy_finding()
    {
        Func<double> infinite = () => double.PositiveInfinity, unused = () => throw new InvalidOperationException("not needed");
        Assert.Equal(Zone.Accuracy, Zones.Of(1.75, 1, 0, 0.5, infinite, () => 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(2, 1, 0, 0.5, infinite, () => 1));                  // d = in-range bound
        Assert.Equal(Zone.Accuracy, Zones.Of(0, 1, 0, 0.5, infinite, () => 1));
        Assert.Equal(Zone.Range, Zones.Of(2.25, 1, 0, 0.5, infinite, () => 1));
        Assert.Equal(Zone.Range, Zones.Of(-0.25, 1, 0, 0.5, infinite, () => 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(2.25, 1, 0.25, 0.5, infinite, () => 1));            // d to hi + lo = 1
        Assert.Equal(Zone.Range, Zones.Of(2.25, 1, -0.25, 0.5, infinite, () => 1.25));
        Assert.Equal(Zone.Range, Zones.Of(double.NaN, 1, 0, 0.5, infinite, () => 1));
        Assert.Equal(Zone.Range, Zones.Of(1.75, 1, 0, 0.5, infinite, infinite));                  // no formulation bounds it
        Assert.Equal(Zone.Range, Zones.Of(double.PositiveInfinity, 1, 0, 0.5, infinite, () => double.PositiveInfinity));
        Assert.Equal(Zone.Agrees, Zones.Of(1.25, 1, 0, 0.5, infinite, unused));
        Assert.Equal(Zone.Wrong, Zones.Of(2.25, 1, 0, 0.5, () => 1, unused));
        Assert.Equal(Zone.Accuracy, Zones.Of(1.75, 1, 0, 0.5, () => 1, unused));
        Assert.Equal(Zone.Wrong, Zones.Of(double.NaN, 1, 0, 0.5, () => 1, unused));
    }

    /// <summary>An accuracy finding where the textbook bound is infinite is shown with the in-range bound
    /// it was judged by; any other finding with the textbook bound.</summary>
    [Fact]
    public void A_finding_shows_the_bound_it_was_judged_by()
    {
        Func<double> unused = () => throw new InvalidOperationException("not shown");
        Assert.Equal(1, Truth.Shown(Zone.Accuracy, double.PositiveInfinity, () => 1));
        // the in-range bound is computed only where it is shown
        Assert.Equal(2, Truth.Shown(Zone.Accuracy, 2, unused));
        Assert.Equal(double.PositiveInfinity, Truth.Shown(Zone.Range, double.PositiveInfinity, unused));
        Assert.Equal(2, Truth.Shown(Zone.Wrong, 2, unused));
    }

    /// <summary>NaN or ±∞ is wrong wherever the textbook formulations can represent the answer, a range
    /// finding only where they cannot: a NaN answer never passes as "range" on a well-behaved network.</summary>
    [Fact]
    public void A_non_finite_answer_is_wrong_unless_the_textbook_bound_is_infinite()
    {
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            Assert.Equal(Zone.Wrong, Zones.Of(bad, 1, 0, 0.5, 1));
            Assert.Equal(Zone.Wrong, Zones.Of(bad, 1, 0, double.PositiveInfinity, 1e300));
            Assert.Equal(Zone.Range, Zones.Of(bad, 1, 0, 0.5, double.PositiveInfinity));
            Assert.Equal(Zone.Range, Zones.Of(bad, 1, 0, 0.5, double.NaN));
            Assert.Equal(Zone.Wrong, Zones.Of(bad, 1, 0, 0.5, () => 1));
            Assert.Equal(Zone.Range, Zones.Of(bad, 1, 0, double.PositiveInfinity, () => double.PositiveInfinity));
        }
    }

    /// <summary>The exact value is hi + lo, not hi: with hi = 1, lo = 2⁻⁶⁰ and the answer 1 + 2⁻⁵², the
    /// distance is 2⁻⁵² − 2⁻⁶⁰ (exact in binary), within a bound of exactly that, and not within one
    /// 2⁻⁶¹ smaller.</summary>
    [Fact]
    public void The_distance_is_taken_to_the_unrounded_exact_value_hi_plus_lo()
    {
        double hi = 1, lo = Math.ScaleB(1, -60), actual = 1 + Math.ScaleB(1, -52);
        double d = Math.ScaleB(1, -52) - Math.ScaleB(1, -60);
        Assert.Equal(Zone.Agrees, Zones.Of(actual, hi, lo, d, 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(actual, hi, lo, d - Math.ScaleB(1, -61), 1));
        Assert.Equal(Zone.Agrees, Zones.Of(actual, hi, lo, d, () => 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(actual, hi, lo, d - Math.ScaleB(1, -61), () => 1));
        Assert.Equal(Zone.Agrees, Zones.Of(hi, hi, -lo, lo, 1));
        Assert.Equal(Zone.Accuracy, Zones.Of(hi, hi, -lo, lo / 2, 1));
    }

    /// <summary>The quick path (textbook bound not yet asked) measures to hi + lo too, not hi − lo: with
    /// hi = 1, lo = −2⁻⁵⁴ and the answer 1 + 2⁻⁵², the distance is 5·2⁻⁵⁴, beyond a careful bound of
    /// 3·2⁻⁵⁴ (which |answer − hi + lo| would meet).</summary>
    [Fact]
    public void The_quick_path_measures_to_hi_plus_lo_as_well()
    {
        double lo = -Math.ScaleB(1, -54), actual = 1 + Math.ScaleB(1, -52);
        Assert.Equal(Zone.Accuracy, Zones.Of(actual, 1, lo, 3 * Math.ScaleB(1, -54), () => 1));
        Assert.Equal(Zone.Agrees, Zones.Of(actual, 1, lo, 5 * Math.ScaleB(1, -54), () => 1));
    }

    /// <summary>A finding is about no particular answer unless it says which: kind Other, index −1
    /// (Causes names nothing for it).</summary>
    [Fact]
    public void A_finding_is_about_no_particular_answer_by_default()
    {
        var f = new Finding(Zone.Wrong, "q", 1, 2, 0, 0);
        Assert.Equal(AnswerKind.Other, f.On);
        Assert.Equal(-1, f.Index);
    }

    /// <summary>The textbook pass is computed only when the careful bound is exceeded or the answer is not finite.</summary>
    [Fact]
    public void The_textbook_bound_is_asked_only_when_the_careful_bound_is_exceeded()
    {
        int asked = 0;
        double Textbook() { asked++; return 1; }
        Assert.Equal(Zone.Agrees, Zones.Of(1.25, 1, 0, 0.5, Textbook));
        Assert.Equal(0, asked);
        Assert.Equal(Zone.Accuracy, Zones.Of(1.75, 1, 0, 0.5, Textbook));
        Assert.Equal(Zone.Wrong, Zones.Of(2.25, 1, 0, 0.5, Textbook));
        Assert.Equal(Zone.Agrees, Zones.Of(1.5, 1, 0, 0.5, Textbook));        // d = careful
        Assert.Equal(2, asked);
        Assert.Equal(Zone.Wrong, Zones.Of(double.NaN, 1, 0, double.PositiveInfinity, Textbook));
        Assert.Equal(3, asked);
    }

    [Fact]
    public void Wrong_always_fails_accuracy_and_range_only_under_strict_and_agrees_never()
    {
        Assert.True(Zones.Fails(Zone.Wrong, strict: false));
        Assert.True(Zones.Fails(Zone.Wrong, strict: true));
        Assert.False(Zones.Fails(Zone.Accuracy, strict: false));
        Assert.True(Zones.Fails(Zone.Accuracy, strict: true));
        Assert.False(Zones.Fails(Zone.Range, strict: false));
        Assert.True(Zones.Fails(Zone.Range, strict: true));
        Assert.False(Zones.Fails(Zone.Agrees, strict: false));
        Assert.False(Zones.Fails(Zone.Agrees, strict: true));
    }

    [Fact]
    public void Zones_have_the_names_of_the_contract()
    {
        Assert.Equal(["agrees", "accuracy", "range", "wrong"], Enum.GetValues<Zone>().Select(Zones.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => Zones.Name((Zone)7));
    }

    [Fact]
    public void A_finding_measures_its_deviation_relative_error_and_correct_digits()
    {
        var f = new Finding(Zone.Wrong, "q", 1.00001, 1, 0, 0);
        Assert.Equal(1e-5, f.Deviation, 1e-15);
        Assert.Equal(1e-5, f.RelativeError, 1e-15);
        Assert.Equal(5, f.Digits, 1e-9);
        var negative = new Finding(Zone.Wrong, "q", -3, -2, 0, 0);
        Assert.Equal(1, negative.Deviation);
        Assert.Equal(0.5, negative.RelativeError);                              // relative to |exact|
        Assert.Equal(-Math.Log10(0.5), negative.Digits, 1e-12);
        Assert.Equal(0, new Finding(Zone.Wrong, "q", 50, 1, 0, 0).Digits);      // off by 49x: no digit, not −1.7
        Assert.Equal(17, new Finding(Zone.Agrees, "q", 2, 2, 0, 0).Digits);     // exact
        Assert.Equal(0, new Finding(Zone.Agrees, "q", 0, 0, 0, 0).RelativeError);
        Assert.Equal(17, new Finding(Zone.Agrees, "q", 0, 0, 0, 0).Digits);
        Assert.Equal(double.PositiveInfinity, new Finding(Zone.Wrong, "q", 1e-300, 0, 0, 0).RelativeError);
        Assert.Equal(0, new Finding(Zone.Wrong, "q", 1e-300, 0, 0, 0).Digits);
    }

    /// <summary>The line a user reads, for each zone: the answer and the exact value in round-trip form,
    /// how far apart (ratio against a law's prediction, the distance with the relative error and digits, or the distance from
    /// an exact 0), and which bound it broke.</summary>
    [Fact]
    public void A_finding_describes_the_answer_the_exact_value_the_error_and_the_bound_it_broke()
    {
        Assert.Equal("g is 1.5, exactly 1 (off by 0.5, relative error 0.5, 0.3 correct digits); every standard formulation stays within 0.125 of it: a bug",
            new Finding(Zone.Wrong, "g", 1.5, 1, 0.0625, 0.125).Describe());
        Assert.Equal("g is 1.5, exactly 1 (off by 0.5, relative error 0.5, 0.3 correct digits); careful arithmetic stays within 0.0625 of it, the textbook formulations within 0.5",
            new Finding(Zone.Accuracy, "g", 1.5, 1, 0.0625, 0.5).Describe());
        Assert.Equal("g is 1.5, exactly 1 (off by 0.5, relative error 0.5, 0.3 correct digits); the textbook formulation cannot represent this answer",
            new Finding(Zone.Range, "g", 1.5, 1, 0.0625, double.PositiveInfinity).Describe());
        Assert.Equal("g is 1.5, exactly 1 (within 1)", new Finding(Zone.Agrees, "g", 1.5, 1, 1, 2).Describe());
        Assert.Equal("g is 0.25, exactly 0 (off by 0.25); every standard formulation stays within 0.125 of it: a bug",
            new Finding(Zone.Wrong, "g", 0.25, 0, 0.0625, 0.125).Describe());
        // against a law's prediction: the note names it, and the ratio says how far
        Assert.Equal("g is 3, twice the other is 1.5 (ratio 2); every standard formulation stays within 0.125 of it: a bug",
            new Finding(Zone.Wrong, "g", 3, 1.5, 0.0625, 0.125, "twice the other is").Describe());
        Assert.Equal("g is 0.5, the law says 0 (off by 0.5); every standard formulation stays within 0.125 of it: a bug",
            new Finding(Zone.Wrong, "g", 0.5, 0, 0.0625, 0.125, "the law says").Describe());
        Assert.Equal("g is 0.5, exactly 1 (off by 0.5, relative error 0.5, 0.3 correct digits); every standard formulation stays within 0.125 of it: a bug",
            new Finding(Zone.Wrong, "g", 0.5, 1, 0.0625, 0.125).ToString());
    }

    /// <summary>The numbers of a finding line in their formats: a ratio to six significant digits, a
    /// bound or a distance to three, correct digits to one decimal. Values with more digits than the
    /// format keeps (1/3, 0.123456) show the rounding; with 0.125 or 2 any format would print the same.</summary>
    [Fact]
    public void A_finding_prints_ratios_to_six_digits_bounds_and_distances_to_three_and_digits_to_one_decimal()
    {
        Assert.Equal("g is 1, the law says 3 (ratio 0.333333); every standard formulation stays within 0.123 of it: a bug",
            new Finding(Zone.Wrong, "g", 1, 3, 0.0625, 0.123456, "the law says").Describe());
        Assert.Equal("g is 0.123456, exactly 0 (off by 0.123); every standard formulation stays within 0.5 of it: a bug",
            new Finding(Zone.Wrong, "g", 0.123456, 0, 0.0625, 0.5).Describe());
        Assert.Equal("g is 1.5, exactly 1 (off by 0.5, relative error 0.5, 0.3 correct digits); careful arithmetic stays within 0.0123 of it, the textbook formulations within 0.123",
            new Finding(Zone.Accuracy, "g", 1.5, 1, 0.0123456, 0.123456).Describe());
        Assert.Equal("g is 1.5, exactly 1 (within 0.123)", new Finding(Zone.Agrees, "g", 1.5, 1, 0.123456, 2).Describe());
        Assert.Equal("g is 1.1, exactly 1 (off by 0.1, relative error 0.1, 1.0 correct digits); the textbook formulation cannot represent this answer",
            new Finding(Zone.Range, "g", 1.1, 1, 0.0625, double.PositiveInfinity).Describe());
        Assert.Equal("g is 1, exactly 3 (off by 2, relative error 0.667, 0.2 correct digits); every standard formulation stays within 0.5 of it: a bug",
            new Finding(Zone.Wrong, "g", 1, 3, 0.0625, 0.5).Describe());
    }

    [Fact]
    public void A_non_finite_answer_is_described_with_what_it_should_be_or_why_it_may_be_so()
    {
        Assert.Equal("g is NaN, exactly 1", new Finding(Zone.Wrong, "g", double.NaN, 1, 0, 0).Describe());
        Assert.Equal("g is -Infinity, the law says 2", new Finding(Zone.Wrong, "g", double.NegativeInfinity, 2, 0, 0, "the law says").Describe());
        Assert.Equal("g is Infinity: the textbook formulation cannot represent the answer here",
            new Finding(Zone.Range, "g", double.PositiveInfinity, 1, 0, double.PositiveInfinity).Describe());
        // a finding that is no number (an exception, a wrong shape): its quantity and note
        Assert.Equal("the implementation threw ArgumentException", new Finding(Zone.Wrong, "the implementation", double.NaN, double.NaN, 0, 0, "threw ArgumentException").Describe());
        Assert.Equal("threw ArgumentException", new Finding(Zone.Wrong, "", double.NaN, double.NaN, 0, 0, "threw ArgumentException").Describe());
        Assert.Equal("", new Finding(Zone.Wrong, "", double.NaN, double.NaN, 0, 0).Describe());
        // a step from an infinite gradient: its expected value W − 0·∞ is NaN too, but it is a judged number
        Assert.Equal("w after the step is NaN, W - eta*dE/dW (eta = 0) is NaN",
            new Finding(Zone.Wrong, "w after the step", double.NaN, double.NaN, 1e-7, 1e-6, "W - eta*dE/dW (eta = 0) is").Describe());
        Assert.Equal("w after the step is NaN: the textbook formulation cannot represent the answer here",
            new Finding(Zone.Range, "w after the step", double.NaN, double.NaN, 1e-7, double.PositiveInfinity, "W - eta*dE/dW (eta = 0) is").Describe());
    }
}
