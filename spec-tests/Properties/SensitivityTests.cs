using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>How small an error the gradient check catches, and that it raises no false alarms.</summary>
public class SensitivityTests(ITestOutputHelper output)
{
    /// <summary>
    /// torch.autograd.gradcheck (rtol 1e-3) misses a relative error of 1e-3 in one entry; this
    /// check is meant to catch 1e-9 in float64. A 1e-9 relative error is planted in every nonzero
    /// entry of the exact gradient, one entry at a time, over random networks. It must be reported
    /// (not <em>agrees</em>) wherever it exceeds the entry's careful bound; the share of entries where
    /// that holds is printed and must be at least 99%: the rest are entries whose chain-rule terms
    /// cancel by many orders of magnitude. The share where it is <em>wrong</em> (beyond every
    /// textbook formulation's rounding) is printed too. Networks with a ReLU within rounding of its
    /// kink are left out and counted: there either derivative is correct (ErrorModel.ReluDerivativeError),
    /// so no judge can hold the gradients through that unit to 1e-9.
    /// </summary>
    [Fact]
    public void A_relative_error_of_1e_minus_9_in_any_single_entry_is_reported_in_float64()
    {
        var (planted, catchable, wrong) = Plant(Precision.Float64, 1e-9, networks: 300);
        output.WriteLine($"float64, 1e-9 planted in {planted} entries of 300 networks ({ambiguous} left out: a ReLU within rounding of its kink): reported wherever it exceeds the careful bound, {catchable} entries ({100.0 * catchable / planted:F2}%); beyond every textbook bound (wrong) in {wrong} ({100.0 * wrong / planted:F2}%)");
        Assert.True(catchable >= 0.99 * planted, $"only {catchable} of {planted} entries can show a 1e-9 error");
    }

    /// <summary>The smallest relative error, planted in one entry, that each precision profile reports
    /// (as accuracy or wrong) in at least 99% and in at least 90% of entries, and the share it calls
    /// wrong: what the README's sensitivity table states. float64 must report 1e-9 in 99% of entries;
    /// float32, whose inputs are rounded by 6e-8 and whose bounds grow with every saturated unit,
    /// must report 1e-2 in 90%.</summary>
    [Theory]
    [InlineData(Precision.Float64, 1e-9, 0.99)]
    [InlineData(Precision.Float32, 1e-2, 0.90)]
    public void The_smallest_detectable_relative_error_of_each_profile(Precision precision, double promised, double share)
    {
        double? at99 = null, at90 = null;
        for (int e = -13; e <= -1; e++)
        {
            double r = Math.Pow(10, e);
            var (planted, catchable, wrong) = Plant(precision, r, networks: 100);
            output.WriteLine($"{precision}: relative error 1e{e}: reported in {100.0 * catchable / planted:F2}% of {planted} entries, wrong in {100.0 * wrong / planted:F2}% ({ambiguous} networks left out: a ReLU within rounding of its kink)");
            if (at99 is null && catchable >= 0.99 * planted) at99 = r;
            if (at90 is null && catchable >= 0.90 * planted) at90 = r;
            if (r == promised) Assert.True(catchable >= share * planted, $"{precision}: a relative error of {r} is reported in only {catchable} of {planted} entries");
        }
        output.WriteLine($"{precision}: smallest relative error reported in 99% of entries: {at99?.ToString("G1") ?? "none up to 0.1"}; in 90%: {at90?.ToString("G1") ?? "none up to 0.1"}");
    }

