using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

public sealed partial class CheckReport
{
    // ---------------------------------------------------------- text (stdout)

    public string Text()
    {
        var sb = new StringBuilder();
        sb.Append($"implementation: {Implementation} ({Command})\n");
        if (Broken is { Where: "hello" } hello)
        {
            sb.Append($"PROTOCOL ERROR ({hello.Fault.KindName}) in hello: {hello.Fault.Message}\n");
            return sb.ToString();
        }
        if (Interrupted is { } early && Implementation == "?")
        {
            sb.Append($"INTERRUPTED by {early.Signal} in hello: nothing was judged\n");
            return sb.ToString();
        }
        sb.Append($"supports: activations {string.Join(", ", Capabilities.Activations.Select(Activations.Name))}; losses {string.Join(", ", Capabilities.Losses.Select(Loss.Name))}\n");
        sb.Append($"judged in: {PrecisionProfile.Of(Precision).Name}{(Strict ? ", strict (accuracy and range findings fail)" : "")}\n");
        if (UnknownCapabilities.Count > 0) sb.Append($"ignored (unknown to this checker): {string.Join(", ", UnknownCapabilities)}\n");
        if (Unusable is not null) { sb.Append($"UNUSABLE: {Unusable}\n"); return sb.ToString(); }
        if (Replay is null && !Shard.HasExamples)
            sb.Append($"golden examples: checked by shard 1/{Shard.N}\n");
        else if (Examples.Count > 0 || Replay is null)
            sb.Append($"golden examples: {ExamplesChecked} checked, {ExamplesSkipped} skipped{Skips([.. Examples.Where(e => e.Skipped is not null).Select(e => $"{e.Name}: {e.Skipped}")], ExamplesSkipped)}\n");
        if (RandomRunStarted && (Replay is null || Examples.Count == 0))
            sb.Append($"random networks (seed {Seed}, count {Count}{(Shape is null ? "" : $", shape {Shape}")}{ShardText()}): {NetworksChecked} checked, {NetworksSkipped} skipped{DeclinedText()}{Skips(SkipExamples, NetworksSkipped)}\n");
        if (Interrupted is { } interrupted)
            sb.Append($"INTERRUPTED by {interrupted.Signal} {InterruptedWhere()}: this report covers what was judged before\n");
        AppendFindings(sb, Accuracy, "accuracy findings (right, but numerically weaker than careful arithmetic)");
        AppendFindings(sb, Range, "range findings (where a standard textbook formulation, named on each line, cannot represent the answer; not necessarily the one your code uses)");
        if (OracleProblems.Count > 0)
            sb.Append($"\noracle self-check problems (the exact values' own cross-checks; not a verdict on the implementation):\n{string.Join("\n", OracleProblems.Select(p => "  " + p))}\n");

        if (Mismatch is { } m)
        {
            string what = m.Verdict.Zone == Zone.Wrong ? "WRONG" : $"{Zones.Name(m.Verdict.Zone).ToUpperInvariant()} (fails under --strict)";
            sb.Append($"\n{what} in {m.Where}{(m.Index is null ? "" : $" (seed {Seed}, count {Count})")}: {m.Property}\n");
            sb.Append($"  {FirstLine(m.Verdict.Message)}\n");
            sb.Append(m.ShrinkSteps == 0
                ? $"\nthe network it fails on ({ShapeOf(m.Minimal)}):\n{m.Minimal}\n"
                : $"\nshrunk in {Steps(m.ShrinkSteps)} to this network ({ShapeOf(m.Minimal)}), on which the same property fails the same way:\n{m.Minimal}\n");
            sb.Append($"\nits failure: {m.MinimalVerdict.Message}\n");
            if (m.Table is not null) sb.Append($"\nper-parameter gradients of the shrunk network against the exact values, worst first:\n{m.Table.Table()}");
            if (m.Causes.Count > 0) sb.Append($"\ncause: {string.Join("\n  ", m.Causes)}\n");
            if (m.PrecisionHint is not null) sb.Append($"\nprecision: {m.PrecisionHint}\n");
            if (m.Verdict.Zone == Zone.Wrong) sb.Append($"\ndiagnosis: {DiagnosisText(m)}\n");
            sb.Append($"\nreplay: {m.Replay}\n");
            sb.Append(m.Verdict.Zone switch
            {
                Zone.Wrong => "FAIL: the implementation is wrong: an answer lies beyond every rounding bound of every standard formulation\n",
                Zone.Range => "FAIL (--strict): an answer the implementation's formulation cannot represent, where careful arithmetic can\n",
                _ => "FAIL (--strict): an answer is less accurate than careful arithmetic allows\n",
            });
        }
        else if (Broken is { } b)
        {
            sb.Append($"\nPROTOCOL ERROR ({b.Fault.KindName}) in {b.Where}\n");
            sb.Append($"  {b.Fault.Message.Replace("\n", "\n  ")}\n");
            if (b.Fault.Network is { } sent)
            {
                string shrunk = b.Minimal is null ? $" ({b.Note})" : $" (shrunk in {Steps(b.ShrinkSteps)}{(b.Note.Length > 0 ? "; " + b.Note : "")})";
                sb.Append($"\nthe network of that `{b.Fault.Op}` request{shrunk}:\n{sent}\n");
            }
            if (b.Replay is not null) sb.Append($"\nreplay: {b.Replay}\n");
            sb.Append($"BROKEN: the implementation does not speak the protocol ({b.Fault.KindName})\n");
        }
        else
        {
            int checkedAll = ExamplesChecked + NetworksChecked;
            // a run whose every network was skipped judged nothing: it must not read as every answer agreeing
            string findings = checkedAll == 0 ? "no network was checked: every one was skipped (see the skipped counts above)"
                : NetworksWithFindings == 0 ? "every answer agrees with the exact values"
                : $"{checkedAll - NetworksWithFindings} of {checkedAll} networks agree throughout; {NetworksWithAccuracy} with accuracy findings, {NetworksWithRange} with range findings (--strict makes them fail)";
            sb.Append(Interrupted is { } i
                ? $"INTERRUPTED by {i.Signal}: nothing is wrong in the {checkedAll} networks judged before: {findings}\n"
                : $"PASS: nothing is wrong: {findings}\n");
        }
        return sb.ToString();
    }

