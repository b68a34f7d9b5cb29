using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>Each activation and its derivative against values worked by hand.</summary>
public class ActivationTests
{
    static double F(Activation f, double x) => Activations.Apply(f, new Real(x)).Value;

    /// <summary>The closed forms below and the code round differently: exp (1 ulp), an add, a
    /// divide and a product each add half an ulp, so they agree within 4 ulp, 4·ε relative.</summary>
    static void Close(double expected, double actual) =>
        Assert.Equal(expected, actual, 4 * Validation.MachineEpsilon * Math.Abs(expected));

    [Theory]
    [InlineData(0.0, 0.5, 0.25)]                                   // σ(0) = ½, σ′(0) = ¼ (000: "the maximum derivative … is 0.25")
    [InlineData(2.0, 0.88079707797788231, 0.10499358540350652)]    // 003: z_j = σ(2) = 0.8808
    [InlineData(-2.0, 0.11920292202211755, 0.10499358540350652)]
    public void Sigmoid_matches_its_closed_form(double x, double value, double derivative)
    {
        Close(value, F(Activation.Sigmoid, x));
        // out(1 − out): 1 − out carries out's rounding, relative ε·e^{net} (SigmoidOneMinusOut), plus 4 ulp
        double bound = (Math.Exp(Math.Max(x, 0)) + 4) * Validation.MachineEpsilon * derivative;
        Assert.Equal(derivative, Activations.Derivative(Activation.Sigmoid, x), bound);
    }

    [Fact]
    public void Sigmoid_saturates_without_overflow_and_keeps_its_derivative_digits()
    {
        Assert.Equal(0.0, F(Activation.Sigmoid, -800));
        Assert.Equal(1.0, F(Activation.Sigmoid, 800));
        // σ′(40) = e^{−40}/(1 + e^{−40})² ≈ e^{−40}: out(1 − out) would give 0 here.
        double expected = Math.Exp(-40) / ((1 + Math.Exp(-40)) * (1 + Math.Exp(-40)));
        Close(expected, Activations.Derivative(Activation.Sigmoid, 40));
        Assert.Equal(0.0, Activations.Derivative(Activation.Sigmoid, 800));
    }

    [Theory]
    [InlineData(0.0, 0.0, 1.0)]
    [InlineData(0.5, 0.46211715726000974, 0.78644773296592741)]
    [InlineData(-0.5, -0.46211715726000974, 0.78644773296592741)]
    public void Tanh_matches_its_closed_form(double x, double value, double derivative)
    {
        Close(value, F(Activation.Tanh, x));
        Close(derivative, Activations.Derivative(Activation.Tanh, x));
    }

    [Fact]
    public void Tanh_derivative_keeps_its_digits_where_tanh_rounds_to_one()
    {
        double expected = 4 * Math.Exp(-40);                       // sech²(20) = 4/(e^{20} + e^{−20})² ≈ 4e^{−40}
        // 4e^{−40} drops the (1 + e^{−40})⁻² factor, 1 − 8e^{−40} ≈ 1 − 3e-17: below one ulp
        Close(expected, Activations.Derivative(Activation.Tanh, 20));
    }

    [Theory]
    [InlineData(-1.5, 0.0, 0.0)]
    [InlineData(0.0, 0.0, 0.0)]       // 004: at 0 "in practice we take it to be 0"
    [InlineData(1e-300, 1e-300, 1.0)]
    [InlineData(2.5, 2.5, 1.0)]
    public void Relu_is_max_zero_with_derivative_zero_at_zero(double x, double value, double derivative)
    {
        Assert.Equal(value, F(Activation.Relu, x));
        Assert.Equal(derivative, Activations.Derivative(Activation.Relu, x));
    }

    [Theory]
    [InlineData(-3.25)]
    [InlineData(7.0)]
    public void Identity_passes_net_through_with_derivative_one(double x)
    {
        Assert.Equal(x, F(Activation.Identity, x));
        Assert.Equal(1.0, Activations.Derivative(Activation.Identity, x));
    }

    [Fact]
    public void Softmax_is_exp_over_sum_and_survives_huge_nets()
    {
        Real[] o = Activations.Apply(Activation.Softmax, new[] { new Real(1), new Real(2), new Real(3) });
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Close(Math.Exp(1) / z, o[0].Value);
        Close(Math.Exp(3) / z, o[2].Value);

        Real[] big = Activations.Apply(Activation.Softmax, new[] { new Real(1000), new Real(1000) });
        Assert.Equal(0.5, big[0].Value);
        Assert.Equal(0.5, big[1].Value);
    }

    [Fact]
    public void Softmax_is_not_an_elementwise_activation()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Apply(Activation.Softmax, new Real(0)));
        Assert.Contains("softmax is not elementwise", e.Message);
    }

    [Fact]
    public void Softmax_has_no_elementwise_derivative()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Derivative(Activation.Softmax, 0));
        Assert.Contains("Jacobian", e.Message);
    }
}
