using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>
/// One run of `check`: hello, the golden examples, then the random networks, judged by
/// <see cref="CheckOptions.Jobs"/> workers, each with its own implementation process, and the
/// outcomes applied to the report strictly in network order, so the report is the same whatever the
/// number of workers and whatever finishes first. The first failing network stops the run; it is
/// shrunk and diagnosed (<see cref="Checker"/>.Shrink.cs).
///
/// Memory stays flat however many networks: the report keeps counts and one worst case per cause,
/// the networks are drawn from their index when claimed, and a worker claims no network more than
/// <see cref="Window"/> positions ahead of the last one applied, so judged outcomes waiting for their
/// turn are bounded too. An <see cref="Interrupt"/> stops the run: outcomes judged while it came are
/// dropped (an answer cut short is no verdict) and the report covers the networks applied before.
/// </summary>
sealed partial class Checker(ProcessBackprop impl, CheckOptions o, Interrupt interrupt)
{
    readonly CheckReport report = new()
    {
        Command = o.Impl, Seed = o.Seed, Count = o.Count, TimeoutMs = o.TimeoutMs, Replay = o.Replay, Strict = o.Strict, Shape = o.Shape, Jobs = o.Jobs,
        Shard = o.Shard ?? Oracle.Shard.Whole,
    };
    Precision precision;

    bool Interrupted => interrupt.Requested;

    public CheckReport Run()
    {
        impl.Interrupt = interrupt.Token;
        try { Judged(); }
        finally { report.Interrupted = interrupt.Report(); }
        return report;
    }

