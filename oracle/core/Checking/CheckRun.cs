using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What one `check` run is asked to do.</summary>
/// <param name="Impl">The implementation's command line (run with /bin/sh -c).</param>
/// <param name="Count">Random networks after the golden examples.</param>
/// <param name="Seed">The seed of the random networks.</param>
/// <param name="TimeoutMs">How long one request may take.</param>
/// <param name="Replay">One network only: a random network's index, or an example name.</param>
/// <param name="Strict">Accuracy and range findings fail too (exit 1).</param>
/// <param name="Precision">Judge in this arithmetic, whatever hello declares.</param>
public sealed record CheckOptions(string Impl, int Count = CheckOptions.DefaultCount, ulong Seed = RunSettings.DefaultSeed,
                                  int TimeoutMs = CheckOptions.DefaultTimeoutMs, string? Replay = null,
                                  bool Strict = false, Precision? Precision = null)
{
    public const int DefaultCount = 1000, DefaultTimeoutMs = 10000;
}

/// <summary>
/// The check of an implementation over the process protocol: every golden example, then N random
/// networks within what its hello lists, each through every property (<see cref="Properties.All"/>),
/// judged in the declared precision. Accuracy and range findings are collected and summarised by
/// cause; the first wrong answer (or, with --strict, the first finding) is shrunk through the protocol
/// to a minimal network that fails the same property the same way, and diagnosed. The result is a
/// <see cref="CheckReport"/>; the command line only prints it.
/// </summary>
public static class CheckRun
{
    /// <summary>How many candidate networks a wrong-shape, non-finite or error-reply failure may try
    /// while shrinking: a bound on the cost that keeps the report deterministic.</summary>
    const int ProtocolShrinkBudget = 150;

    /// <summary>Runs the check against a started or unstarted process implementation.</summary>
    public static CheckReport Run(ProcessBackprop impl, CheckOptions options) => new Checker(impl, options).Run();

    sealed class Checker(ProcessBackprop impl, CheckOptions o)
    {
        readonly CheckReport report = new() { Command = o.Impl, Seed = o.Seed, Count = o.Count, TimeoutMs = o.TimeoutMs, Replay = o.Replay, Strict = o.Strict };
        Precision precision;

        public CheckReport Run()
        {
            try { impl.Start(); }
            catch (ProtocolException e)
            {
                report.Broken = new Broken("hello", null, null, e, null, 0, "the implementation did not get through hello");
                return report;
            }
            report.Implementation = impl.Name;
            precision = o.Precision ?? impl.Capabilities.Precision;
            report.Precision = precision;
            report.Capabilities = Usable(impl.Capabilities, out string? unusable) with { Precision = precision };
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
            int[] indices = !replayOne ? Enumerable.Range(0, o.Count).ToArray() : replayIndex is { } only ? [only] : [];
            Network? next = indices.Length > 0 ? Ahead(indices[0]) : null;
            for (int k = 0; k < indices.Length; k++)
            {
                int i = indices[k];
                Network n = next!;
                // the next network's requests go out before this one is judged: the implementation
                // computes them while the checker judges
                next = k + 1 < indices.Length ? Ahead(indices[k + 1]) : null;
                var result = new CaseResult($"random network {i}");
                if (Outside(n, report.Capabilities) is { } reason) { Skip(i, reason); continue; }
                bool go = CheckNetwork(n, $"random network {i}", i, null, result);
                impl.Forget(n);
                if (!go) return report;
                if (result.Skipped is { } declined) Skip(i, declined); else report.NetworksChecked++;
            }
            return report;
        }

        /// <summary>Random network <paramref name="i"/>, with every request known before any answer sent ahead.</summary>
        Network Ahead(int i)
        {
            Network n = NetworkGen.Sample(o.Seed, i, o.Count, report.Capabilities);
            if (Outside(n, report.Capabilities) is not null) return n;
            impl.Prefetch("gradients", n, n);
            impl.Prefetch("step", n, n);
            foreach (Network d in Derived.Ahead(n)) impl.Prefetch("gradients", d, n);
            return n;
        }

        void Skip(int index, string reason)
        {
            report.NetworksSkipped++;
            if (report.SkipExamples.Count < 5) report.SkipExamples.Add($"random network {index}: {reason}");
        }

