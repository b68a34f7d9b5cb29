using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec check --impl "&lt;command line&gt;"`: the oracle for an implementation in any language.
/// Every golden example, then N random networks within what the implementation's hello lists, each
/// through every property (<see cref="Properties.All"/>). The first mismatch is shrunk through the
/// protocol to a minimal network and diagnosed against the known bug classes.
///
/// Exit codes: 0 every answer agrees; 1 a mismatch; 2 bad usage or a broken protocol. stdout and the
/// --json / --junit reports depend on the seed and the implementation's answers only: no times, no
/// paths of temporary files. Timing goes to stderr.
/// </summary>
public static class Check
{
    public const ulong DefaultSeed = RunSettings.DefaultSeed;
    public const int DefaultCount = 1000, DefaultTimeoutMs = 10000;

    /// <summary>How many candidate networks a wrong-shape, non-finite or error-reply failure may try
    /// while shrinking: a bound on the cost that keeps the report deterministic.</summary>
    const int ProtocolShrinkBudget = 150;

    public const string Usage = """
          backprop-spec check --impl "<command line>" [--count N] [--seed S] [--timeout-ms T]
                              [--json FILE] [--junit FILE] [--replay INDEX|EXAMPLE]
              check an implementation that speaks the process protocol (oracle/PROTOCOL.md):
              every golden example, then N random networks (default 1000) from seed S (default
              20261123), each request within T ms (default 10000). The first mismatch is shrunk to a
              minimal network and matched against the known bug classes.
              exit 0: every answer agrees; 1: a mismatch; 2: bad usage or a broken protocol
              (crash, hang, garbage, wrong-id, wrong-shape, non-finite, error-reply).
              --json / --junit write a machine report / JUnit XML; --replay checks one network only.
        """;

    sealed record Options(string Impl, int Count, ulong Seed, int TimeoutMs, string? Json, string? Junit, string? Replay);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Any(a => a is "-h" or "--help")) { stdout.Write(Usage); return 0; }
        Options o = Parse(args);
        var clock = Stopwatch.StartNew();
        Report report;
        ProcessBackprop? impl = null;
        try
        {
            impl = new ProcessBackprop(o.Impl, o.TimeoutMs);
            report = new Checker(impl, o).Run();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // the oracle itself never crashes: whatever went wrong is said, with exit 2
            stderr.WriteLine($"backprop-spec check: internal error while checking: {e.GetType().Name}: {e.Message}");
            stderr.WriteLine(Environment.GetEnvironmentVariable("BACKPROPSPEC_DEBUG") is null
                ? "(this is a bug in backprop-spec; set BACKPROPSPEC_DEBUG=1 for the stack trace)" : e.ToString());
            impl?.Dispose();
            return 2;
        }
        finally { impl?.Dispose(); }

        stdout.Write(report.Text());
        try
        {
            if (o.Json is not null) File.WriteAllText(o.Json, report.Json());
            if (o.Junit is not null) File.WriteAllText(o.Junit, report.JUnit());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            stderr.WriteLine($"backprop-spec check: could not write a report: {e.Message}");
            return 2;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        int networks = report.ExamplesChecked + report.NetworksChecked + report.NetworksSkipped;
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"backprop-spec check: {networks} networks in {seconds:F2} s ({networks / Math.Max(seconds, 1e-9):F0} per second), {impl?.Requests ?? 0} requests, {impl?.Starts ?? 0} process start(s); {impl?.Waiting.TotalSeconds ?? 0:F2} s of it waiting for the implementation"));
        return report.ExitCode;
    }

    static Options Parse(string[] args)
    {
        string? impl = null, json = null, junit = null, replay = null;
        int count = DefaultCount, timeout = DefaultTimeoutMs;
        ulong seed = DefaultSeed;
        for (int k = 0; k < args.Length; k++)
        {
            string Value() => k + 1 < args.Length ? args[++k] : throw new Commands.UsageException($"check: {args[k]} needs a value");
            switch (args[k])
            {
                case "--impl": impl = Value(); break;
                case "--count": count = Int(Value(), "--count", 0); break;
                case "--timeout-ms": timeout = Int(Value(), "--timeout-ms", 1); break;
                case "--seed":
                    string s = Value();
                    if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
                        throw new Commands.UsageException($"check: --seed expects a whole number from 0 to {ulong.MaxValue}, got '{s}'");
                    break;
                case "--json": json = Value(); break;
                case "--junit": junit = Value(); break;
                case "--replay": replay = Value(); break;
                default: throw new Commands.UsageException($"check: unknown option '{args[k]}'");
            }
        }
        if (impl is null) throw new Commands.UsageException("check needs --impl \"<command line>\", for example --impl \"python3 examples/python/backprop.py\"");
        if (string.IsNullOrWhiteSpace(impl)) throw new Commands.UsageException("check: --impl is empty");
        if (replay is not null && !int.TryParse(replay, NumberStyles.None, CultureInfo.InvariantCulture, out _)) Examples.Text(replay);   // an unknown name: ArgumentException with the list
        if (replay is not null && int.TryParse(replay, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index >= count)
            throw new Commands.UsageException($"check: --replay {index} is not below --count {count}");
        return new Options(impl, count, seed, timeout, json, junit, replay);
    }

    static int Int(string s, string option, int min) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new Commands.UsageException($"check: {option} expects a whole number ≥ {min}, got '{s}'");

    // ------------------------------------------------------------------ the run

    sealed class Checker(ProcessBackprop impl, Options o)
    {
        readonly Report report = new() { Command = o.Impl, Seed = o.Seed, Count = o.Count, TimeoutMs = o.TimeoutMs, Replay = o.Replay };

        public Report Run()
        {
            try { impl.Start(); }
            catch (ProtocolException e)
            {
                report.Broken = new Broken("hello", null, null, e, null, 0, "the implementation did not get through hello");
                return report;
            }
            report.Implementation = impl.Name;
            report.Capabilities = Usable(impl.Capabilities, out string? unusable);
            report.UnknownCapabilities = impl.UnknownCapabilities;
            if (unusable is not null) { report.Unusable = unusable; return report; }

            bool replayOne = o.Replay is not null;
            int? replayIndex = replayOne && int.TryParse(o.Replay, out int ri) ? ri : null;
            IEnumerable<string> examples = !replayOne ? Examples.Names : replayIndex is null ? [Examples.Names.Single(n => n == o.Replay || n.StartsWith(o.Replay!, StringComparison.Ordinal))] : [];
            foreach (string name in examples)
            {
                Network n = Examples.Load(name);
                var result = new CaseResult(name);
                report.Examples.Add(result);
                if (Outside(n, report.Capabilities) is { } reason) { result.Skipped = reason; report.ExamplesSkipped++; continue; }
                if (!CheckNetwork(n, $"golden example {name}", null, name, result)) return report;
                if (result.Skipped is null) report.ExamplesChecked++; else report.ExamplesSkipped++;
            }
            report.RandomRunStarted = true;
            IEnumerable<int> indices = !replayOne ? Enumerable.Range(0, o.Count) : replayIndex is { } only ? [only] : [];
            foreach (int i in indices)
            {
                Network n = NetworkGen.Sample(o.Seed, i, o.Count, report.Capabilities);
                var result = new CaseResult($"random network {i}");
                if (Outside(n, report.Capabilities) is { } reason) { Skip(i, reason); continue; }
                if (!CheckNetwork(n, $"random network {i}", i, null, result)) return report;
                if (result.Skipped is { } declined) Skip(i, declined); else report.NetworksChecked++;
            }
            return report;
        }

        void Skip(int index, string reason)
        {
            report.NetworksSkipped++;
            if (report.SkipExamples.Count < 5) report.SkipExamples.Add($"random network {index}: {reason}");
        }

        /// <summary>Runs every property on one network. False when the check must stop (a mismatch
        /// or a broken protocol, recorded in the report).</summary>
        bool CheckNetwork(Network n, string where, int? index, string? example, CaseResult result)
        {
            impl.ClearFaults();
            string? failure = Properties.FirstFailure(impl, n);
            if (impl.Fault is { } fault)
            {
                result.Error = fault;
                report.Broken = ShrinkBroken(n, where, index, example, fault);
                return false;
            }
            if (impl.Declined is { } declined) { result.Skipped = $"declined by the implementation (unsupported): {declined.Message}"; return true; }
            if (failure is null) return true;
            result.Failure = failure;
            report.Mismatch = ShrinkMismatch(n, where, index, example, failure);
            return false;
        }

        Mismatch ShrinkMismatch(Network original, string where, int? index, string? example, string failure)
        {
            // A candidate counts only when it fails on a straight answer: a candidate the implementation
            // declines, or on which it breaks the protocol, is not the same counterexample.
            bool Fails(Network c)
            {
                impl.ClearFaults();
                bool failed = Properties.FirstFailure(impl, c) is not null;
                return failed && impl.Fault is null && impl.Declined is null;
            }
            var (shrunk, steps) = Minimize.Run(original, NetworkGen.Shrink, Fails);
            // named for what it is: the shrinker keeps the original's name and source
            Network min = Network.Create(shrunk.Inputs, shrunk.Layers, shrunk.Loss, shrunk.LearningRate, shrunk.X, shrunk.T, $"shrunk from {original.Name ?? where}");
            impl.ClearFaults();
            string minFailure = Properties.FirstFailure(impl, min) ?? "(passed when asked again: the implementation is not deterministic)";

            var m = new Mismatch(where, index, example, PropertyOf(failure), failure, original, min, steps, PropertyOf(minFailure), minFailure, ReplayCommand(index, example));
            try
            {
                impl.ClearFaults();
                m.Table = GradientCheck.Compare(Oracles.Compute(min), impl.Gradients(min).Flatten());
                impl.ClearFaults();
                IReadOnlyList<Diagnosis.Answer> answers = Diagnosis.Record(impl, min, original);
                Exception? refused = (Exception?)impl.Fault ?? impl.Declined;
                if (refused is not null) m.DiagnosisNote = $"could not ask the implementation again: {refused.Message}";
                else m.Diagnosis = Diagnosis.Matching(answers);
            }
            catch (Exception e) when (e is ProtocolException or UnsupportedNetworkException or ArgumentException)
            {
                m.DiagnosisNote = $"could not ask the implementation again: {e.Message}";
            }
            return m;
        }

        Broken ShrinkBroken(Network original, string where, int? index, string? example, ProtocolException fault)
        {
            // Not cheap, so not shrunk: after a hang every candidate would cost a timeout, after a
            // crash, garbage or a wrong id a restart of the implementation.
            if (fault.Kind == ProtocolFailure.Hang)
                return new Broken(where, index, example, fault, original, 0, "not shrunk: every candidate would cost a timeout") { Replay = ReplayCommand(index, example) };
            if (ProtocolFailures.KillsProcess(fault.Kind))
                return new Broken(where, index, example, fault, original, 0, "not shrunk: every candidate would restart the implementation") { Replay = ReplayCommand(index, example) };
            ProtocolException last = fault;
            int tried = 0;
            bool Fails(Network c)
            {
                if (++tried > ProtocolShrinkBudget) return false;
                impl.ClearFaults();
                Properties.FirstFailure(impl, c);
                if (impl.Fault is not { } f || f.Kind != fault.Kind) return false;
                last = f;
                return true;
            }
            var (min, steps) = Minimize.Run(original, NetworkGen.Shrink, Fails);
            string note = tried > ProtocolShrinkBudget ? $"shrinking stopped after {ProtocolShrinkBudget} candidates" : "";
            return new Broken(where, index, example, last, original, steps, note) { Minimal = min, Replay = ReplayCommand(index, example) };
        }

        string ReplayCommand(int? index, string? example)
        {
            var sb = new StringBuilder($"backprop-spec check --impl {ShellQuote(o.Impl)}");
            if (index is { } i) sb.Append(CultureInfo.InvariantCulture, $" --seed {o.Seed} --count {o.Count} --replay {i}");
            else if (example is not null) sb.Append($" --replay {example}");
            if (o.TimeoutMs != DefaultTimeoutMs) sb.Append(CultureInfo.InvariantCulture, $" --timeout-ms {o.TimeoutMs}");
            return sb.ToString();
        }
    }

    /// <summary>The capabilities networks can be built from: losses whose output activation is
    /// missing are dropped. Sets <paramref name="unusable"/> when nothing is left.</summary>
    static Capabilities Usable(Capabilities caps, out string? unusable)
    {
        LossKind[] losses = caps.Losses.Where(l => Loss.RequiredOutput(l) is not { } f || caps.Activations.Contains(f)).ToArray();
        unusable = caps.Activations.Count == 0 ? "its hello lists no activation this checker knows"
                 : losses.Length == 0 ? "its hello lists no loss this checker can build a network for"
                 : null;
        return new Capabilities(caps.Activations, losses);
    }

    /// <summary>Why a network is outside the capabilities, or null when it is inside.</summary>
    static string? Outside(Network n, Capabilities caps)
    {
        if (!caps.Losses.Contains(n.Loss)) return $"outside the capabilities of its hello (loss {Loss.Name(n.Loss)})";
        foreach (Layer l in n.Layers)
            if (!caps.Activations.Contains(l.Activation)) return $"outside the capabilities of its hello (activation {Activations.Name(l.Activation)})";
        return null;
    }

    static string PropertyOf(string failure) =>
        Properties.All.Select(p => p.Name).FirstOrDefault(name => failure.StartsWith(name + ": ", StringComparison.Ordinal)) ?? "(unknown property)";

    /// <summary>A word for /bin/sh: single quotes, with ' written as '\''.</summary>
    static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    // ------------------------------------------------------------------ what was found

    sealed class CaseResult(string name)
    {
        public string Name { get; } = name;
        public string? Skipped { get; set; }
        public string? Failure { get; set; }
        public ProtocolException? Error { get; set; }
    }

    sealed record Mismatch(string Where, int? Index, string? Example, string Property, string Message, Network Original, Network Minimal,
                           int ShrinkSteps, string MinimalProperty, string MinimalMessage, string Replay)
    {
        public GradientReport? Table { get; set; }
        public IReadOnlyList<Bug>? Diagnosis { get; set; }
        public string? DiagnosisNote { get; set; }
    }

    sealed record Broken(string Where, int? Index, string? Example, ProtocolException Fault, Network? Original, int ShrinkSteps, string Note)
    {
        public Network? Minimal { get; init; }
        public string? Replay { get; init; }
    }

    sealed class Report
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

        // ---------------------------------------------------------- --json

        public string Json()
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
            {
                w.WriteStartObject();
                w.WriteString("format", "backprop-spec/check-report@1");
                w.WriteString("implementation", Implementation);
                w.WriteString("command", Command);
                w.WriteNumber("seed", Seed);
                w.WriteNumber("count", Count);
                w.WriteNumber("timeoutMs", TimeoutMs);
                if (Replay is not null) w.WriteString("replay", Replay);
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
                w.WriteEndObject();
                w.WriteStartArray("examples");
                foreach (CaseResult e in Examples)
                {
                    w.WriteStartObject();
                    w.WriteString("name", e.Name);
                    w.WriteString("result", e.Error is not null ? "protocol-error" : e.Failure is not null ? "mismatch" : e.Skipped is not null ? "skipped" : "pass");
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

        static void WriteMismatch(Utf8JsonWriter w, Mismatch m)
        {
            w.WriteStartObject("failure");
            w.WriteString("where", m.Where);
            if (m.Index is { } i) w.WriteNumber("index", i);
            if (m.Example is not null) w.WriteString("example", m.Example);
            w.WriteString("property", m.Property);
            w.WriteString("message", m.Message);
            w.WritePropertyName("network");
            NetworkJson.Write(w, m.Original);
            w.WriteNumber("shrinkSteps", m.ShrinkSteps);
            w.WritePropertyName("minimalNetwork");
            NetworkJson.Write(w, m.Minimal);
            w.WriteString("minimalProperty", m.MinimalProperty);
            w.WriteString("minimalMessage", m.MinimalMessage);
            w.WriteStartArray("table");
            foreach (GradientRow r in m.Table?.Rows ?? [])
            {
                w.WriteStartObject();
                w.WriteString("parameter", r.Parameter.ToString());
                Number(w, "implementation", r.Reverse);
                Number(w, "dual", r.Dual);
                Number(w, "finiteDifference", r.FiniteDifference);
                Number(w, "finiteDifferenceError", r.FiniteDifferenceError);
                Number(w, "complexStep", r.ComplexStep ?? double.NaN);
                w.WriteBoolean("kink", r.Kink);
                Number(w, "tolerance", r.Tolerance);
                Number(w, "relativeError", r.RelativeError);
                w.WriteString("verdict", r.Problem ?? "ok");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("replay", m.Replay);
            w.WriteEndObject();
            w.WriteStartObject("diagnosis");
            w.WriteStartArray("matches");
            foreach (Bug b in m.Diagnosis ?? [])
            {
                w.WriteStartObject();
                w.WriteString("bug", Bugs.Name(b));
                w.WriteString("description", Bugs.Describe(b));
                w.WriteEndObject();
            }
            w.WriteEndArray();
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

        // ---------------------------------------------------------- --junit

        /// <summary>One testcase per golden example, one per property over the random run.</summary>
        public string JUnit()
        {
            var golden = new XElement("testsuite", new XAttribute("name", "golden examples"));
            foreach (CaseResult e in Examples)
            {
                var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.golden"), new XAttribute("name", e.Name));
                if (e.Error is not null) c.Add(Error(Broken!));
                else if (e.Failure is not null) c.Add(Failure(Mismatch!));
                else if (e.Skipped is not null) c.Add(new XElement("skipped", new XAttribute("message", e.Skipped)));
                golden.Add(c);
            }
            if (Replay is null)        // the examples after the one the check stopped at
                foreach (string name in BackpropSpec.Oracle.Examples.Names.Where(n => Examples.All(e => e.Name != n)))
                    golden.Add(new XElement("testcase", new XAttribute("classname", "backprop-spec.golden"), new XAttribute("name", name),
                        new XElement("skipped", new XAttribute("message", "not run: the check stopped at the first failure"))));
            var random = new XElement("testsuite", new XAttribute("name", $"random networks (seed {Seed}, count {Count})"));
            bool brokenInRandom = Broken is { } br && br.Index is not null;
            bool mismatchInRandom = Mismatch is { } mm && mm.Index is not null;
            foreach (var (name, _) in Properties.All)
            {
                var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.random"), new XAttribute("name", name));
                if (!RandomRunStarted || Unusable is not null)
                    c.Add(new XElement("skipped", new XAttribute("message", "not run: the check stopped before the random networks")));
                else if (mismatchInRandom && Mismatch!.Property == name) c.Add(Failure(Mismatch));
                else c.Add(new XElement("system-out", $"held on {NetworksChecked} random networks ({NetworksSkipped} skipped)"));
                random.Add(c);
            }
            if (brokenInRandom || Broken is { Where: "hello" } || Unusable is not null)
            {
                var c = new XElement("testcase", new XAttribute("classname", "backprop-spec.protocol"), new XAttribute("name", Broken?.Where ?? "hello"));
                c.Add(Broken is not null ? Error(Broken) : new XElement("error", new XAttribute("message", Unusable!), new XAttribute("type", "unusable")));
                random.Add(c);
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

        XElement Failure(Mismatch m) => new("failure", new XAttribute("message", FirstLine(m.Message)), new XAttribute("type", "mismatch"),
            $"{m.Message}\n\nshrunk to:\n{m.Minimal}\n\nits failure: {m.MinimalMessage}\n\ndiagnosis: {DiagnosisText(m)}\n\nreplay: {m.Replay}");

        static XElement Error(Broken b) => new("error", new XAttribute("message", FirstLine(b.Fault.Message)), new XAttribute("type", b.Fault.KindName),
            b.Fault.Message + (b.Fault.Network is { } n ? $"\n\nnetwork of the `{b.Fault.Op}` request:\n{n}" : "") + (b.Replay is null ? "" : $"\n\nreplay: {b.Replay}"));
    }
}
