using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

public sealed partial class CheckReport
{
    // ---------------------------------------------------------- --junit

    /// <summary>One testcase per golden example (in shard 1), one per property over the random run;
    /// an interrupted run has a testcase "interrupted" in error.</summary>
    public string JUnit()
    {
        var golden = new XElement("testsuite", new XAttribute("name", Shard.HasExamples || Replay is not null ? "golden examples" : $"golden examples (checked by shard 1/{Shard.N})"));
        foreach (CaseResult e in Examples)
        {
            var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.golden"), new XAttribute("name", e.Name));
            if (e.Error is not null) c.Add(Error(Broken!));
            else if (e.Failure is not null) c.Add(Failure(Mismatch!));
            else if (e.Skipped is not null) c.Add(new XElement("skipped", new XAttribute("message", e.Skipped)));
            golden.Add(c);
        }
        if (Replay is null && Shard.HasExamples)        // the examples after the one the check stopped at
            foreach (string name in BackpropSpec.Oracle.Examples.Names.Where(n => Examples.All(e => e.Name != n)))
                golden.Add(new XElement("testcase", new XAttribute("classname", "backprop-spec.golden"), new XAttribute("name", name),
                    new XElement("skipped", new XAttribute("message", Interrupted is { } stop && Broken is null && Mismatch is null
                        ? $"not run: the check was interrupted by {stop.Signal}" : "not run: the check stopped at the first failure"))));
        var random = new XElement("testsuite", new XAttribute("name", $"random networks (seed {Seed}, count {Count}{(Shard.IsWhole ? "" : $", shard {Shard}")})"));
        bool brokenInRandom = Broken is { } br && br.Index is not null;
        bool mismatchInRandom = Mismatch is { } mm && mm.Index is not null;
        foreach (var (name, _) in Properties.All)
        {
            var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.random"), new XAttribute("name", name));
            if (!RandomRunStarted || Unusable is not null)
                c.Add(new XElement("skipped", new XAttribute("message", Interrupted is { } stop && Broken is null && Unusable is null
                    ? $"not run: the check was interrupted by {stop.Signal} before the random networks" : "not run: the check stopped before the random networks")));
            else if (mismatchInRandom && Mismatch!.Property == name) c.Add(Failure(Mismatch));
            else c.Add(new XElement("system-out", $"held on {NetworksChecked} random network{(NetworksChecked == 1 ? "" : "s")} ({NetworksSkipped} skipped)"));
            random.Add(c);
        }
        // a failure outside the properties (under --strict, an answer the textbook cannot represent) is a
        // failing test case of its own: a JUnit report without a failure must never stand for a failed check
        if (mismatchInRandom && Properties.All.All(p => p.Name != Mismatch!.Property))
            random.Add(new XElement("testcase", new XAttribute("classname", "backprop-spec.random"), new XAttribute("name", Mismatch!.Property), Failure(Mismatch)));
        // accuracy and range findings: a testcase each, passing (with the finding as output) unless --strict
        foreach (FindingSummary s in Accuracy.Concat(Range))
        {
            var c = new XElement("testcase", new XAttribute("classname", $"backprop-spec.{Zones.Name(s.Zone)}"), new XAttribute("name", s.Key));
            string text = $"{s.Operation}: {s.Networks} network{(s.Networks == 1 ? "" : "s")}\nworst: {s.WorstNetwork}, at {s.WorstWhere}: {s.Worst.Describe()}\nthe standard fix: {s.Fix}";
            c.Add(new XElement("system-out", text));
            random.Add(c);
        }
        if (brokenInRandom || Broken is { Where: "hello" } || Unusable is not null)
        {
            var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.protocol"), new XAttribute("name", Broken?.Where ?? "hello"));
            c.Add(Broken is not null ? Error(Broken) : new XElement("error", new XAttribute("message", Unusable!), new XAttribute("type", "unusable")));
            random.Add(c);
        }
        if (Interrupted is { } interrupted)
        {
            string where = InterruptedWhere();
            random.Add(new XElement("testcase", new XAttribute("classname", "backprop-spec.run"), new XAttribute("name", "interrupted"),
                new XElement("error", new XAttribute("message", $"interrupted by {interrupted.Signal} {where}"), new XAttribute("type", "interrupted"),
                    $"The check was interrupted by {interrupted.Signal} {where} (exit code {interrupted.ExitCode}); the other test cases cover what was judged before.")));
        }
        var suites = new XElement("testsuites", new XAttribute("name", $"backprop-spec check: {Implementation}"), golden, random);
        foreach (XElement s in suites.Elements("testsuite").Append(suites))
        {
            IEnumerable<XElement> cases = s.Descendants("testcase");
            s.Add(new XAttribute("tests", cases.Count()), new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
                  new XAttribute("errors", cases.Count(c => c.Element("error") is not null)), new XAttribute("skipped", cases.Count(c => c.Element("skipped") is not null)));
        }
        var settings = new XmlWriterSettings { Indent = true, NewLineChars = "\n", Encoding = new UTF8Encoding(false) };
        var buffer = new MemoryStream();
        using (XmlWriter x = XmlWriter.Create(buffer, settings)) new XDocument(suites).Save(x);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    XElement Failure(Mismatch m) => new("failure", new XAttribute("message", FirstLine(m.Verdict.Message)), new XAttribute("type", Zones.Name(m.Verdict.Zone)),
        $"{m.Verdict.Message}\n\nshrunk to:\n{m.Minimal}\n\nits failure: {m.MinimalVerdict.Message}\n\ndiagnosis: {DiagnosisText(m)}\n\nreplay: {m.Replay}");

    static XElement Error(Broken b) => new("error", new XAttribute("message", FirstLine(b.Fault.Message)), new XAttribute("type", b.Fault.KindName),
        b.Fault.Message + (b.Fault.Network is { } n ? $"\n\nnetwork of the `{b.Fault.Op}` request:\n{n}" : "") + (b.Replay is null ? "" : $"\n\nreplay: {b.Replay}"));
}