    static void AppendFindings(StringBuilder sb, List<FindingSummary> summaries, string title)
    {
        if (summaries.Count == 0) return;
        sb.Append($"\n{title}:\n");
        foreach (FindingSummary s in summaries)
        {
            string lost = s.Zone == Zone.Accuracy ? $", up to {s.DigitsLost.ToString("F1", CultureInfo.InvariantCulture)} digits lost" : "";
            sb.Append($"  {s.Operation}: {s.Networks} network{(s.Networks == 1 ? "" : "s")}{lost}\n");
            sb.Append($"    worst: {s.WorstNetwork}, at {s.WorstWhere}: {s.Worst.Describe()}\n");
            sb.Append($"    the standard fix: {s.Fix}\n");
            if (s.Replay is not null) sb.Append($"    replay: {s.Replay}\n");
        }
    }

    /// <summary>How many of the skipped networks were declined out of the textbook range, where declining is right.</summary>
    string DeclinedText() => NetworksDeclinedOutOfRange == 0 ? ""
        : $" ({(NetworksDeclinedOutOfRange == NetworksSkipped ? "each" : $"{NetworksDeclinedOutOfRange} of them")} declined where a standard formulation cannot represent some answer, as the range fixes recommend)";

    /// <summary>The first skipped networks with their reasons, and how many more were skipped than are listed.</summary>
    static string Skips(IReadOnlyList<string> reasons, int skipped) =>
        reasons.Count == 0 ? "" : ":\n" + string.Join("\n", reasons.Select(x => "  " + x))
                                  + (skipped > reasons.Count ? $"\n  ... and {skipped - reasons.Count} more" : "");

    static string Steps(int n) => n == 1 ? "1 step" : $"{n} steps";

    static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>", shard K/N: i mod N = K − 1" for a shard, nothing for a whole run.</summary>
    string ShardText() => Shard.IsWhole ? "" : $", shard {Shard}: every index i with i mod {Shard.N} = {Shard.K - 1}";

    /// <summary>Where the run was when it was interrupted: after how many networks of which phase.</summary>
    string InterruptedWhere() => RandomRunStarted
        ? $"after {RandomJudged} of {RandomIndices.Count} random networks{(Shard.IsWhole ? "" : $" of shard {Shard}")}"
        : $"after {Examples.Count} of the golden examples, before the random networks";

    static string ShapeOf(Network n) =>
        $"{n.Inputs}-{string.Join("-", n.Layers.Select(l => l.Units))}, {string.Join("/", n.Layers.Select(l => Activations.Name(l.Activation)))}, {Loss.Name(n.Loss)}, batch of {n.BatchSize}";

    static string DiagnosisText(Mismatch m)
    {
        if (m.Diagnosis is not { } d) return m.DiagnosisNote ?? "not run";
        string pattern = d.Pattern.Length > 0 ? $"\n  the pattern: {d.Pattern}" : "";
        const string Asked = "the shrunk and the original network, the networks the properties derive from them, and a few fixed probe networks";
        if (d.Classes.Count == 0)
            return $"no known bug class explains these answers (all {Bugs.All.Count} classes compared on {Asked}){pattern}";
        string classes = string.Join("\n", d.Classes.Select(b => $"  {Bugs.Name(b)}: {Bugs.Describe(b)}"));
        string which = d.Classes.Count == 1 ? "the answers show the bug class" : "the answers show each of these bug classes (the one that explains most first)";
        return $"{which} (compared on {Asked})\n{classes}{pattern}";
    }
}
