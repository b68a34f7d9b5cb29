using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Protocol;
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
        sb.Append($"supports: activations {string.Join(", ", Capabilities.Activations.Select(Activations.Name))}; losses {string.Join(", ", Capabilities.Losses.Select(Loss.Name))}\n");
        if (UnknownCapabilities.Count > 0) sb.Append($"ignored (unknown to this checker): {string.Join(", ", UnknownCapabilities)}\n");
        if (Unusable is not null) { sb.Append($"UNUSABLE: {Unusable}\n"); return sb.ToString(); }
        if (Examples.Count > 0 || Replay is null)
            sb.Append($"golden examples: {ExamplesChecked} agree, {ExamplesSkipped} skipped{Skips(Examples.Where(e => e.Skipped is not null).Select(e => $"{e.Name}: {e.Skipped}"))}\n");
        if (RandomRunStarted && (Replay is null || Examples.Count == 0))
            sb.Append($"random networks (seed {Seed}, count {Count}): {NetworksChecked} agree, {NetworksSkipped} skipped{Skips(SkipExamples)}\n");

        if (Mismatch is { } m)
        {
            sb.Append($"\nMISMATCH in {m.Where}{(m.Index is null ? "" : $" (seed {Seed}, count {Count})")}\n");
            sb.Append($"  {FirstLine(m.Message)}\n");
            sb.Append($"\nshrunk in {m.ShrinkSteps} steps to this network ({Shape(m.Minimal)}):\n{m.Minimal}\n");
            sb.Append($"\nits failure: {m.MinimalMessage}\n");
            if (m.Table is not null) sb.Append($"\nper-parameter gradients of the shrunk network, worst first:\n{m.Table.Table()}");
            sb.Append($"\ndiagnosis: {DiagnosisText(m)}\n");
            sb.Append($"\nreplay: {m.Replay}\n");
            sb.Append("FAIL: the implementation disagrees with the reference and the derivative oracles\n");
        }
        else if (Broken is { } b)
        {
            sb.Append($"\nPROTOCOL ERROR ({b.Fault.KindName}) in {b.Where}\n");
            sb.Append($"  {b.Fault.Message.Replace("\n", "\n  ")}\n");
            if (b.Fault.Network is { } sent)
            {
                string shrunk = b.Minimal is null ? $" ({b.Note})" : $" (shrunk in {b.ShrinkSteps} steps{(b.Note.Length > 0 ? "; " + b.Note : "")})";
                sb.Append($"\nthe network of that `{b.Fault.Op}` request{shrunk}:\n{sent}\n");
            }
            if (b.Replay is not null) sb.Append($"\nreplay: {b.Replay}\n");
            sb.Append($"BROKEN: the implementation does not speak the protocol ({b.Fault.KindName})\n");
        }
        else sb.Append("PASS: every answer agrees with the reference and the derivative oracles\n");
        return sb.ToString();
    }

    static string Skips(IEnumerable<string> reasons)
    {
        string[] r = reasons.ToArray();
        return r.Length == 0 ? "" : ":\n" + string.Join("\n", r.Select(x => "  " + x)) ;
    }

    static string FirstLine(string s) => s.Split('\n')[0];

    static string Shape(Network n) =>
        $"{n.Inputs}-{string.Join("-", n.Layers.Select(l => l.Units))}, {string.Join("/", n.Layers.Select(l => Activations.Name(l.Activation)))}, {Loss.Name(n.Loss)}, batch of {n.BatchSize}";

    static string DiagnosisText(Mismatch m)
    {
        if (m.Diagnosis is null) return m.DiagnosisNote ?? "not run";
        if (m.Diagnosis.Count == 0)
            return "no known bug class reproduces these answers (the oracle's mutants of every class were compared on the shrunk and the original network)";
        string classes = string.Join("\n", m.Diagnosis.Select(b => $"  {Bugs.Name(b)}: {Bugs.Describe(b)}"));
        return $"the answers match {(m.Diagnosis.Count == 1 ? "the bug class" : "each of these bug classes")} (reproduced on the shrunk and the original network)\n{classes}";
    }
}
