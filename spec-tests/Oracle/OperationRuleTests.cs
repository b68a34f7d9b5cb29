using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// Rules of one operation in the magnitude pass (RoundingBounds.cs), taken on their own at the edges a
/// whole network seldom meets: a product exactly at the smallest normal number, a shift exactly a
/// thousandth of o, a Jacobian whose every term is a few floors. The inputs are powers of two or
/// built so the rule's own arithmetic is exact, and each expected value is the rule written out in
/// the pass's order, so the comparisons are exact (no tolerance). RoundingBoundsTests shows the same
/// rules inside whole networks.
/// </summary>
public class OperationRuleTests
{
    static readonly double MinNormal = Math.ScaleB(1, -1022);

    static double Pow2(int k) => Math.ScaleB(1, k);

    // ---------------------------------------------------------------- the matrix form's lost products

    [Fact]
    public void A_diagonal_entry_below_the_smallest_normal_number_loses_o_j_times_g_j()
    {
        // J_jj = o_j·(1 − o_j) ≤ o_j: with o_j = 2^-1030 it is subnormal, and g_j = 1 multiplies what it loses
        double oj = Pow2(-1030);
        double lost = RoundingBounds.UnderflowingProducts([oj, 1], [0, 0], [1, 0], [0, 0], 0, MinNormal);
        Assert.Equal(oj, lost);
    }

    [Fact]
    public void A_product_exactly_at_the_smallest_normal_number_loses_nothing()
    {
        // o_0·o_1 = 2^-511·2^-511 = 2^-1022: normal, its rounding is counted in γ, nothing is lost
        double half = Pow2(-511);
        Assert.Equal(0, RoundingBounds.UnderflowingProducts([half, half], [0, 0], [0, 1], [0, 0], 0, MinNormal));
        // one step below it, 2^-511·2^-512, the product is lost whole, times |g_1| = 1
        Assert.Equal(Pow2(-1023), RoundingBounds.UnderflowingProducts([half, half / 2], [0, 0], [0, 1], [0, 0], 0, MinNormal));
    }

    [Fact]
    public void A_lost_product_is_taken_at_the_largest_o_j_o_k_and_g_k_their_errors_allow()
    {
        // p_j = o_j + e(o_j) = 1.5·2^-520, p_k = 1.5·2^-510, |g_k| + e(g_k) = 1.5·2^40: every factor at its largest
        double[] o = [Pow2(-520), Pow2(-510)], eO = [Pow2(-521), Pow2(-511)], g = [0, -Pow2(40)], eG = [0, Pow2(39)];
        double lost = RoundingBounds.UnderflowingProducts(o, eO, g, eG, 0, MinNormal);
        Assert.Equal(3.375 * Pow2(-990), lost);
    }

    // ---------------------------------------------------------------- an ε inside the logarithm

    [Fact]
    public void An_epsilons_shift_is_taken_as_s_over_o_only_below_a_thousandth_of_o()
    {
        // o = 1 (ln o = 0), s = ε(1 + u) + e(o): at s = 1e-3 exactly the shift is ln(1 + s/o), not s/o itself
        double u = Math.ScaleB(1, -53), clip = ErrorModel.ProbabilityClip * (1 + u);
        double e = 1e-3 - clip;
        Assert.Equal(1e-3, clip + e);   // the precondition: s/o is the double 1e-3
        Assert.Equal(0.5 * Math.Log(1 + 1e-3), RoundingBounds.EpsilonShift(0.5, 0, e, u));
        // one ulp below it the shift is s/o: ln(1 + s/o) would keep only about 13 of its digits
        double below = Math.BitDecrement(1e-3) - clip;
        double s = clip + below;
        Assert.True(s < 1e-3);
        Assert.Equal(0.5 * s, RoundingBounds.EpsilonShift(0.5, 0, below, u));
    }

    // ---------------------------------------------------------------- the softmax Jacobian

    [Fact]
    public void A_softmax_Jacobian_from_out_keeps_its_K_floors_where_its_own_term_is_floor_sized()
    {
        // o = (1, 0), g = (2^-968, 0), every error 0: the careful form's terms all hold o_1 = 0, so its bound at
        // j = 0 is u·|δ| + K·floor; from out, o_0·(g_0 − Σ g_k·o_k) keeps γ_{K+2}·(|g_0| + |g_0|·o_0), a few floors
        // here, and adds its own K·floor. Nothing is lost to underflow (o_0·o_1 = 0 multiplies g_1 = 0).
        double g0 = Pow2(-968);
        double[] o = [1, 0], zero = [0, 0], g = [g0, 0], delta = [0, 0];
        ErrorModel textbook = ErrorModel.Textbook(Precision.Float64), careful = ErrorModel.Careful();
        int K = 2;
        double fromOut = 1 * (textbook.Gamma(K + 2) * (g0 + g0 * 1)) + K * textbook.Floor;
        Assert.True(fromOut > 3 * K * textbook.Floor);   // the term is floor-sized, not negligible beside the floors
        Assert.Equal([fromOut, K * textbook.Floor], RoundingBounds.SoftmaxJacobianErrors(textbook, o, zero, g, zero, delta));
        Assert.Equal([K * careful.Floor, K * careful.Floor], RoundingBounds.SoftmaxJacobianErrors(careful, o, zero, g, zero, delta));
    }
}
