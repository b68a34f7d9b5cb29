using System.Globalization;

namespace BackpropSpec.Oracle.Judging;

/// <summary>
/// What a judged number is, worst last. The contract (README, PROTOCOL.md):
/// <list type="bullet">
/// <item><b>agrees</b>: within what careful double arithmetic gives (<see cref="ErrorModel.Careful"/>);</item>
/// <item><b>accuracy</b>: mathematically right but numerically weaker: beyond the careful bound, within
/// the rounding error of a standard textbook formulation in the declared precision;</item>
/// <item><b>range</b>: the textbook formulations cannot represent the answer here (ln 0, overflow, 0/0),
/// and the implementation answered a non-finite value, an error, or a number beyond the careful bound;</item>
/// <item><b>wrong</b>: beyond every rounding bound of every standard formulation: a bug.</item>
/// </list>
/// Accuracy and range findings are reported, and fail only under <c>--strict</c>.
/// </summary>
public enum Zone { Agrees, Accuracy, Range, Wrong }

public static class Zones
{
    public static string Name(Zone z) => z switch
    {
        Zone.Agrees => "agrees",
        Zone.Accuracy => "accuracy",
        Zone.Range => "range",
        Zone.Wrong => "wrong",
        _ => throw new ArgumentOutOfRangeException(nameof(z)),
    };

    /// <summary>The zone of an answer <paramref name="actual"/> for a quantity whose exact value is
    /// hi + lo, with the careful and textbook bounds of the tolerance model.</summary>
    public static Zone Of(double actual, double hi, double lo, double careful, double textbook)
    {
        if (double.IsNaN(textbook)) textbook = double.PositiveInfinity;    // an undefined bound bounds nothing
        if (!double.IsFinite(actual)) return double.IsInfinity(textbook) ? Zone.Range : Zone.Wrong;
        double d = Math.Abs(actual - hi - lo);
        if (d <= careful) return Zone.Agrees;
        if (double.IsInfinity(textbook)) return Zone.Range;
        return d <= textbook ? Zone.Accuracy : Zone.Wrong;
    }

    /// <summary>The same, with the textbook bound computed only when the careful one is exceeded
    /// (most answers agree, and the textbook pass is then never needed).</summary>
    public static Zone Of(double actual, double hi, double lo, double careful, Func<double> textbook)
    {
        if (double.IsFinite(actual) && Math.Abs(actual - hi - lo) <= careful) return Zone.Agrees;
        return Of(actual, hi, lo, careful, textbook());
    }

    /// <summary>The same, where the textbook bound may be infinite because some formulation cannot represent
    /// an answer of the network: a finite answer within <paramref name="inRange"/> (the bound of the
    /// formulations that can, <see cref="Truth.InRange"/>) is then an accuracy finding, not a range one.</summary>
    public static Zone Of(double actual, double hi, double lo, double careful, Func<double> textbook, Func<double> inRange)
    {
        Zone z = Of(actual, hi, lo, careful, textbook);
        if (z != Zone.Range || !double.IsFinite(actual)) return z;
        double bound = inRange();                    // infinite too where even those formulations cannot bound it
        return double.IsFinite(bound) && Math.Abs(actual - hi - lo) <= bound ? Zone.Accuracy : z;
    }

    /// <summary>Whether a run that found <paramref name="z"/> fails: wrong always, accuracy and range under --strict.</summary>
    public static bool Fails(Zone z, bool strict) => z == Zone.Wrong || strict && z != Zone.Agrees;
}

/// <summary>The kinds of judged answers a finding can be about.</summary>
public enum AnswerKind { Other, Output, Loss, Gradient }

/// <summary>
/// One judged number that did not simply agree, as data: the text, JSON and JUnit writers render it,
/// the diagnosis reads it. <see cref="Exact"/> is what a correct implementation approximates (the exact
/// value, or what a law predicts from the implementation's other answers), <see cref="Careful"/> and
/// <see cref="Textbook"/> the bounds of <see cref="ErrorModel"/> around it.
/// </summary>
public sealed record Finding(Zone Zone, string Quantity, double Actual, double Exact, double Careful, double Textbook, string? Note = null)
{
    /// <summary>Which kind of answer this is, and its index: e·outputs + k for outputs[e][k], the
    /// <see cref="ParameterIndex"/> position for a gradient entry. Used to name the cause of an accuracy finding.</summary>
    public AnswerKind On { get; init; } = AnswerKind.Other;
    public int Index { get; init; } = -1;

    public double Deviation => Math.Abs(Actual - Exact);

    /// <summary>|actual − exact| / |exact| (∞ when the exact value is 0 and the answer is not).</summary>
    public double RelativeError => Exact == 0 ? (Actual == 0 ? 0 : double.PositiveInfinity) : Deviation / Math.Abs(Exact);

    /// <summary>Correct significant digits: −log10 of the relative error (17 for an exact answer).</summary>
    public double Digits => RelativeError == 0 ? 17 : Math.Max(0, -Math.Log10(RelativeError));

    /// <summary>One line a user can act on.</summary>
    public string Describe()
    {
        // a finding that judges no number (an exception, a wrong shape, a range fault: careful 0) is its
        // quantity and note; a judged number whose expected value is NaN too (a step from an ∞ gradient)
        // is not: its note leads to a value ("W - eta*dE/dW (eta = 0) is") and once ended the line there
        if (double.IsNaN(Actual) && double.IsNaN(Exact) && Careful == 0) return Quantity.Length == 0 ? Note ?? "" : $"{Quantity} {Note}";
        if (!double.IsFinite(Actual))
            return $"{Quantity} is {R(Actual)}" + (Zone == Zone.Range ? ": the textbook formulation cannot represent the answer here" : $", {Note ?? "exactly"} {R(Exact)}");
        string head = $"{Quantity} is {R(Actual)}, {Note ?? "exactly"} {R(Exact)}";
        string how = Note is not null && Exact != 0 ? $"ratio {(Actual / Exact).ToString("G6", CultureInfo.InvariantCulture)}"
            : $"off by {G(Deviation)}" + (Exact == 0 ? "" : $", relative error {G(RelativeError)}, {Digits.ToString("F1", CultureInfo.InvariantCulture)} correct digits");
        return Zone switch
        {
            Zone.Wrong => $"{head} ({how}); every standard formulation stays within {G(Textbook)} of it: a bug",
            Zone.Accuracy => $"{head} ({how}); careful arithmetic stays within {G(Careful)} of it, the textbook formulations within {G(Textbook)}",
            Zone.Range => $"{head} ({how}); the textbook formulation cannot represent this answer",
            _ => $"{head} (within {G(Careful)})",
        };
    }

    public override string ToString() => Describe();

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
