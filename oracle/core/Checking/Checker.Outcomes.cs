using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What judging one network found, before it touches the report: workers judge in parallel,
/// the report takes the outcomes in order (<see cref="Checker"/>).</summary>
sealed record Outcome(Network Network, string Where, int? Index, string? Example)
{
    public string? Skipped { get; init; }
    /// <summary>Skipped because the implementation declined a network some standard formulation cannot represent.</summary>
    public bool DeclinedOutOfRange { get; init; }
    /// <summary>A broken protocol (a non-finite value or an error where the textbook can represent every answer).</summary>
    public ProtocolException? Fault { get; init; }
    /// <summary>A non-finite value or an error reply where the textbook cannot represent some answer.</summary>
    public (Network Asked, string Answered)? RangeFault { get; init; }
    /// <summary>The first property that fails (wrong; or accuracy and range too under --strict).</summary>
    public (string Property, PropertyVerdict Verdict)? Failure { get; init; }
    /// <summary>Accuracy and range findings that do not fail, each with the operation behind it.</summary>
    public IReadOnlyList<(Finding Finding, Cause Cause)> Findings { get; init; } = [];
    public IReadOnlyList<string> OracleProblems { get; init; } = [];
}

sealed partial class Checker
{
    const string Unexplained = Tallies.Unexplained;

    /// <summary>Every property on one network through one implementation process; the causes of
    /// its findings and the exact values' own cross-check. Touches nothing shared.</summary>
    Outcome Judge(ProcessBackprop worker, Network n, string where, int? index, string? example)
    {
        var outcome = new Outcome(n, where, index, example);
        worker.ClearFaults();
        IReadOnlyList<(string Name, PropertyVerdict Verdict)> verdicts = Properties.Run(new CachingBackprop(worker), n, precision, o.Strict);
        if (worker.Fault is { } fault)
        {
            Network asked = fault.Network ?? n;
            // the textbook cannot represent some answer here: a range finding, not a broken protocol
            if (fault.Kind is ProtocolFailure.NonFinite or ProtocolFailure.ErrorReply && Truth.For(asked, precision).OutOfRange)
                return outcome with { RangeFault = (asked, $"{(fault.Kind == ProtocolFailure.NonFinite ? "a non-finite number" : "an error reply")}: {WithoutId(CheckRun.FirstLine(fault.Message))}") };
            return outcome with { Fault = fault };
        }
        if (worker.Declined is { } declined)
        {
            // declining where the textbook cannot represent an answer is what the range fixes recommend: said so,
            // and counted apart from the networks declined where every standard formulation can
            Truth asked = Truth.For(declined.Network ?? n, precision);
            string why = asked.OutOfRange ? $"; a standard formulation cannot represent some answer here ({asked.RangeCause})" : "";
            return outcome with { Skipped = $"declined by the implementation (unsupported): {declined.Message}{why}", DeclinedOutOfRange = asked.OutOfRange };
        }
        foreach (var (name, verdict) in verdicts)
            if (verdict.Fails(o.Strict)) return outcome with { Failure = (name, verdict) };

        Truth truth = Truth.For(n, precision);
        var findings = new List<(Finding, Cause)>();
        foreach (var (_, verdict) in verdicts)
            foreach (Finding f in verdict.Findings.Where(f => f.Zone is Zone.Accuracy or Zone.Range))
                findings.Add((f, Tallies.CauseOf(truth, f)));
        // a law between answers (the descent slope, a batch sum) is as accurate as the answers it
        // combines: its finding has the cause of the answers' own findings on this network
        Cause? answers = findings.Select(x => x.Item2).FirstOrDefault(c => c.Key != Unexplained);
        if (answers is not null)
            for (int i = 0; i < findings.Count; i++)
                if (findings[i].Item2.Key == Unexplained && findings[i].Item1.On == AnswerKind.Other)
                    findings[i] = (findings[i].Item1, answers);
        // the exact values' own cross-check, on every network: a problem of the oracle, never a verdict
        return outcome with { Findings = findings, OracleProblems = o.CrossCheck(truth, o.Seed) };
    }

    /// <summary>A message without its request id: ids count requests, which depend on the number of
    /// workers and on what went ahead, and a report must not.</summary>
    static string WithoutId(string message) => System.Text.RegularExpressions.Regex.Replace(message, @" \(id \d+\)", "");