        /// <summary>Runs every property on one network. False when the check must stop (a failing
        /// finding or a broken protocol, recorded in the report).</summary>
        bool CheckNetwork(Network n, string where, int? index, string? example, CaseResult result)
        {
            impl.ClearFaults();
            var cached = new CachingBackprop(impl);
            IReadOnlyList<(string Name, PropertyVerdict Verdict)> verdicts = Properties.Run(cached, n, precision, o.Strict);
            if (impl.Fault is { } fault)
            {
                Network asked = fault.Network ?? n;
                if (fault.Kind is ProtocolFailure.NonFinite or ProtocolFailure.ErrorReply && Truth.For(asked, precision).OutOfRange)
                {
                    // the textbook cannot represent some answer here: a range finding, not a broken protocol
                    RangeFinding(n, where, index, example, asked, $"the implementation answered `{fault.Op}` with {(fault.Kind == ProtocolFailure.NonFinite ? "a non-finite number" : "an error")}: {FirstLine(fault.Message)}");
                    if (!o.Strict) return true;
                    result.Failure = new PropertyVerdict(Zone.Range, [], fault.Message);
                    report.Mismatch = new Mismatch(where, index, example, "the answers are representable", result.Failure, n, asked, 0, result.Failure, ReplayCommand(index, example))
                    { Causes = [], DiagnosisNote = "a range finding fails under --strict" };
                    return false;
                }
                result.Error = fault;
                report.Broken = ShrinkBroken(n, where, index, example, fault);
                return false;
            }
            if (impl.Declined is { } declined) { result.Skipped = $"declined by the implementation (unsupported): {declined.Message}"; return true; }

            bool accuracy = false, range = false;
            foreach (var (name, verdict) in verdicts)
            {
                if (verdict.Fails(o.Strict))
                {
                    result.Failure = verdict;
                    report.Mismatch = ShrinkMismatch(n, where, index, example, name, verdict);
                    return false;
                }
                foreach (Finding f in verdict.Findings)
                {
                    if (f.Zone == Zone.Accuracy) { accuracy = true; Summarise(report.Accuracy, n, where, index, example, f); }
                    if (f.Zone == Zone.Range) { range = true; Summarise(report.Range, n, where, index, example, f); }
                }
            }
            if (accuracy) report.NetworksWithAccuracy++;
            if (range) report.NetworksWithRange++;
            // the exact values' own cross-check, on every network: a problem of the oracle, never a verdict
            foreach (string problem in Directional.Verify(Truth.For(n, precision), seed: o.Seed).Problems)
                if (report.OracleProblems.Count < 20) report.OracleProblems.Add($"{where}: {problem}");
            return true;
        }

        /// <summary>Adds a finding to the summary of its cause: a network more, and the worst kept.</summary>
        void Summarise(List<FindingSummary> into, Network n, string where, int? index, string? example, Finding f)
        {
            Truth truth = Truth.For(n, precision);
            Cause cause = f.Zone == Zone.Range && truth.OutOfRange
                ? new Cause(truth.Textbook.Range[0].Kind, truth.Textbook.Range[0].Reason, truth.Textbook.Range[0].Where, "compute from the logits, shift the softmax, or decline with `unsupported`")
                : Causes.Explain(truth, f).FirstOrDefault() ?? new Cause("unexplained", "rounding beyond careful arithmetic", "—", "careful formulations");
            double lost = Math.Max(0, CarefulDigits(f) - f.Digits);
            FindingSummary? s = into.FirstOrDefault(x => x.Key == cause.Key);
            if (s is null)
            {
                into.Add(s = new FindingSummary
                {
                    Zone = f.Zone, Key = cause.Key, Operation = cause.Operation, Fix = cause.Fix,
                    Worst = f, WorstNetwork = where, WorstWhere = cause.Where, DigitsLost = lost, Replay = ReplayCommand(index, example),
                });
                s.Saw(where);
                return;
            }
            s.Saw(where);
            if (lost > s.DigitsLost)
            {
                s.Worst = f; s.WorstNetwork = where; s.WorstWhere = cause.Where; s.DigitsLost = lost; s.Replay = ReplayCommand(index, example);
            }
        }

