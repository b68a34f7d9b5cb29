using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>How small an error the gradient check catches, and that it raises no false alarms.</summary>
public class SensitivityTests(ITestOutputHelper output)
{
    /// <summary>
    /// torch.autograd.gradcheck (rtol 1e-3) misses a relative error of 1e-3 in one entry; this
    /// check is meant to catch 1e-9. A 1e-9 relative error is planted in every nonzero entry of
    /// the reference's gradient, one entry at a time, over random networks. It must be caught
    /// wherever it exceeds twice the entry's derived tolerance (the unplanted value may already use
    /// up one tolerance); the share of entries where that holds is printed and must be at least
    /// 99%: the rest are entries whose chain-rule terms cancel by a factor of more than ~5,000.
    /// </summary>
    [Fact]
    public void A_relative_error_of_1e_minus_9_in_any_single_entry_is_caught()
    {
        const int networks = 300;
        int planted = 0, catchable = 0, caught = 0;
        var reference = new ReferenceBackprop();
        for (int i = 0; i < networks; i++)
        {
            Network n = NetworkGen.Sample(PropertyRun.Seed, i, networks);
            OracleGradients o = Oracles.Compute(n, finiteDifferences: false);
            double[] g = reference.Gradients(n).Flatten();
            for (int k = 0; k < g.Length; k++)
            {
                if (g[k] == 0) continue;                      // a relative error of 0 is no error
                planted++;
                double[] wrong = (double[])g.Clone();
                wrong[k] = g[k] * (1 + 1e-9);
                bool detected = !GradientCheck.Compare(o, wrong).Passed;
                if (Math.Abs(g[k]) * 1e-9 > 2 * o.Tolerance(k))
                {
                    catchable++;
                    Assert.True(detected, $"seed {PropertyRun.Seed}, network {i}, {o.Parameters[k]}: a 1e-9 error above twice the tolerance went unnoticed");
                }
                if (detected) caught++;
            }
        }
        output.WriteLine($"1e-9 planted in {planted} entries of {networks} networks: caught {caught} ({100.0 * caught / planted:F2}%); above twice the tolerance {catchable} ({100.0 * catchable / planted:F2}%)");
        Assert.True(catchable >= 0.99 * planted, $"only {catchable} of {planted} entries can show a 1e-9 error");
    }

    /// <summary>ReLU at its kink: the gradient check must not raise an alarm, whether net is exactly 0
    /// (004's example has two) or within 1e-12 of it, where a central difference straddles the kink.</summary>
    [Fact]
    public void Relu_exactly_at_its_kink_raises_no_false_alarm()
    {
        Network n = Examples.Load("004");
        OracleGradients o = Oracles.Compute(n);
        GradientReport report = GradientCheck.Compare(o, new ReferenceBackprop().Gradients(n).Flatten());
        Assert.True(report.Passed, report.Table());
        Assert.Contains(true, o.Kink);                                     // the kink was seen, and the dual decided there
        output.WriteLine($"004: {o.Kink.Count(k => k)} of {o.Kink.Length} coordinates straddle a kink");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-12)]
    [InlineData(-1e-12)]
    public void Relu_next_to_its_kink_raises_no_false_alarm_where_a_plain_central_difference_would(double offset)
    {
        // one ReLU unit, net = w·x + b = offset; its weight's derivative is x (on) or 0 (off)
        var hidden = new Layer(Activation.Relu, new[,] { { 1.0 } }, [-1.0 + offset], BiasMode.Trainable);
        var outLayer = new Layer(Activation.Identity, new[,] { { 2.0 } }, null, BiasMode.None);
        Network n = Network.Create(1, [hidden, outLayer], LossKind.HalfSse, 0.1, [[1.0]], [[3.0]]);
        double[] g = new ReferenceBackprop().Gradients(n).Flatten();

        OracleGradients o = Oracles.Compute(n);
        Assert.True(GradientCheck.Compare(o, g).Passed, GradientCheck.Compare(o, g).Table());
        Assert.True(o.Kink[0], "the straddled kink must be detected");

        // what gradcheck-style central differences would compare against: half the one-sided slope
        double h = 1e-6, w = 1.0;
        double E(double weight) => Forward.Run(n.WithLayers([new Layer(Activation.Relu, new[,] { { weight } }, hidden.B, BiasMode.Trainable), outLayer])).E;
        double naive = (E(w + h) - E(w - h)) / (2 * h);
        Assert.True(Math.Abs(naive - g[0]) > 1e-3 * Math.Abs(naive), $"the naive difference {naive} should disagree with {g[0]} here, or this case proves nothing");
    }
}
