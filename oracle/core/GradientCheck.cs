using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>One gradient entry of the implementation under test beside the exact value and the two bounds.</summary>
public sealed record GradientRow(int Index, ParameterRef Parameter, double Actual, double Exact, double Careful, Truth Truth, Zone Zone)
{
    /// <summary>The textbook bound (computed on first use).</summary>
    public double Textbook => Truth.GradientBound(Zone, Index);

    public double Deviation => Math.Abs(Actual - Exact);

    /// <summary>How many careful bounds away the answer is (∞ for a non-finite answer): the sort key.</summary>
    public double Score => !double.IsFinite(Actual) ? double.PositiveInfinity : Deviation / Math.Max(Careful, double.Epsilon);

    public Finding ToFinding() => new(Zone, Parameter.ToString(), Actual, Exact, Careful, Textbook) { On = AnswerKind.Gradient, Index = Index };
}

/// <summary>The verdict on one network's gradients, worst first: every entry on a small network; on a
/// large one the entries that do not agree and the closest calls among those that do (a million
/// rows would cost more than the verification).</summary>
public sealed class GradientReport
{
    public required Network Network { get; init; }
    public required IReadOnlyList<GradientRow> Rows { get; init; }   // worst first
    /// <summary>Every entry judged, shown in <see cref="Rows"/> or not.</summary>
    public required int Entries { get; init; }
    public Zone Zone => Rows.Count == 0 ? Zone.Agrees : Rows.Max(r => r.Zone);
    public GradientRow Worst => Rows[0];

    /// <summary>The per-parameter table a report prints, worst first.</summary>
    public string Table(int maxRows = 12)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"  {"parameter",-26}{"implementation",24}{"exact",24}{"difference",12}{"careful",11}{"textbook",11}  verdict");
        foreach (GradientRow r in Rows.Take(maxRows))
            sb.AppendLine($"  {r.Parameter,-26}{R(r.Actual),24}{R(r.Exact),24}{G(r.Deviation),12}{G(r.Careful),11}{G(r.Textbook),11}  {Zones.Name(r.Zone)}");
        int shown = Math.Min(maxRows, Rows.Count);
        if (Entries > shown)
        {
            int agree = Entries - Rows.Take(shown).Count() - Rows.Skip(shown).Count(r => r.Zone != Zone.Agrees);
            sb.AppendLine($"  … {Entries - shown} more parameters ({agree} agree)");
        }
        return sb.ToString();
    }

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}

/// <summary>
/// Judges an implementation's gradient entry by entry against the exact value (double-double reverse
/// mode) with the bounds of the tolerance model (<see cref="ErrorModel"/>): agrees, accuracy, range
/// or wrong. No finite difference or complex step decides a verdict: they cross-check the exact
/// value itself (<see cref="Oracles"/>, <see cref="Directional"/>).
/// </summary>
public static class GradientCheck
{
    /// <summary>Rows kept of the entries that agree, on a large network: the closest calls.</summary>
    const int AgreeingRowsKept = 12;

    public static GradientReport Compare(Truth truth, double[] actual)
    {
        if (actual.Length != truth.Parameters)
            throw new ArgumentException($"expected {truth.Parameters} gradient entries, got {actual.Length}");
        bool small = actual.Length <= 4096;
        var rows = new List<GradientRow>();
        var closest = new PriorityQueue<GradientRow, double>();            // the agreeing rows with the highest scores
        for (int k = 0; k < actual.Length; k++)
        {
            Zone zone = truth.GradientZone(k, actual[k]);
            if (zone != Zone.Agrees || small) { rows.Add(Row(truth, k, actual[k], zone)); continue; }
            // a large network's agreeing entry: kept only if among the closest calls so far (the score checked before the row is built)
            if (closest.Count >= AgreeingRowsKept
                && Math.Abs(actual[k] - truth.Exact.Gradient[k]) / Math.Max(truth.Careful.Gradient[k], double.Epsilon) <= closest.Peek().Score) continue;
            GradientRow row = Row(truth, k, actual[k], zone);
            closest.Enqueue(row, row.Score);
            if (closest.Count > AgreeingRowsKept) closest.Dequeue();
        }
        while (closest.TryDequeue(out GradientRow? r, out _)) rows.Add(r);
        bool allAgree = rows.All(r => r.Zone == Zone.Agrees);
        return new GradientReport
        {
            Network = truth.Network,
            Entries = actual.Length,
            Rows = allAgree && small ? rows : rows.OrderByDescending(r => r.Zone).ThenByDescending(r => r.Score).ToArray(),
        };
    }

    static GradientRow Row(Truth truth, int k, double actual, Zone zone) =>
        new(k, ParameterRef.At(truth.Network, k), actual, truth.Exact.Gradient[k] + truth.Exact.GradientLo[k], truth.Careful.Gradient[k], truth, zone);

    /// <summary>|a − b| / max(|a|, |b|), and 0 when both are 0.</summary>
    public static double RelativeError(double a, double b)
    {
        double scale = Math.Max(Math.Abs(a), Math.Abs(b));
        return scale == 0 ? 0 : Math.Abs(a - b) / scale;
    }
}
