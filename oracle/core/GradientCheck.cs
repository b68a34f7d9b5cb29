using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>One gradient entry of the implementation under test beside the oracles.</summary>
public sealed record GradientRow(
    ParameterRef Parameter, double Reverse, double Dual, double Magnitude, double FiniteDifference, double FiniteDifferenceError,
    double? ComplexStep, bool Kink, double Tolerance, double RelativeError, double Score, string? Problem);

/// <summary>The verdict on one network's gradients: every entry, worst first.</summary>
public sealed class GradientReport
{
    public required Network Network { get; init; }
    public required IReadOnlyList<GradientRow> Rows { get; init; }   // worst first
    public bool Passed => Rows.All(r => r.Problem is null);
    public GradientRow Worst => Rows[0];

    /// <summary>The per-parameter table a failing check prints, worst first.</summary>
    public string Table(int maxRows = 12)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"  {"parameter",-26}{"reverse",24}{"forward (dual)",24}{"finite difference ± estimate",36}{"rel. error",12}  verdict");
        foreach (GradientRow r in Rows.Take(maxRows))
        {
            string fd = r.Kink ? "(kink: dual decides)" : double.IsNaN(r.FiniteDifference) ? "(not computed)"
                : $"{G(r.FiniteDifference)} ± {r.FiniteDifferenceError.ToString("G2", CultureInfo.InvariantCulture)}";
            sb.AppendLine($"  {r.Parameter,-26}{G(r.Reverse),24}{G(r.Dual),24}{fd,36}{r.RelativeError.ToString("G3", CultureInfo.InvariantCulture),12}  {r.Problem ?? "ok"}");
        }
        if (Rows.Count > maxRows) sb.AppendLine($"  … {Rows.Count - maxRows} more parameters, all within tolerance");
        return sb.ToString();
    }

    static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// Compares an implementation's gradient with the three oracles. The tolerances are derived, not
/// tuned; README.md ("How gradients are judged") states them.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// K for the reverse-vs-dual comparison: |reverse − dual| ≤ K·ε·(M + |dual|), with M the dual's
    /// Σ|terms|. Both sides sum the same chain-rule products in different orders, so each is within
    /// γ·M of the exact value, γ ≈ (roundings per term + terms per sum)·ε: per layer about 32 roundings
    /// (net's product and sum, exp, the sigmoid's divide, 1 − out's inherited ≤ 16ε, δ's products),
    /// and the longest sum is the larger of a fan-in + 1, a layer's units, or the m·outputs terms of E.
    /// Twice that, for the two sides.
    /// </summary>
    public static double K(Network n)
    {
        int longestSum = Math.Max(n.BatchSize * n.Output.Units, n.Layers.Max(l => Math.Max(l.FanIn + 1, l.Units)));
        return 2.0 * (32 * n.Layers.Count + longestSum + 16);
    }

    /// <summary>
    /// K·ε·(M + |dual|) + 2·ED. The first part covers summing the same chain-rule terms in another
    /// order; the second the errors carried in from rounded values (ED bounds the dual's; reverse
    /// mode uses the same rounded values, so at most as much again).
    /// </summary>
    public static double Tolerance(Network n, double dual, double magnitude, double errorBound) =>
        K(n) * Validation.MachineEpsilon * (magnitude + Math.Abs(dual)) + 2 * errorBound + double.Epsilon;

    public static GradientReport Compare(OracleGradients o, double[] reverse)
    {
        Network n = o.Network;
        if (reverse.Length != o.Parameters.Length)
            throw new ArgumentException($"expected {o.Parameters.Length} gradient entries, got {reverse.Length}");
        var rows = new List<GradientRow>();
        for (int k = 0; k < reverse.Length; k++)
        {
            double r = reverse[k], d = o.Dual[k];
            double tol = o.Tolerance(k);
            double? cs = o.ComplexStep?[k];
            string? problem = null;
            double score;
            if (!double.IsFinite(r)) { problem = $"not finite ({r})"; score = double.PositiveInfinity; }
            else
            {
                score = Math.Abs(r - d) / tol;
                if (Math.Abs(r - d) > tol) problem = $"differs from the exact forward-mode value by {Math.Abs(r - d):G3} (tolerance {tol:G3})";
                if (!o.Kink[k] && !double.IsNaN(o.FiniteDifference[k]))
                {
                    double fdTol = o.FiniteDifferenceError[k] + tol;
                    double fdScore = Math.Abs(r - o.FiniteDifference[k]) / fdTol;
                    if (fdScore > 1) problem ??= $"differs from the finite difference by {Math.Abs(r - o.FiniteDifference[k]):G3} (its error estimate {fdTol:G3})";
                    score = Math.Max(score, fdScore);
                }
                if (cs is { } c && !double.IsNaN(c))
                {
                    double csScore = Math.Abs(r - c) / tol;
                    if (csScore > 1) problem ??= $"differs from the complex step by {Math.Abs(r - c):G3} (tolerance {tol:G3})";
                    score = Math.Max(score, csScore);
                }
            }
            rows.Add(new GradientRow(o.Parameters[k], r, d, o.Magnitude[k], o.FiniteDifference[k], o.FiniteDifferenceError[k],
                                     cs, o.Kink[k], tol, RelativeError(r, d), score, problem));
        }
        return new GradientReport { Network = n, Rows = rows.OrderByDescending(x => x.Score).ToArray() };
    }

    /// <summary>|a − b| / max(|a|, |b|), and 0 when both are 0.</summary>
    public static double RelativeError(double a, double b)
    {
        double scale = Math.Max(Math.Abs(a), Math.Abs(b));
        return scale == 0 ? 0 : Math.Abs(a - b) / scale;
    }
}
