using System.Diagnostics;
using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What `selftest` found: how many networks, how fast, and every disagreement.</summary>
public sealed class SelfTestReport
{
    public required ulong Seed { get; init; }
    public required int Count { get; init; }
    public NetworkShape? Shape { get; init; }
    public int Networks { get; set; }
    public long Parameters { get; set; }
    public TimeSpan Elapsed { get; set; }
    /// <summary>Answers of the reference that do not strictly agree with the exact values.</summary>
    public List<string> Disagreements { get; } = [];
    /// <summary>Where the exact values' own cross-checks disagree with them.</summary>
    public List<string> OracleProblems { get; } = [];
    public bool Agrees => Disagreements.Count == 0 && OracleProblems.Count == 0;
    public int ExitCode => Agrees ? 0 : 1;

    /// <summary>The seed and count only: the same on every machine where the oracle agrees with
    /// itself (the rate goes to stderr).</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        string shape = Shape is null ? "" : $", shape {Shape}";
        sb.Append(CultureInfo.InvariantCulture, $"selftest: the reference against the exact values on {Networks} random networks (seed {Seed}, count {Count}{shape}), every property strictly; the exact gradient against forward mode and Richardson differences along random directions\n");
        foreach (string d in Disagreements.Take(20)) sb.Append($"  DISAGREES {d}\n");
        foreach (string p in OracleProblems.Take(20)) sb.Append($"  ORACLE {p}\n");
        sb.Append(Agrees
            ? "PASS: every answer of the reference agrees with the exact values, and the exact values with their cross-checks\n"
            : $"FAIL: {Disagreements.Count} disagreement(s) of the reference, {OracleProblems.Count} problem(s) of the oracle on this machine\n");
        return sb.ToString();
    }
}

/// <summary>
/// `backprop-spec selftest`: the oracle verifies the reference on this machine. Another runtime, CPU
/// or libm can differ from where the suite was run in the last bit of exp or ln; the selftest says
/// whether the tolerance model still holds here. Every property must hold strictly (agrees) for the
/// reference, and the exact gradient must agree with its directional cross-checks. Networks are
/// judged on all cores; the report does not depend on how many.
/// </summary>
public static class SelfTest
{
    public static SelfTestReport Run(ulong seed, int count, NetworkShape? shape = null)
    {
        var report = new SelfTestReport { Seed = seed, Count = count, Shape = shape };
        var reference = new ReferenceBackprop();
        var results = new (string[] disagreements, string[] problems, long parameters)[count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, count, i =>
        {
            Network n = NetworkGen.Sample(seed, i, count, null, shape);
            var disagreements = new List<string>();
            foreach (var (name, verdict) in Properties.Run(new CachingBackprop(reference), n, Precision.Float64, strict: true))
                disagreements.Add($"random network {i}: {name}: [{Zones.Name(verdict.Zone)}] {verdict.Message}");
            string[] problems = Directional.Verify(Truth.For(n), seed: seed).Problems.Select(p => $"random network {i}: {p}").ToArray();
            results[i] = (disagreements.ToArray(), problems, n.ParameterCount);
        });
        report.Elapsed = clock.Elapsed;
        foreach (var (disagreements, problems, parameters) in results)
        {
            report.Networks++;
            report.Parameters += parameters;
            report.Disagreements.AddRange(disagreements);
            report.OracleProblems.AddRange(problems);
        }
        return report;
    }
}
