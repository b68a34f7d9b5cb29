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
/// </summary>
sealed partial class Checker(ProcessBackprop impl, CheckOptions o)
{
    readonly CheckReport report = new()
    {
        Command = o.Impl, Seed = o.Seed, Count = o.Count, TimeoutMs = o.TimeoutMs, Replay = o.Replay, Strict = o.Strict, Shape = o.Shape, Jobs = o.Jobs,
    };
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
        report.Capabilities = CheckRun.Usable(impl.Capabilities, out string? unusable) with { Precision = precision };
        report.UnknownCapabilities = impl.UnknownCapabilities;
        // answers in an arithmetic the checker has no bounds for are not judged as float64: every
        // rounding of it would be called wrong
        if (unusable is null && impl.UnknownPrecision is { } declared && o.Precision is null)
            unusable = $"its hello declares precision {declared}, which this checker cannot judge (float64 or float32); --precision judges the answers as one of them";
        if (unusable is not null) { report.Unusable = unusable; return report; }

        bool replayOne = o.Replay is not null;
        int? replayIndex = replayOne && o.Replay!.StartsWith(CheckRun.RandomPrefix, StringComparison.Ordinal)
                           && int.TryParse(o.Replay[CheckRun.RandomPrefix.Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ri) ? ri : null;
        // an example as `trace` takes it: its name, or the start of exactly one name (002)
        IEnumerable<string> examples = !replayOne ? Examples.Names
            : replayIndex is null ? [Examples.Names.Contains(o.Replay!) ? o.Replay! : Examples.Names.Single(n => n.StartsWith(o.Replay!, StringComparison.Ordinal))] : [];
        foreach (string name in examples)
        {
            Network n = Examples.Load(name);
            var result = new CaseResult(name);
            report.Examples.Add(result);
            if (CheckRun.Outside(n, report.Capabilities) is { } reason) { result.Skipped = reason; report.ExamplesSkipped++; continue; }
            Outcome outcome = Judge(impl, n, $"golden example {name}", null, name);
            if (!Apply(outcome, result)) return report;
            if (result.Skipped is null) report.ExamplesChecked++; else report.ExamplesSkipped++;
        }
        report.RandomRunStarted = true;
        int[] indices = !replayOne ? Enumerable.Range(0, o.Count).ToArray() : replayIndex is { } only ? [only] : [];
        RandomRun(indices);
        return report;
    }

    // ------------------------------------------------------------------ the random run

    readonly object gate = new();
    readonly Dictionary<int, Outcome> finished = [];        // judged, not yet applied (out of order)
    int nextToApply, claimed = -1;
    int stopAt = int.MaxValue;                               // the position of the first failure applied
    Outcome? failure;

    /// <summary>Positions 0 … indices.Length − 1 are claimed in order by the workers; each worker
    /// sends the requests of its next network before judging the current one.</summary>
    void RandomRun(int[] indices)
    {
        int jobs = Math.Max(1, Math.Min(o.Jobs, indices.Length));
        var workers = new List<ProcessBackprop> { impl };
        try
        {
            for (int w = 1; w < jobs; w++) workers.Add(new ProcessBackprop(o.Impl, o.TimeoutMs));
            var threads = workers.Select(w => new Thread(() => Work(w, indices)) { IsBackground = true, Name = "backprop-spec check worker" }).ToArray();
            foreach (Thread t in threads.Skip(1)) t.Start();
            Work(workers[0], indices);                       // the first worker is this thread
            foreach (Thread t in threads.Skip(1)) t.Join();
        }
        finally
        {
            foreach (ProcessBackprop w in workers.Skip(1)) w.Dispose();
        }
        if (failure is { } f) Fail(f);
    }

    void Work(ProcessBackprop worker, int[] indices)
    {
        int Claim() { lock (gate) return ++claimed < indices.Length && claimed < stopAt ? claimed : -1; }
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
            worker.Forget(current!);
            Finish(position, outcome);
            position = nextPosition;
            current = next;
        }
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
                if (!Apply(next, result, deferFailure: true)) { stopAt = nextToApply; failure = next; }
                else if (result.Skipped is { } why) Skip(next.Index!.Value, why);
                else report.NetworksChecked++;
                nextToApply++;
            }
        }
    }

    void Skip(int index, string reason)
    {
        report.NetworksSkipped++;
        if (report.SkipExamples.Count < 5) report.SkipExamples.Add($"random network {index}: {reason}");
    }
}