    /// <summary>
    /// Where people train: 784-128-10 with a batch of 32 (101,770 parameters; activations, loss and
    /// values still random). The bounds hold for any summation order, so they grow with fan-in and
    /// depth (γ_784 on every hidden net input, then Σ|w|·e through 128 units and 32 examples): there
    /// they sit about 1e5 above the reference's actual error, and 1e-9 can be reported only where an
    /// entry's bound is below it (printed, about half the entries). The promise at this shape: every
    /// planted error above twice its entry's bound is reported (Plant asserts it entry by entry), and
    /// 1e-6 is reported in 99% of entries (measured on the first 6 networks: 1e-9 in 48% of entries,
    /// 1e-8 in 77%, 1e-7 in 99.2%, 1e-6 in 99.9%).
    /// </summary>
    [Fact]
    public void At_784_128_10_every_error_the_bound_allows_is_reported_and_1e_minus_6_in_99_percent_of_entries()
    {
        var shape = NetworkShape.Parse("784-128-10", 32);
        Network[] networks = Enumerable.Range(0, 3).Select(i => NetworkGen.Sample(RunSettings.Seed, i, 3, shape: shape)).ToArray();
        var (planted9, catchable9, wrong9) = Plant(Precision.Float64, 1e-9, networks);
        output.WriteLine($"784-128-10, batch 32, float64, 1e-9 planted in {planted9} entries of 3 networks: reported in {100.0 * catchable9 / planted9:F2}%, wrong in {100.0 * wrong9 / planted9:F2}%");
        var (planted, catchable, wrong) = Plant(Precision.Float64, 1e-6, networks);
        output.WriteLine($"784-128-10, batch 32, float64, 1e-6 planted in {planted} entries of 3 networks: reported in {100.0 * catchable / planted:F2}%, wrong in {100.0 * wrong / planted:F2}%");
        Assert.True(planted >= 101_770, $"only {planted} entries planted: too few networks in range to say anything");
        Assert.True(catchable >= 0.99 * planted, $"only {catchable} of {planted} entries can show a 1e-6 error");
    }

    int ambiguous;

    (int planted, int catchable, int wrong) Plant(Precision precision, double r, int networks) =>
        Plant(precision, r, Enumerable.Range(0, networks).Select(i => NetworkGen.Sample(RunSettings.Seed, i, networks)).ToArray());

    (int planted, int catchable, int wrong) Plant(Precision precision, double r, Network[] networks)
    {
        int planted = 0, catchable = 0, wrong = 0;
        ambiguous = 0;
        for (int i = 0; i < networks.Length; i++)
        {
            Network n = networks[i];
            Truth truth = Truth.For(n, precision);
            if (truth.OutOfRange) continue;
            if (truth.Careful.AmbiguousKinks.Count > 0) { ambiguous++; continue; }
            double[] g = truth.Exact.Gradient;
            for (int k = 0; k < g.Length; k++)
            {
                if (g[k] == 0) continue;                      // a relative error of 0 is no error
                planted++;
                Zone zone = truth.GradientZone(k, g[k] * (1 + r));
                if (Math.Abs(g[k]) * r > 2 * truth.Careful.Gradient[k])
                {
                    catchable++;
                    Assert.True(zone != Zone.Agrees, $"seed {RunSettings.Seed}, network {i}, entry {k}: a relative error of {r} above twice the careful bound went unnoticed");
                }
                if (zone == Zone.Wrong) wrong++;
            }
        }
        return (planted, catchable, wrong);
    }

    /// <summary>ReLU at its kink: the gradient check must not raise an alarm, whether net is exactly 0
    /// (004's example has two) or within 1e-12 of it, where a central difference straddles the kink.</summary>
    [Fact]
    public void Relu_exactly_at_its_kink_raises_no_false_alarm()
    {
        Network n = Examples.Load("004");
        OracleGradients o = Oracles.Compute(n);
        GradientReport report = GradientCheck.Compare(Truth.For(n), new ReferenceBackprop().Gradients(n).Flatten());
        Assert.True(report.Zone == Zone.Agrees, report.Table());
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
        GradientReport report = GradientCheck.Compare(Truth.For(n), g);
        Assert.True(report.Zone == Zone.Agrees, report.Table());
        Assert.True(o.Kink[0], "the straddled kink must be detected");

        // what gradcheck-style central differences would compare against: half the one-sided slope
        double h = 1e-6, w = 1.0;
        double E(double weight) => Forward.Run(n.WithLayers([new Layer(Activation.Relu, new[,] { { weight } }, hidden.B, BiasMode.Trainable), outLayer])).E;
        double naive = (E(w + h) - E(w - h)) / (2 * h);
        Assert.True(Math.Abs(naive - g[0]) > 1e-3 * Math.Abs(naive), $"the naive difference {naive} should disagree with {g[0]} here, or this case proves nothing");
    }
}
