using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What one `check` run is asked to do.</summary>
/// <param name="Impl">The implementation's command line (run with /bin/sh -c).</param>
/// <param name="Count">Random networks after the golden examples.</param>
/// <param name="Seed">The seed of the random networks.</param>
/// <param name="TimeoutMs">How long one request may take.</param>
/// <param name="Replay">One network only: <c>random:N</c> (the N-th random network), or an example's name or number.</param>
public sealed record CheckOptions(string Impl, int Count = CheckOptions.DefaultCount, ulong Seed = RunSettings.DefaultSeed,
                                  int TimeoutMs = CheckOptions.DefaultTimeoutMs, string? Replay = null)
{
    public const int DefaultCount = 1000, DefaultTimeoutMs = 10000;

    /// <summary>The command that started this check (<c>backprop-spec</c>, <c>dotnet backprop-spec</c>,
    /// <c>dotnet run --project oracle/cli --</c>): the printed replay lines begin with it, so they run as printed.</summary>
    public string Invocation { get; init; } = "backprop-spec";
}

/// <summary>
/// The check of an implementation over the process protocol: every golden example, then N random
/// networks within what its hello lists, each through every property (<see cref="Properties.All"/>).
/// The first mismatch is shrunk through the protocol to a minimal network and diagnosed against the
/// known bug classes. The result is a <see cref="CheckReport"/>; the command line only prints it.
/// </summary>
public static class CheckRun
{
    /// <summary>How many candidate networks a wrong-shape, non-finite or error-reply failure may try
    /// while shrinking: a bound on the cost that keeps the report deterministic.</summary>
    const int ProtocolShrinkBudget = 150;

    /// <summary>--replay random:N names the N-th random network; anything else names a golden example.</summary>
    public const string RandomPrefix = "random:";

    /// <summary>Runs the check against a started or unstarted process implementation.</summary>
    public static CheckReport Run(ProcessBackprop impl, CheckOptions options) => new Checker(impl, options).Run();

    sealed class Checker(ProcessBackprop impl, CheckOptions o)
    {
        readonly CheckReport report = new() { Command = o.Impl, Seed = o.Seed, Count = o.Count, TimeoutMs = o.TimeoutMs, Replay = o.Replay };

        public CheckReport Run()
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
            int? replayIndex = replayOne && o.Replay!.StartsWith(RandomPrefix, StringComparison.Ordinal)
                               && int.TryParse(o.Replay[RandomPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int ri) ? ri : null;
            // an example as `trace` takes it: its name, or the start of exactly one name (002)
            IEnumerable<string> examples = !replayOne ? Examples.Names : replayIndex is null ? [Examples.Names.Contains(o.Replay!) ? o.Replay! : Examples.Names.Single(n => n.StartsWith(o.Replay!, StringComparison.Ordinal))] : [];
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
            var sb = new StringBuilder($"{o.Invocation} check --impl {ShellQuote(o.Impl)}");
            if (index is { } i) sb.Append(CultureInfo.InvariantCulture, $" --seed {o.Seed} --count {o.Count} --replay {RandomPrefix}{i}");
            else if (example is not null) sb.Append($" --replay {example}");
            if (o.TimeoutMs != CheckOptions.DefaultTimeoutMs) sb.Append(CultureInfo.InvariantCulture, $" --timeout-ms {o.TimeoutMs}");
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

    internal static string PropertyOf(string failure) =>
        Properties.All.Select(p => p.Name).FirstOrDefault(name => failure.StartsWith(name + ": ", StringComparison.Ordinal)) ?? "(unknown property)";

    /// <summary>A word for /bin/sh: single quotes, with ' written as '\''.</summary>
    static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

}
