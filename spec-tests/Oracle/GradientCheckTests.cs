using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// GradientCheck.Compare, GradientReport and RelativeError on networks whose gradients follow by hand.
/// The small network: one identity layer, one input x = 3, weights 2 and 1, biases 1 and −1, targets
/// 4 and 0, half the sum of squares: outputs 7 and 2, δ = o − t = 3 and 2, so the gradient in
/// parameter order (weights, then biases) is 3·3 = 9, 2·3 = 6, 3, 2, every value exact in binary
/// (the double-double low parts are 0). The large ones: an identity layer of weights 0.5 fed with
/// ones, targets fanIn/2 − 1, so every output is fanIn/2, δ = 1 and every gradient entry is exactly 1.
/// </summary>
public class GradientCheckTests
{
    static readonly double[] Exact = [9, 6, 3, 2];

    static Network Small() => Network.Create(1, [new Layer(Activation.Identity, new[,] { { 2.0 }, { 1.0 } }, [1.0, -1.0], BiasMode.Trainable)],
        LossKind.HalfSse, 0.5, [[3.0]], [[4.0, 0.0]]);

    static Network Ones(int units, int fanIn)
    {
        var w = new double[units, fanIn];
        for (int j = 0; j < units; j++)
            for (int i = 0; i < fanIn; i++) w[j, i] = 0.5;
        return Network.Create(fanIn, [new Layer(Activation.Identity, w, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [Enumerable.Repeat(1.0, fanIn).ToArray()], [Enumerable.Repeat(fanIn / 2.0 - 1, units).ToArray()]);
    }

    /// <summary>The weights 0.5 of <see cref="Ones"/> on a batch of two examples of ones, targets
    /// fanIn/2 − 1000.5 and fanIn/2 + 999.5: δ = 1000.5 and −999.5, so every gradient entry is
    /// 1000.5 − 999.5 = 1 exactly, but the careful bound follows the magnitudes summed (2000) and is
    /// many ulps of 1 wide.</summary>
    static Network Cancelling(int units, int fanIn)
    {
        var w = new double[units, fanIn];
        for (int j = 0; j < units; j++)
            for (int i = 0; i < fanIn; i++) w[j, i] = 0.5;
        double[] ones = Enumerable.Repeat(1.0, fanIn).ToArray();
        return Network.Create(fanIn, [new Layer(Activation.Identity, w, null, BiasMode.None)], LossKind.HalfSse, 0.5,
            [ones, ones], [Enumerable.Repeat(fanIn / 2.0 - 1000.5, units).ToArray(), Enumerable.Repeat(fanIn / 2.0 + 999.5, units).ToArray()]);
    }

    static string Header() => "  " + "parameter".PadRight(26) + "implementation".PadLeft(24) + "exact".PadLeft(24)
        + "difference".PadLeft(12) + "careful".PadLeft(11) + "textbook".PadLeft(11) + "  verdict";

    static string G3(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    [Fact]
    public void The_small_network_gradient_is_the_one_derived_by_hand()
    {
        Truth truth = Truth.For(Small());
        Assert.Equal(Exact, truth.Exact.Gradient);
        Assert.All(truth.Exact.GradientLo, lo => Assert.Equal(0.0, lo));
    }

    /// <summary>Every answer agrees: every row is kept, in parameter order (not sorted by score:
    /// entries 0 and 3 are one ulp off, still within the careful bound, and stay where they are).</summary>
    [Fact]
    public void When_every_entry_agrees_on_a_small_network_every_row_is_kept_in_parameter_order()
    {
        Truth truth = Truth.For(Small());
        Assert.True(truth.Careful.Gradient[0] >= Math.BitIncrement(9.0) - 9.0, "the careful bound allows one ulp at 9");
        Assert.True(truth.Careful.Gradient[3] >= Math.BitIncrement(2.0) - 2.0, "the careful bound allows one ulp at 2");
        double[] actual = [Math.BitIncrement(9.0), 6, 3, Math.BitIncrement(2.0)];
        GradientReport report = GradientCheck.Compare(truth, actual);
        Assert.Equal(4, report.Entries);
        Assert.Equal([0, 1, 2, 3], report.Rows.Select(r => r.Index));
        Assert.All(report.Rows, r => Assert.Equal(Zone.Agrees, r.Zone));
        Assert.Equal(Zone.Agrees, report.Zone);
        Assert.Equal(["layers[0].weights[0][0]", "layers[0].weights[1][0]", "layers[0].biases[0]", "layers[0].biases[1]"],
            report.Rows.Select(r => r.Parameter.ToString()));
        Assert.Equal(Exact, report.Rows.Select(r => r.Exact));
        Assert.Equal([Math.BitIncrement(9.0) - 9.0, 0, 0, Math.BitIncrement(2.0) - 2.0], report.Rows.Select(r => r.Deviation));
        Assert.Equal(0.0, report.Rows[1].Score);
    }

    /// <summary>Entry 1 answered 6.1 (off by 0.1), entry 2 NaN, entry 3 102 (off by 100): all three wrong,
    /// worst first (NaN scores ∞, then by deviation over the careful bound), the agreeing entry 0 last.</summary>
    [Fact]
    public void Wrong_entries_come_first_worst_first_and_a_nan_answer_scores_infinity()
    {
        Truth truth = Truth.For(Small());
        GradientReport report = GradientCheck.Compare(truth, [9, 6.1, double.NaN, 102]);
        Assert.Equal([2, 3, 1, 0], report.Rows.Select(r => r.Index));
        Assert.Equal([Zone.Wrong, Zone.Wrong, Zone.Wrong, Zone.Agrees], report.Rows.Select(r => r.Zone));
        Assert.Equal(Zone.Wrong, report.Zone);
        Assert.Equal(2, report.Worst.Index);
        Assert.Equal(4, report.Entries);

        Assert.Equal(double.PositiveInfinity, report.Rows[0].Score);
        Assert.Equal(100.0, report.Rows[1].Deviation);
        Assert.Equal(6.1 - 6.0, report.Rows[2].Deviation);
        Assert.True(truth.Careful.Gradient[1] > double.Epsilon);
        Assert.Equal((6.1 - 6.0) / truth.Careful.Gradient[1], report.Rows[2].Score);
        Assert.Equal(100.0 / truth.Careful.Gradient[3], report.Rows[1].Score);
        Assert.Equal(0.0, report.Rows[3].Score);
    }

    [Fact]
    public void A_gradient_of_another_length_is_refused_with_both_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => GradientCheck.Compare(Truth.For(Small()), [9, 6, 3]));
        Assert.Equal("expected 4 gradient entries, got 3", e.Message);
    }

    [Fact]
    public void A_report_without_rows_agrees()
    {
        var report = new GradientReport { Network = Small(), Rows = [], Entries = 0 };
        Assert.Equal(Zone.Agrees, report.Zone);
    }

    /// <summary>The exact column is the exact value hi + lo rounded to double: a bias of 2^−53 makes the
    /// output and both gradient entries 1 + 2^−53, a tie that rounds to 1 (even), not to 1 − 2^−53.</summary>
    [Fact]
    public void The_exact_column_is_the_double_double_value_rounded_to_double()
    {
        double tiny = Math.ScaleB(1.0, -53);
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, [tiny], BiasMode.Trainable)],
            LossKind.HalfSse, 0.5, [[1.0]], [[0.0]]);
        Truth truth = Truth.For(n);
        Assert.Equal([1.0, 1.0], truth.Exact.Gradient);
        Assert.Equal([tiny, tiny], truth.Exact.GradientLo);
        GradientReport report = GradientCheck.Compare(truth, [1.0, 1.0]);
        Assert.Equal([1.0, 1.0], report.Rows.Select(r => r.Exact));
    }

    /// <summary>The table of the wrong case: a header, one row per kept entry worst first (the answer and
    /// exact value round-trip, the difference and bounds to 3 digits), and no "more" line when every
    /// entry is shown.</summary>
    [Fact]
    public void The_table_prints_every_row_worst_first_under_its_header()
    {
        Truth truth = Truth.For(Small());
        GradientReport report = GradientCheck.Compare(truth, [9, 6.1, double.NaN, 102]);
        string Line(string p, string actual, string exact, string diff, int k, string verdict) =>
            "  " + p.PadRight(26) + actual.PadLeft(24) + exact.PadLeft(24) + diff.PadLeft(12)
            + G3(truth.Careful.Gradient[k]).PadLeft(11) + G3(truth.Textbook.Gradient[k]).PadLeft(11) + "  " + verdict;
        string nl = Environment.NewLine;
        string[] lines =
        [
            Header(),
            Line("layers[0].biases[0]", "NaN", "3", "NaN", 2, "wrong"),
            Line("layers[0].biases[1]", "102", "2", "100", 3, "wrong"),
            Line("layers[0].weights[1][0]", "6.1", "6", "0.1", 1, "wrong"),
            Line("layers[0].weights[0][0]", "9", "9", "0", 0, "agrees"),
        ];
        Assert.Equal(string.Join(nl, lines) + nl, report.Table());
        Assert.Equal(string.Join(nl, lines[..3]) + nl + "  … 2 more parameters (1 agree)" + nl, report.Table(maxRows: 2));
        // one row shown: of the other three, two are wrong and one agrees
        Assert.Equal(string.Join(nl, lines[..2]) + nl + "  … 3 more parameters (1 agree)" + nl, report.Table(maxRows: 1));
    }

    [Fact]
    public void The_table_prints_the_bounds_to_three_significant_digits()
    {
        Truth truth = Truth.For(Small());
        double careful = truth.Careful.Gradient[1];
        Assert.NotEqual(careful.ToString("R", CultureInfo.InvariantCulture), G3(careful));   // more than 3 digits
        GradientReport report = GradientCheck.Compare(truth, [9, 6.1, double.NaN, 102]);
        Assert.Contains(G3(careful).PadLeft(11), report.Table().Split('\n')[3]);
        Assert.DoesNotContain(careful.ToString("R", CultureInfo.InvariantCulture), report.Table());
    }

    [Fact]
    public void Relative_error_by_hand()
    {
        Assert.Equal(0.0, GradientCheck.RelativeError(0, 0));
        Assert.Equal(0.5, GradientCheck.RelativeError(1, 2));     // |1 − 2| / 2
        Assert.Equal(0.5, GradientCheck.RelativeError(2, 1));
        Assert.Equal(2.0, GradientCheck.RelativeError(-3, 3));    // |−3 − 3| / 3
    }

    /// <summary>4096 entries is still small: every row kept, in parameter order.</summary>
    [Fact]
    public void A_network_of_4096_entries_keeps_every_row()
    {
        Truth truth = Truth.For(Ones(64, 64));
        Assert.Equal(4096, truth.Parameters);
        Assert.All(truth.Exact.Gradient, g => Assert.Equal(1.0, g));
        GradientReport report = GradientCheck.Compare(truth, Enumerable.Repeat(1.0, 4096).ToArray());
        Assert.Equal(Enumerable.Range(0, 4096), report.Rows.Select(r => r.Index));
        Assert.Equal(Zone.Agrees, report.Zone);
    }

    /// <summary>5000 entries, every answer 1 + 2^−52 (one ulp off, within the careful bound): all equally
    /// close, so the first 12 are kept (a later entry must be strictly closer to displace one).</summary>
    [Fact]
    public void On_a_large_network_of_equally_close_answers_the_first_twelve_are_kept()
    {
        Truth truth = Truth.For(Ones(100, 50));
        Assert.Equal(5000, truth.Parameters);
        double up = Math.BitIncrement(1.0);
        Assert.All(truth.Careful.Gradient, c => Assert.True(c >= up - 1.0));
        GradientReport report = GradientCheck.Compare(truth, Enumerable.Repeat(up, 5000).ToArray());
        Assert.Equal(5000, report.Entries);
        Assert.Equal(Enumerable.Range(0, 12), report.Rows.Select(r => r.Index).Order());
        Assert.All(report.Rows, r => Assert.Equal(Zone.Agrees, r.Zone));
        Assert.Equal(Zone.Agrees, report.Zone);
    }

    /// <summary>5000 entries of the cancelling network: three wrong (NaN at 7, off by 1 at 3000, off by 0.5 at 4500), fifteen that
    /// agree but are off by 0.2, 0.25, …, 0.9 of the careful bound (entries 1000 to 1014, in that order:
    /// each later one closer to the bound), the rest exact. Kept: the three wrong, worst first, then the
    /// twelve agreeing entries closest to the bound (1014 down to 1003); Entries counts all 5000.</summary>
    [Fact]
    public void On_a_large_network_the_wrong_entries_and_the_twelve_closest_agreeing_calls_are_kept_worst_first()
    {
        Truth truth = Truth.For(Cancelling(100, 50));
        Assert.All(truth.Exact.Gradient, g => Assert.Equal(1.0, g));
        double[] actual = Enumerable.Repeat(1.0, 5000).ToArray();
        actual[7] = double.NaN;
        actual[3000] = 2.0;
        actual[4500] = 1.5;
        for (int m = 0; m < 15; m++)
        {
            double c = truth.Careful.Gradient[1000 + m];
            Assert.True(c >= 1e3 * (Math.BitIncrement(1.0) - 1.0), $"careful bound {c} is far above an ulp");
            actual[1000 + m] = 1.0 + (0.2 + 0.05 * m) * c;
        }
        GradientReport report = GradientCheck.Compare(truth, actual);
        Assert.Equal(5000, report.Entries);
        int[] expected = [7, 3000, 4500, .. Enumerable.Range(1003, 12).Reverse()];
        Assert.Equal(expected, report.Rows.Select(r => r.Index));
        Assert.Equal([Zone.Wrong, Zone.Wrong, Zone.Wrong, .. Enumerable.Repeat(Zone.Agrees, 12)], report.Rows.Select(r => r.Zone));
        Assert.Equal(Zone.Wrong, report.Zone);
        Assert.Equal("  … 4985 more parameters (4985 agree)", report.Table(maxRows: 15).Split(Environment.NewLine)[^2]);
    }
}