    void Judged()
    {
        try { impl.Start(); }
        catch (ProtocolException e)
        {
            report.Broken = new Broken("hello", null, null, e, null, 0, "the implementation did not get through hello");
            return;
        }
        catch (OperationCanceledException) { return; }
        report.Implementation = impl.Name;
        precision = o.Precision ?? impl.Capabilities.Precision;
        report.Precision = precision;
        report.Capabilities = CheckRun.Usable(impl.Capabilities, out string? unusable) with { Precision = precision };
        report.UnknownCapabilities = impl.UnknownCapabilities;
        // answers in an arithmetic the checker has no bounds for are not judged as float64: every
        // rounding of it would be called wrong
        if (unusable is null && impl.UnknownPrecision is { } declared && o.Precision is null)
            unusable = $"its hello declares precision {declared}, which this checker cannot judge (float64 or float32); --precision judges the answers as one of them";
        if (unusable is not null) { report.Unusable = unusable; return; }

        bool replayOne = o.Replay is not null;
        int? replayIndex = replayOne && o.Replay!.StartsWith(CheckRun.RandomPrefix, StringComparison.Ordinal)
                           && int.TryParse(o.Replay[CheckRun.RandomPrefix.Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ri) ? ri : null;
        // an example as `trace` takes it: its name, or the start of exactly one name (002); the
        // golden examples belong to shard 1
        IEnumerable<string> examples = !replayOne ? (report.Shard.HasExamples ? Examples.Names : [])
            : replayIndex is null ? [Examples.Names.Contains(o.Replay!) ? o.Replay! : Examples.Names.Single(n => n.StartsWith(o.Replay!, StringComparison.Ordinal))] : [];
        foreach (string name in examples)
        {
            if (Interrupted) return;
            Network n = Examples.Load(name);
            var result = new CaseResult(name);
            if (CheckRun.Outside(n, report.Capabilities) is { } reason)
            {
                report.Examples.Add(result);
                result.Skipped = reason;
                report.ExamplesSkipped++;
                continue;
            }
            Outcome outcome = Judge(impl, n, $"golden example {name}", null, name);
            if (Interrupted) return;                         // cut short: not a verdict
            report.Examples.Add(result);
            bool goOn = Apply(outcome, result);
            // a failing example was judged too: "0 checked" above "WRONG in golden example 000" read as a contradiction
            if (result.Skipped is not null) report.ExamplesSkipped++;
            else if (goOn || result.Failure is not null) report.ExamplesChecked++;
            if (!goOn) return;
        }
        report.RandomRunStarted = true;
        report.RandomIndices = !replayOne ? report.Shard.Of(o.Count) : replayIndex is { } only ? IndexSet.Single(only) : new IndexSet(0, 1, 0);
        RandomRun(report.RandomIndices);
    }

    // ------------------------------------------------------------------ the random run

    /// <summary>How far ahead of the last outcome applied a worker may claim, per worker.</summary>
    const int Window = 64;

    readonly object gate = new();
    readonly Dictionary<int, Outcome> finished = [];        // judged, not yet applied (out of order)
    int nextToApply, claimed = -1;
    int stopAt = int.MaxValue;                               // the position of the first failure applied
    Outcome? failure;

    /// <summary>Positions 0 … indices.Count − 1 are claimed in order by the workers; each worker
    /// sends the requests of its next network before judging the current one.</summary>
    void RandomRun(IndexSet indices)
    {
        int jobs = Math.Max(1, Math.Min(o.Jobs, indices.Count));
        var workers = new List<ProcessBackprop> { impl };
        try
        {
            for (int w = 1; w < jobs; w++) workers.Add(impl.Another());
            var threads = workers.Select(w => new Thread(() => Work(w, indices, jobs)) { IsBackground = true, Name = "backprop-spec check worker" }).ToArray();
            foreach (Thread t in threads.Skip(1)) t.Start();
            Work(workers[0], indices, jobs);                 // the first worker is this thread
            foreach (Thread t in threads.Skip(1)) t.Join();
        }
        finally
        {
            foreach (ProcessBackprop w in workers.Skip(1)) w.Dispose();
        }
        report.RandomJudged = nextToApply;
        if (failure is { } f) Fail(f);
    }

    void Work(ProcessBackprop worker, IndexSet indices, int jobs)
    {
        int Claim()
        {
            lock (gate) return !Interrupted && ++claimed < indices.Count && claimed < stopAt ? claimed : -1;
        }
        int position = Claim();
        Network? current = position >= 0 ? Ahead(worker, indices[position]) : null;
        while (position >= 0)
        {
            // the next network's requests go out before this one is judged: the implementation
            // computes them while the checker judges
            int nextPosition = Claim();
            Network? next = nextPosition >= 0 ? Ahead(worker, indices[nextPosition]) : null;
            int i = indices[position];
            Outcome outcome = CheckRun.Outside(current!, report.Capabilities) is { } reason
                ? new Outcome(current!, $"random network {i}", i, null) { Skipped = reason }
                : Judge(worker, current!, $"random network {i}", i, null);
            if (Interrupted) return;                         // cut short: not a verdict
            worker.Forget(current!);
            Finish(position, outcome);
            if (nextPosition >= 0) AwaitTurn(nextPosition, jobs);
            position = nextPosition;
            current = next;
        }
    }

    /// <summary>Waits until <paramref name="position"/> is within the window of the next outcome to
    /// apply (or the run stops). Never waits for itself: the position applied next is held by a worker
    /// that is judging it or may go on.</summary>
    void AwaitTurn(int position, int jobs)
    {
        lock (gate)
            while (position - nextToApply > Window * jobs && nextToApply < stopAt && !Interrupted)
                Monitor.Wait(gate, 100);
    }

    /// <summary>Random network <paramref name="i"/>, with every request known before any answer sent ahead.</summary>
    Network Ahead(ProcessBackprop worker, int i)
    {
        Network n = NetworkGen.Sample(o.Seed, i, o.Count, report.Capabilities, o.Shape);
        if (CheckRun.Outside(n, report.Capabilities) is not null) return n;
        worker.Prefetch("gradients", n, n);
        worker.Prefetch("step", n, n);
        foreach (Network d in Derived.Ahead(n)) worker.Prefetch("gradients", d, n);
        return n;
    }

    /// <summary>Keeps a judged outcome and applies every outcome that is next in order.</summary>
    void Finish(int position, Outcome outcome)
    {
        lock (gate)
        {
            finished[position] = outcome;
            while (nextToApply < stopAt && finished.Remove(nextToApply, out Outcome? next))
            {
                var result = new CaseResult(next.Where);
                if (!Apply(next, result, deferFailure: true))
                {
                    stopAt = nextToApply;
                    failure = next;
                    if (result.Failure is not null) report.NetworksChecked++;     // judged, and failed: checked
                }
                else if (result.Skipped is { } why) Skip(next.Index!.Value, why, result.DeclinedOutOfRange);
                else report.NetworksChecked++;
                nextToApply++;
            }
            if (nextToApply >= stopAt) finished.Clear();     // judged past the failure: never applied
            Monitor.PulseAll(gate);
        }
    }

    void Skip(int index, string reason, bool outOfRange)
    {
        report.NetworksSkipped++;
        if (outOfRange) report.NetworksDeclinedOutOfRange++;
        if (report.SkipExamples.Count < 5) report.SkipExamples.Add($"random network {index}: {reason}");
    }
}
