using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

sealed partial class Checker
{
    /// <summary>How many candidate networks a wrong-shape, non-finite or error-reply failure may try
    /// while shrinking: a bound on the cost that keeps the report deterministic.</summary>
    const int ProtocolShrinkBudget = 150;

    /// <summary>The run stops at this outcome: shrink it and say what it is.</summary>
    void Fail(Outcome f)
    {
        if (f.Fault is { } fault) report.Broken = ShrinkBroken(f.Network, f.Where, f.Index, f.Example, fault);
        else if (f.Failure is var (property, verdict)) report.Mismatch = ShrinkMismatch(f.Network, f.Where, f.Index, f.Example, property, verdict);
        else if (f.RangeFault is var (asked, answered))
        {
            var v = new PropertyVerdict(Zone.Range, [], answered);
            report.Mismatch = new Mismatch(f.Where, f.Index, f.Example, "the answers are representable", v, f.Network, asked, 0, v, ReplayCommand(f.Index, f.Example))
            { DiagnosisNote = "a range finding fails under --strict" };
        }
    }

    Mismatch ShrinkMismatch(Network original, string where, int? index, string? example, string property, PropertyVerdict verdict)
    {
        NetworkProperty check = Properties.Named(property);
        // A candidate counts only when the same property fails it the same way, on a straight
        // answer: a candidate the implementation declines, or on which it breaks the protocol,
        // or that fails another property or another way, is not the same counterexample.
        bool Fails(Network c)
        {
            if (Interrupted) return false;
            impl.ClearFaults();
            PropertyVerdict v = Properties.Judge(check, new CachingBackprop(impl), c, precision);
            return v.Zone == verdict.Zone && impl.Fault is null && impl.Declined is null && !Interrupted;
        }
        // the failure stands when an interrupt cuts its shrinking or diagnosis short: answers cut
        // short are no evidence, so none of them is reported
        Mismatch Unshrunk() => new(where, index, example, property, verdict, original, original, 0, verdict, ReplayCommand(index, example))
        { DiagnosisNote = $"not shrunk or diagnosed: the check was interrupted by {interrupt.Signal}" };
        var (shrunk, steps) = Minimize.Run(original, NetworkGen.Shrink, Fails);
        if (Interrupted) return Unshrunk();
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
                if (precision == Precision.Float64 && RightInFloat32(check, original) && RightInFloat32(check, min))
                    m.PrecisionHint = "judged in float64, where these answers are wrong: a bug, if the implementation computes in float64. " +
                                      "Every one of them would be right in float32 arithmetic: if it computes in float32 " +
                                      "(float32 arrays or tensors, Math.fround), declare \"precision\": \"float32\" in hello or pass --precision float32";
            }
        }
        catch (Exception e) when (e is ProtocolException or UnsupportedNetworkException or ArgumentException)
        {
            m.DiagnosisNote = $"could not ask the implementation again: {e.Message}";
        }
        catch (OperationCanceledException) { }
        return Interrupted ? Unshrunk() : m;
    }

    /// <summary>The same property, the same (cached) answers, judged in float32.</summary>
    bool RightInFloat32(NetworkProperty check, Network n)
    {
        impl.ClearFaults();
        PropertyVerdict v = Properties.Judge(check, new CachingBackprop(impl), n, Precision.Float32);
        return v.Zone != Zone.Wrong && impl.Fault is null && impl.Declined is null;
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
        var budget = new Budget(ProtocolShrinkBudget);
        bool Fails(Network c)
        {
            if (Interrupted || !budget.Take()) return false;
            impl.ClearFaults();
            Properties.Run(new CachingBackprop(impl), c, precision);
            if (impl.Fault is not { } f || f.Kind != fault.Kind) return false;
            if (Truth.For(f.Network ?? c, precision).OutOfRange && f.Kind is ProtocolFailure.NonFinite or ProtocolFailure.ErrorReply) return false;
            last = f;
            return true;
        }
        var (min, steps) = Minimize.Run(original, NetworkGen.Shrink, Fails);
        if (Interrupted)
            return new Broken(where, index, example, fault, original, 0, $"not shrunk: the check was interrupted by {interrupt.Signal}") { Replay = ReplayCommand(index, example) };
        string note = budget.Exhausted ? $"shrinking stopped after {ProtocolShrinkBudget} candidates" : "";
        return new Broken(where, index, example, last, original, steps, note) { Minimal = min, Replay = ReplayCommand(index, example) };
    }

    /// <summary>At most <c>limit</c> candidates; <see cref="Exhausted"/> once one more was refused.</summary>
    internal sealed class Budget(int limit)
    {
        public int Taken { get; private set; }
        public bool Exhausted { get; private set; }

        public bool Take()
        {
            if (Taken == limit) { Exhausted = true; return false; }
            Taken++;
            return true;
        }
    }

    string ReplayCommand(int? index, string? example)
    {
        var sb = new StringBuilder($"{o.Invocation} check --impl {CheckRun.ShellQuote(o.Impl)}");
        if (index is { } i) sb.Append(CultureInfo.InvariantCulture, $" --seed {o.Seed} --count {o.Count} --replay {CheckRun.RandomPrefix}{i}");
        else if (example is not null) sb.Append($" --replay {example}");
        if (o.TimeoutMs != CheckOptions.DefaultTimeoutMs) sb.Append(CultureInfo.InvariantCulture, $" --timeout-ms {o.TimeoutMs}");
        if (o.Precision is { } p) sb.Append($" --precision {PrecisionProfile.Of(p).Name}");
        if (index is not null && o.Shape is { } shape)
            sb.Append(CultureInfo.InvariantCulture, $" --shape {string.Join("-", shape.Sizes)}{(shape.Batch is { } m ? $" --batch {m}" : "")}");
        if (o.Strict) sb.Append(" --strict");
        return sb.ToString();
    }
}
