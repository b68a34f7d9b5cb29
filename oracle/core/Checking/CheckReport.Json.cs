using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

public sealed partial class CheckReport
{
    // ---------------------------------------------------------- --json

    /// <summary>The report as JSON, with only the escapes JSON needs (a file, never HTML: σ′ and
    /// 'python3 backprop.py' read as written).</summary>
    public string Json()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", "backprop-spec/check-report@1");
            w.WriteString("implementation", Implementation);
            w.WriteString("command", Command);
            w.WriteNumber("seed", Seed);
            w.WriteNumber("count", Count);
            w.WriteNumber("timeoutMs", TimeoutMs);
            w.WriteString("precision", PrecisionProfile.Of(Precision).Name);
            w.WriteBoolean("strict", Strict);
            if (Shape is { } shape)
            {
                w.WriteString("shape", string.Join("-", shape.Sizes));
                if (shape.Batch is { } batch) w.WriteNumber("batch", batch);
            }
            if (Replay is not null) w.WriteString("replay", Replay);
            w.WriteString("shard", Shard.ToString());
            w.WriteStartObject("capabilities");
            w.WriteStartArray("activations");
            foreach (Activation a in Capabilities.Activations) w.WriteStringValue(Activations.Name(a));
            w.WriteEndArray();
            w.WriteStartArray("losses");
            foreach (LossKind l in Capabilities.Losses) w.WriteStringValue(Loss.Name(l));
            w.WriteEndArray();
            w.WriteStartArray("ignored");
            foreach (string u in UnknownCapabilities) w.WriteStringValue(u);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteString("verdict", Verdict);
            w.WriteNumber("exitCode", ExitCode);
            w.WriteStartObject("counts");
            w.WriteNumber("examples", ExamplesChecked);
            w.WriteNumber("examplesSkipped", ExamplesSkipped);
            w.WriteNumber("networks", NetworksChecked);
            w.WriteNumber("skippedUnsupported", NetworksSkipped);
            w.WriteNumber("declinedOutOfRange", NetworksDeclinedOutOfRange);
            w.WriteNumber("withAccuracyFindings", NetworksWithAccuracy);
            w.WriteNumber("withRangeFindings", NetworksWithRange);
            w.WriteNumber("withAnyFindings", NetworksWithFindings);
            w.WriteEndObject();
            // the random networks judged, as the indices start + step·j for j < judged: what N shards
            // together cover, and what an interrupted run got through
            w.WriteStartObject("randomIndices");
            w.WriteNumber("start", RandomIndices.Start);
            w.WriteNumber("step", RandomIndices.Step);
            w.WriteNumber("judged", RandomJudged);
            w.WriteNumber("planned", RandomIndices.Count);
            w.WriteEndObject();
            if (Interrupted is { } interrupted)
            {
                w.WriteStartObject("interrupted");
                w.WriteString("signal", interrupted.Signal);
                w.WriteNumber("exitCode", interrupted.ExitCode);
                w.WriteString("phase", RandomRunStarted ? "random networks" : Implementation == "?" ? "hello" : "golden examples");
                w.WriteNumber("examplesJudged", Examples.Count);
                w.WriteNumber("randomJudged", RandomJudged);
                w.WriteEndObject();
            }
            WriteSummaries(w, "accuracy", Accuracy);
            WriteSummaries(w, "range", Range);
            w.WriteStartArray("oracleProblems");
            foreach (string p in OracleProblems) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteStartArray("examples");
            foreach (CaseResult e in Examples)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("result", e.Error is not null ? "protocol-error" : e.Failure is not null ? "mismatch" : e.Skipped is not null ? "skipped" : "pass");
                if (e.Failure is not null) w.WriteString("zone", Zones.Name(e.Failure.Zone));
                if (e.Skipped is not null) w.WriteString("reason", e.Skipped);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (Unusable is not null) w.WriteString("unusable", Unusable);
            if (Mismatch is { } m) WriteMismatch(w, m);
            if (Broken is { } b) WriteBroken(w, b);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    static void WriteSummaries(Utf8JsonWriter w, string name, List<FindingSummary> summaries)
    {
        w.WriteStartArray(name);
        foreach (FindingSummary s in summaries)
        {
            w.WriteStartObject();
            w.WriteString("cause", s.Key);
            w.WriteString("operation", s.Operation);
            w.WriteString("fix", s.Fix);
            w.WriteNumber("networks", s.Networks);
            if (s.Zone == Zone.Accuracy) w.WriteNumber("digitsLost", Math.Round(s.DigitsLost, 2));
            w.WriteString("worstNetwork", s.WorstNetwork);
            w.WriteString("worstWhere", s.WorstWhere);
            w.WritePropertyName("worst");
            WriteFinding(w, s.Worst);
            if (s.Replay is not null) w.WriteString("replay", s.Replay);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static void WriteFinding(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("zone", Zones.Name(f.Zone));
        w.WriteString("quantity", f.Quantity);
        Number(w, "actual", f.Actual);
        Number(w, "exact", f.Exact);
        Number(w, "careful", f.Careful);
        Number(w, "textbook", f.Textbook);
        w.WriteString("message", f.Describe());
        w.WriteEndObject();
    }

    static void WriteMismatch(Utf8JsonWriter w, Mismatch m)
    {
        w.WriteStartObject("failure");
        w.WriteString("where", m.Where);
        if (m.Index is { } i) w.WriteNumber("index", i);
        if (m.Example is not null) w.WriteString("example", m.Example);
        w.WriteString("property", m.Property);
        w.WriteString("zone", Zones.Name(m.Verdict.Zone));
        w.WriteString("message", m.Verdict.Message);
        w.WritePropertyName("network");
        NetworkJson.Write(w, m.Original);
        w.WriteNumber("shrinkSteps", m.ShrinkSteps);
        w.WritePropertyName("minimalNetwork");
        NetworkJson.Write(w, m.Minimal);
        w.WriteString("minimalMessage", m.MinimalVerdict.Message);
        w.WriteStartArray("minimalFindings");
        foreach (Finding f in m.MinimalVerdict.Findings.Take(50)) WriteFinding(w, f);
        w.WriteEndArray();
        w.WriteStartArray("table");
        foreach (GradientRow r in m.Table?.Rows ?? [])
        {
            w.WriteStartObject();
            w.WriteString("parameter", r.Parameter.ToString());
            Number(w, "implementation", r.Actual);
            Number(w, "exact", r.Exact);
            Number(w, "careful", r.Careful);
            Number(w, "textbook", r.Textbook);
            w.WriteString("verdict", Zones.Name(r.Zone));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("causes");
        foreach (Cause c in m.Causes)
        {
            w.WriteStartObject();
            w.WriteString("cause", c.Key);
            w.WriteString("operation", c.Operation);
            w.WriteString("where", c.Where);
            w.WriteString("fix", c.Fix);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("replay", m.Replay);
        if (m.PrecisionHint is not null) w.WriteString("precisionHint", m.PrecisionHint);
        w.WriteEndObject();
        w.WriteStartObject("diagnosis");
        w.WriteStartArray("matches");
        foreach (Bug b in m.Diagnosis?.Classes ?? [])
        {
            w.WriteStartObject();
            w.WriteString("bug", Bugs.Name(b));
            w.WriteString("description", Bugs.Describe(b));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (m.Diagnosis is { Pattern.Length: > 0 } d) w.WriteString("pattern", d.Pattern);
        w.WriteNumber("classesCompared", Bugs.All.Count);
        if (m.DiagnosisNote is not null) w.WriteString("note", m.DiagnosisNote);
        w.WriteEndObject();
    }

    static void WriteBroken(Utf8JsonWriter w, Broken b)
    {
        w.WriteStartObject("protocolError");
        w.WriteString("kind", b.Fault.KindName);
        w.WriteString("where", b.Where);
        if (b.Index is { } i) w.WriteNumber("index", i);
        if (b.Example is not null) w.WriteString("example", b.Example);
        w.WriteString("op", b.Fault.Op);
        w.WriteString("message", b.Fault.Message);
        if (b.Fault.ExitCode is { } code) w.WriteNumber("exitCode", code);
        if (b.Fault.StderrTail is { } tail) w.WriteString("stderr", tail);
        if (b.Fault.Network is { } sent) { w.WritePropertyName("network"); NetworkJson.Write(w, sent); }
        if (b.Minimal is not null) w.WriteNumber("shrinkSteps", b.ShrinkSteps);
        if (b.Note.Length > 0) w.WriteString("note", b.Note);
        if (b.Replay is not null) w.WriteString("replay", b.Replay);
        w.WriteEndObject();
    }

    /// <summary>NaN and ±∞ are not JSON: written as null.</summary>
    static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
