using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

public sealed class CaseResult(string name)
{
    public string Name { get; } = name;
    public string? Skipped { get; set; }
    public string? Failure { get; set; }
    public ProtocolException? Error { get; set; }
}

public sealed record Mismatch(string Where, int? Index, string? Example, string Property, string Message, Network Original, Network Minimal,
                       int ShrinkSteps, string MinimalProperty, string MinimalMessage, string Replay)
{
    public GradientReport? Table { get; set; }
    public IReadOnlyList<Bug>? Diagnosis { get; set; }
    public string? DiagnosisNote { get; set; }
}

public sealed record Broken(string Where, int? Index, string? Example, ProtocolException Fault, Network? Original, int ShrinkSteps, string Note)
{
    public Network? Minimal { get; init; }
    public string? Replay { get; init; }
}

/// <summary>What a check found: the model behind the text, JSON and JUnit writers (CheckReport.*.cs).</summary>
public sealed partial class CheckReport
{
    public required string Command { get; init; }
    public required ulong Seed { get; init; }
    public required int Count { get; init; }
    public required int TimeoutMs { get; init; }
    public string? Replay { get; init; }
    public string Implementation { get; set; } = "?";
    public Capabilities Capabilities { get; set; } = Capabilities.Everything;
    public IReadOnlyList<string> UnknownCapabilities { get; set; } = [];
    public string? Unusable { get; set; }
    public List<CaseResult> Examples { get; } = [];
    public int ExamplesChecked, ExamplesSkipped, NetworksChecked, NetworksSkipped;
    public List<string> SkipExamples { get; } = [];
    public bool RandomRunStarted { get; set; }
    public Mismatch? Mismatch { get; set; }
    public Broken? Broken { get; set; }

    public string Verdict => Broken is not null ? "protocol-error" : Unusable is not null ? "unusable" : Mismatch is not null ? "mismatch" : "pass";
    public int ExitCode => Verdict switch { "pass" => 0, "mismatch" => 1, _ => 2 };
}
