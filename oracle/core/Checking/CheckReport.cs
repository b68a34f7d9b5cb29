using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>One golden example of a check: skipped, failed, broken, or (none set) agreed.</summary>
public sealed class CaseResult(string name)
{
    public string Name { get; } = name;
    public string? Skipped { get; set; }
    /// <summary>Skipped because the implementation declined a network some standard formulation cannot represent.</summary>
    public bool DeclinedOutOfRange { get; set; }
    public PropertyVerdict? Failure { get; set; }
    public ProtocolException? Error { get; set; }
}

/// <summary>A property that failed: where, its verdict, the network shrunk while the same property
/// failed with the same kind of finding, and what the diagnosis made of the answers.</summary>
public sealed record Mismatch(string Where, int? Index, string? Example, string Property, PropertyVerdict Verdict, Network Original, Network Minimal,
                              int ShrinkSteps, PropertyVerdict MinimalVerdict, string Replay)
{
    public GradientReport? Table { get; set; }
    public Diagnosis.Result? Diagnosis { get; set; }
    public string? DiagnosisNote { get; set; }
    /// <summary>Set when judged in float64 and every answer the failing property used would be right
    /// in float32: the likeliest cause is float32 arithmetic that was not declared.</summary>
    public string? PrecisionHint { get; set; }
    /// <summary>For an accuracy or range finding (under --strict): the operations that lose the digits.</summary>
    public IReadOnlyList<Cause> Causes { get; set; } = [];
}

/// <summary>The implementation broke the protocol.</summary>
public sealed record Broken(string Where, int? Index, string? Example, ProtocolException Fault, Network? Original, int ShrinkSteps, string Note)
{
    public Network? Minimal { get; init; }
    public string? Replay { get; init; }
}

/// <summary>Accuracy or range findings of one kind across the run: the operation, how many networks
/// showed it, and the worst one.</summary>
public sealed class FindingSummary
{
    public required Zone Zone { get; init; }
    public required string Key { get; init; }
    public required string Operation { get; init; }
    public required string Fix { get; init; }
    public int Networks { get; private set; }
    string? last;
    /// <summary>Counts a network once, however many of its answers show this finding. The report takes
    /// the outcomes one network at a time, so remembering the last one is enough: nothing grows.</summary>
    public void Saw(string network)
    {
        if (network == last) return;
        last = network;
        Networks++;
    }
    /// <summary>The worst finding: the fewest correct digits (accuracy), or the first (range).</summary>
    public required Finding Worst { get; set; }
    public required string WorstNetwork { get; set; }
    public required string WorstWhere { get; set; }
    /// <summary>Digits careful arithmetic keeps there, minus the digits the answer kept.</summary>
    public double DigitsLost { get; set; }
    public string? Replay { get; set; }
}

/// <summary>What a check found: the model behind the text, JSON and JUnit writers (CheckReport.*.cs).</summary>
public sealed partial class CheckReport
{
    public required string Command { get; init; }
    public required ulong Seed { get; init; }
    public required int Count { get; init; }
    public required int TimeoutMs { get; init; }
    public required bool Strict { get; init; }
    /// <summary>--shape and --batch, when the random networks have a fixed architecture.</summary>
    public NetworkShape? Shape { get; init; }
    /// <summary>Implementation processes judged in parallel (the report is the same for any number).</summary>
    public int Jobs { get; init; } = 1;
    public string? Replay { get; init; }
    /// <summary>This run's share of the random networks (1/1: all of them).</summary>
    public Shard Shard { get; init; } = Shard.Whole;
    /// <summary>The random networks this run set out to judge (by index), once the random run started.</summary>
    public IndexSet RandomIndices { get; set; } = new(0, 1, 0);
    /// <summary>How many of <see cref="RandomIndices"/>, from the first, were judged and taken into the
    /// report (checked, skipped, or the one that failed).</summary>
    public int RandomJudged { get; set; }
    /// <summary>Set when a signal stopped the run: the report covers what was judged before.</summary>
    public Interruption? Interrupted { get; set; }
    public string Implementation { get; set; } = "?";
    public Capabilities Capabilities { get; set; } = Capabilities.Everything;
    /// <summary>The arithmetic judged: --precision, else hello's precision, else float64.</summary>
    public Precision Precision { get; set; } = Precision.Float64;
    public IReadOnlyList<string> UnknownCapabilities { get; set; } = [];
    public string? Unusable { get; set; }
    public List<CaseResult> Examples { get; } = [];
    public int ExamplesChecked, ExamplesSkipped, NetworksChecked, NetworksSkipped;
    /// <summary>Of the skipped random networks, those the implementation declined where some standard formulation
    /// cannot represent an answer: the handling the range findings' fixes recommend, not a gap in the check.</summary>
    public int NetworksDeclinedOutOfRange;
    /// <summary>Of the networks checked: how many had an accuracy finding, and how many a range finding.</summary>
    public int NetworksWithAccuracy, NetworksWithRange;
    /// <summary>Of the networks checked: how many had a finding of either kind (a network with both
    /// counts once here, and in each of the two above).</summary>
    public int NetworksWithFindings;
    public List<string> SkipExamples { get; } = [];
    public bool RandomRunStarted { get; set; }
    public List<FindingSummary> Accuracy { get; } = [];
    public List<FindingSummary> Range { get; } = [];
    /// <summary>Where the oracle's own cross-checks disagreed with the exact values (never a verdict on the implementation).</summary>
    public List<string> OracleProblems { get; } = [];
    public Mismatch? Mismatch { get; set; }
    public Broken? Broken { get; set; }

    /// <summary>pass, mismatch, protocol-error, unusable, or interrupted (stopped by a signal with
    /// nothing wrong in what was judged before).</summary>
    public string Verdict => Broken is not null ? "protocol-error" : Unusable is not null ? "unusable" : Mismatch is not null ? "mismatch"
                           : Interrupted is not null ? "interrupted" : "pass";
    /// <summary>0 pass, 1 mismatch, 2 a broken protocol or unusable; an interrupted run exits with its
    /// signal's code (129 SIGHUP, 130 SIGINT, 143 SIGTERM) whatever it found.</summary>
    public int ExitCode => Interrupted is { } i ? i.ExitCode : Verdict switch { "pass" => 0, "mismatch" => 1, _ => 2 };
}