        void RangeFinding(Network n, string where, int? index, string? example, Network asked, string answered)
        {
            RangeIssue issue = Truth.For(asked, precision).Textbook.Range[0];
            report.NetworksWithRange++;
            FindingSummary? s = report.Range.FirstOrDefault(x => x.Key == issue.Kind);
            var f = new Finding(Zone.Range, issue.Where, double.NaN, double.NaN, 0, double.PositiveInfinity, answered);
            if (s is null)
                report.Range.Add(s = new FindingSummary
                {
                    Zone = Zone.Range, Key = issue.Kind, Operation = issue.Reason, Fix = "compute from the logits, shift the softmax, or decline with `unsupported`",
                    Worst = f, WorstNetwork = where, WorstWhere = issue.Where, Replay = ReplayCommand(index, example),
                });
            s.Saw(where);
        }

        static double CarefulDigits(Finding f) =>
            f.Exact == 0 || f.Careful == 0 ? 17 : Math.Max(0, -Math.Log10(f.Careful / Math.Abs(f.Exact)));

        Mismatch ShrinkMismatch(Network original, string where, int? index, string? example, string property, PropertyVerdict verdict)
        {
            NetworkProperty check = Properties.Named(property);
            // A candidate counts only when the same property fails it the same way, on a straight
            // answer: a candidate the implementation declines, or on which it breaks the protocol,
            // or that fails another property or another way, is not the same counterexample.
            bool Fails(Network c)
            {
                impl.ClearFaults();
                PropertyVerdict v = Properties.Judge(check, new CachingBackprop(impl), c, precision);
                return v.Zone == verdict.Zone && impl.Fault is null && impl.Declined is null;
            }
            var (shrunk, steps) = Minimize.Run(original, NetworkGen.Shrink, Fails);
            // named for what it is: the shrinker keeps the original's name and source
            Network min = Network.Create(shrunk.Inputs, shrunk.Layers, shrunk.Loss, shrunk.LearningRate, shrunk.X, shrunk.T, $"shrunk from {original.Name ?? where}");
            impl.ClearFaults();
            PropertyVerdict minVerdict = Properties.Judge(check, new CachingBackprop(impl), min, precision);
            if (minVerdict.Zone == Zone.Agrees)
                minVerdict = minVerdict with { Message = "(passed when asked again: the implementation is not deterministic)" };

            var m = new Mismatch(where, index, example, property, verdict, original, min, steps, minVerdict, ReplayCommand(index, example));
            try
            {
                impl.ClearFaults();
                m.Table = GradientCheck.Compare(Truth.For(min, precision), impl.Gradients(min).Flatten());
                if (verdict.Zone is Zone.Accuracy or Zone.Range)
                    m.Causes = minVerdict.Findings.Take(1).SelectMany(f => Causes.Explain(Truth.For(min, precision), f)).ToArray();
                else
                {
                    impl.ClearFaults();
                    Diagnosis.Result diagnosis = Diagnosis.Diagnose(impl, precision, min, original);
                    Exception? refused = (Exception?)impl.Fault ?? impl.Declined;
                    if (refused is not null) m.DiagnosisNote = $"could not ask the implementation again: {refused.Message}";
                    else m.Diagnosis = diagnosis;
                }
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
                Properties.Run(new CachingBackprop(impl), c, precision);
                if (impl.Fault is not { } f || f.Kind != fault.Kind) return false;
                if (Truth.For(f.Network ?? c, precision).OutOfRange && f.Kind is ProtocolFailure.NonFinite or ProtocolFailure.ErrorReply) return false;
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
            if (o.TimeoutMs != CheckOptions.DefaultTimeoutMs) sb.Append(CultureInfo.InvariantCulture, $" --timeout-ms {o.TimeoutMs}");
            if (o.Precision is { } p) sb.Append($" --precision {PrecisionProfile.Of(p).Name}");
            if (o.Strict) sb.Append(" --strict");
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
        return caps with { Losses = losses };
    }

    /// <summary>Why a network is outside the capabilities, or null when it is inside.</summary>
    static string? Outside(Network n, Capabilities caps)
    {
        if (!caps.Losses.Contains(n.Loss)) return $"outside the capabilities of its hello (loss {Loss.Name(n.Loss)})";
        foreach (Layer l in n.Layers)
            if (!caps.Activations.Contains(l.Activation)) return $"outside the capabilities of its hello (activation {Activations.Name(l.Activation)})";
        return null;
    }

    static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>A word for /bin/sh: single quotes, with ' written as '\''.</summary>
    static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