    /// <summary>Takes one outcome into the report. False when the run must stop: a failure or a broken
    /// protocol, shrunk and diagnosed at once, or (<paramref name="deferFailure"/>, for the random run)
    /// after every worker has stopped.</summary>
    bool Apply(Outcome outcome, CaseResult result, bool deferFailure = false)
    {
        if (outcome.Skipped is { } skipped) { result.Skipped = skipped; result.DeclinedOutOfRange = outcome.DeclinedOutOfRange; return true; }
        if (outcome.RangeFault is var (asked, answered))
        {
            RangeFinding(outcome, asked, answered);
            if (!o.Strict) return true;
            result.Failure = new PropertyVerdict(Zone.Range, [], answered);
        }
        else if (outcome.Fault is { } fault) result.Error = fault;
        else if (outcome.Failure is var (_, verdict)) result.Failure = verdict;
        else
        {
            foreach (var (f, cause) in outcome.Findings)
                Tallies.Summarise(f.Zone == Zone.Accuracy ? report.Accuracy : report.Range, outcome.Where, f, cause, precision, () => ReplayCommand(outcome.Index, outcome.Example));
            if (outcome.Findings.Any(x => x.Finding.Zone == Zone.Accuracy)) report.NetworksWithAccuracy++;
            if (outcome.Findings.Any(x => x.Finding.Zone == Zone.Range)) report.NetworksWithRange++;
            if (outcome.Findings.Count > 0) report.NetworksWithFindings++;
            foreach (string problem in outcome.OracleProblems)
                if (report.OracleProblems.Count < 20) report.OracleProblems.Add($"{outcome.Where}: {problem}");
            return true;
        }
        if (!deferFailure) Fail(outcome);
        return false;
    }

    void RangeFinding(Outcome outcome, Network asked, string answered)
    {
        RangeIssue issue = Truth.For(asked, precision).RangeCause;
        report.NetworksWithRange++;
        report.NetworksWithFindings++;
        FindingSummary? s = report.Range.FirstOrDefault(x => x.Key == issue.Kind);
        var f = new Finding(Zone.Range, "", double.NaN, double.NaN, 0, double.PositiveInfinity, answered);
        if (s is null)
            report.Range.Add(s = new FindingSummary
            {
                Zone = Zone.Range, Key = issue.Kind, Operation = issue.Reason, Fix = Tallies.FixFor(issue),
                Worst = f, WorstNetwork = outcome.Where, WorstWhere = issue.Where, Replay = ReplayCommand(outcome.Index, outcome.Example),
            });
        s.Saw(outcome.Where);
    }
}

/// <summary>How findings become the report's summaries: the cause of each, and per cause the networks
/// counted and the worst finding kept. Static and separate from the run loop so that it can be tested
/// finding by finding.</summary>
static class Tallies
{
    public const string Unexplained = "unexplained";
    public const string RangeFix = "compute from the logits, shift the softmax, or decline with `unsupported`";

    /// <summary>The standard fix of a range issue: the overflow-free form of what overflows.</summary>
    public static string FixFor(RangeIssue issue) => issue.By switch
    {
        Formulation.TanhFromExponentials => "the library's tanh(net), or decline with `unsupported`",
        Formulation.SigmoidFromExponentials => "sigma(net) = 1/(1 + e^-net), sigma'(net) = sigma(net)*sigma(-net), or decline with `unsupported`",
        _ => RangeFix,
    };

    /// <summary>The cause of an accuracy or range finding: for a range finding the range issue of the
    /// commonest formulation that cannot represent that answer (<see cref="Causes.RangeIssueOf"/>), else the
    /// likeliest standard formulation behind it, else unexplained.</summary>
    public static Cause CauseOf(Truth truth, Finding f)
    {
        if (f.Zone == Zone.Range && truth.OutOfRange)
        {
            RangeIssue issue = Causes.RangeIssueOf(truth, f);
            return new Cause(issue.Kind, issue.Reason, issue.Where, FixFor(issue));
        }
        return Causes.Explain(truth, f).FirstOrDefault() ?? new Cause(Unexplained, "rounding beyond careful arithmetic", "-", "careful formulations");
    }

    /// <summary>Adds a finding of network <paramref name="where"/> to the summary of its cause: a
    /// network more, and the finding kept if it lost more digits than the worst so far.</summary>
    public static void Summarise(List<FindingSummary> into, string where, Finding f, Cause cause, Precision precision, Func<string?> replay)
    {
        double lost = Math.Max(0, CarefulDigits(f, precision) - f.Digits);
        FindingSummary? s = into.FirstOrDefault(x => x.Key == cause.Key);
        if (s is null)
        {
            into.Add(s = new FindingSummary
            {
                Zone = f.Zone, Key = cause.Key, Operation = cause.Operation, Fix = cause.Fix,
                Worst = f, WorstNetwork = where, WorstWhere = cause.Where, DigitsLost = lost, Replay = replay(),
            });
        }
        else if (lost > s.DigitsLost)
        {
            s.Worst = f; s.WorstNetwork = where; s.WorstWhere = cause.Where; s.DigitsLost = lost; s.Replay = replay();
        }
        s.Saw(where);
    }

    /// <summary>The digits careful arithmetic keeps here, at most the precision's own (7.2 in float32,
    /// 16.0 in float64): a float32 answer cannot lose 17 digits.</summary>
    public static double CarefulDigits(Finding f, Precision precision)
    {
        double most = -Math.Log10(PrecisionProfile.Of(precision).U);
        return f.Exact == 0 || f.Careful == 0 ? most : Math.Clamp(-Math.Log10(f.Careful / Math.Abs(f.Exact)), 0, most);
    }
}
