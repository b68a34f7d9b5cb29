using System.Diagnostics;
using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What `selftest` found: how many networks, how fast, and every disagreement (the first
/// <see cref="Kept"/> in words, all of them counted).</summary>
public sealed class SelfTestReport
{
    /// <summary>Disagreements and oracle problems kept in words; the rest are counted.</summary>
    public const int Kept = 100;

    public required ulong Seed { get; init; }
    public required int Count { get; init; }
    public NetworkShape? Shape { get; init; }
    /// <summary>This run's share of the random networks (1/1: all of them).</summary>
    public Shard Shard { get; init; } = Shard.Whole;
    /// <summary>The networks this run set out to judge; the first <see cref="Networks"/> were judged.</summary>
    public IndexSet Indices { get; init; }
    public int Networks { get; set; }
    public long Parameters { get; set; }
    public TimeSpan Elapsed { get; set; }
    /// <summary>Answers of the reference that do not strictly agree with the exact values.</summary>
    public List<string> Disagreements { get; } = [];
    public int DisagreementCount { get; set; }
    /// <summary>Where the exact values' own cross-checks disagree with them.</summary>
    public List<string> OracleProblems { get; } = [];
    public int OracleProblemCount { get; set; }
    /// <summary>Set when a signal stopped the run: the report covers the networks judged before.</summary>
    public Interruption? Interrupted { get; set; }
    public bool Agrees => DisagreementCount == 0 && OracleProblemCount == 0;
    /// <summary>0 when every answer agrees, 1 on a disagreement; an interrupted run exits with its
    /// signal's code (129 SIGHUP, 130 SIGINT, 143 SIGTERM).</summary>
    public int ExitCode => Interrupted is { } i ? i.ExitCode : Agrees ? 0 : 1;

    /// <summary>The seed and count only: the same on every machine where the oracle agrees with
    /// itself (the rate goes to stderr).</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        string shape = Shape is null ? "" : $", shape {Shape}";
        string shard = Shard.IsWhole ? "" : $", shard {Shard}: every index i with i mod {Shard.N} = {Shard.K - 1}";
        sb.Append(CultureInfo.InvariantCulture, $"selftest: the reference against the exact values on {Networks} random networks (seed {Seed}, count {Count}{shape}{shard}), every property strictly; the exact gradient against forward mode and Richardson differences along random directions\n");
        foreach (string d in Disagreements.Take(20)) sb.Append($"  DISAGREES {d}\n");
        foreach (string p in OracleProblems.Take(20)) sb.Append($"  ORACLE {p}\n");
        if (Interrupted is { } i)
            sb.Append(CultureInfo.InvariantCulture, $"INTERRUPTED by {i.Signal} after {Networks} of {Indices.Count} networks: this report covers what was judged before\n");
        sb.Append(Agrees
            ? Interrupted is null
                ? "PASS: every answer of the reference agrees with the exact values, and the exact values with their cross-checks\n"
                : $"INTERRUPTED: every answer of the reference so far agrees with the exact values, and the exact values with their cross-checks\n"
            : $"FAIL: {DisagreementCount} disagreement(s) of the reference, {OracleProblemCount} problem(s) of the oracle on this machine\n");
        return sb.ToString();
    }
}

/// <summary>
/// `backprop-spec selftest`: the oracle verifies the reference on this machine. Another runtime, CPU
/// or libm can differ from where the suite was run in the last bit of exp or ln; the selftest says
/// whether the tolerance model still holds here. Every property must hold strictly (agrees) for the
/// reference, and the exact gradient must agree with its directional cross-checks. Networks are
/// judged on all cores, a block at a time, and taken into the report in order: the report does not
/// depend on how many cores, and memory does not grow with the count.
/// </summary>
public static class SelfTest
{
    /// <summary>Networks judged in parallel before their results are taken into the report.</summary>
    const int Block = 2048;

    public static SelfTestReport Run(ulong seed, int count, NetworkShape? shape = null, Shard? shard = null, Interrupt? interrupt = null) =>
        Run(new ReferenceBackprop(), seed, count, shape, shard, interrupt);

    /// <summary>The same run with another implementation in the reference's place: how the tests see
    /// that a disagreement is found, counted and kept in words (the reference itself agrees); and with another
    /// cross-check of the exact values in <see cref="Directional.Problems"/>'s place, how a problem of the oracle is.</summary>
    internal static SelfTestReport Run(IBackprop subject, ulong seed, int count, NetworkShape? shape = null, Shard? shard = null, Interrupt? interrupt = null,
                                       Func<Truth, ulong, IReadOnlyList<string>>? crossCheck = null)
    {
        crossCheck ??= Directional.Problems;
        Shard part = shard ?? Shard.Whole;
        IndexSet indices = part.Of(count);
        var report = new SelfTestReport { Seed = seed, Count = count, Shape = shape, Shard = part, Indices = indices };
        var results = new (string[] disagreements, string[] problems, long parameters)?[Math.Min(Block, indices.Count)];
        CancellationToken token = interrupt?.Token ?? CancellationToken.None;
        var clock = Stopwatch.StartNew();
        for (int from = 0; from < indices.Count && !token.IsCancellationRequested; from += Block)
        {
            int to = Math.Min(indices.Count, from + Block);
            Array.Clear(results);
            try
            {
                Parallel.For(from, to, new ParallelOptions { CancellationToken = token }, position =>
                {
                    int i = indices[position];
                    Network n = NetworkGen.Sample(seed, i, count, null, shape);
                    var disagreements = new List<string>();
                    foreach (var (name, verdict) in Properties.Run(new CachingBackprop(subject), n, Precision.Float64, strict: true))
                        disagreements.Add($"random network {i}: {name}: [{Zones.Name(verdict.Zone)}] {verdict.Message}");
                    string[] problems = crossCheck(Truth.For(n), seed).Select(p => $"random network {i}: {p}").ToArray();
                    results[position - from] = (disagreements.ToArray(), problems, n.ParameterCount);
                });
            }
            catch (OperationCanceledException) { }
            // in order, up to the first network an interrupt left unjudged
            for (int k = 0; k < to - from && results[k] is { } judged; k++)
            {
                var (disagreements, problems, parameters) = judged;
                report.Networks++;
                report.Parameters += parameters;
                report.DisagreementCount += disagreements.Length;
                report.OracleProblemCount += problems.Length;
                report.Disagreements.AddRange(disagreements.Take(SelfTestReport.Kept - report.Disagreements.Count));
                report.OracleProblems.AddRange(problems.Take(SelfTestReport.Kept - report.OracleProblems.Count));
            }
        }
        report.Elapsed = clock.Elapsed;
        report.Interrupted = interrupt?.Report();
        return report;
    }
}
