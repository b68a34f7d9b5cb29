using System.Diagnostics;
using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;

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
    public const int DefaultCount = CheckOptions.DefaultCount, DefaultTimeoutMs = CheckOptions.DefaultTimeoutMs;

    public const string Usage = """
          backprop-spec check --impl "<command line>" [--count N] [--seed S] [--timeout-ms T]
                              [--json FILE] [--junit FILE] [--replay INDEX|EXAMPLE]
                              [--strict] [--precision float64|float32]
                              [--shape INPUTS-…-OUTPUTS [--batch M]] [--jobs N]
              check an implementation that speaks the process protocol (oracle/PROTOCOL.md):
              every golden example, then N random networks (default 1000) from seed S (default
              20261123), each request within T ms (default 10000). The first mismatch is shrunk to a
              minimal network and matched against the known bug classes.
              Every answer is judged against the exact value: agrees (within careful arithmetic),
              accuracy (right, but within only a textbook formulation's rounding), range (the
              textbook formulation cannot represent it) or wrong (a bug). Accuracy and range
              findings are listed with the operation that loses the digits and its fix.
              exit 0: nothing wrong; 1: a wrong answer (with --strict: any accuracy or range
              finding too); 2: bad usage or a broken protocol (crash, hang, garbage, wrong-id,
              wrong-shape, non-finite, error-reply outside the range findings).
              --precision judges in that arithmetic whatever hello declares (default: hello's, else float64).
              --shape draws every random network at that architecture (784-128-10), --batch fixes its batch;
              --jobs runs N implementation processes at once (the report is the same for any N).
              --json / --junit write a machine report / JUnit XML; --replay checks one network only.
        """;

    sealed record Options(CheckOptions Check, string? Json, string? Junit);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Any(a => a is "-h" or "--help")) { stdout.Write(Usage); return 0; }
        Options o = Parse(args);
        var clock = Stopwatch.StartNew();
        CheckReport report;
        ProcessBackprop? impl = null;
        try
        {
            impl = new ProcessBackprop(o.Check.Impl, o.Check.TimeoutMs);
            report = CheckRun.Run(impl, o.Check);
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
        bool strict = false;
        string? shape = null;
        int? batch = null;
        int jobs = 1;
        Precision? precision = null;
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
                case "--strict": strict = true; break;
                case "--shape": shape = Value(); break;
                case "--batch": batch = Int(Value(), "--batch", 1); break;
                case "--jobs": jobs = Int(Value(), "--jobs", 1); break;
                case "--precision":
                    string p = Value();
                    precision = p is "float64" or "float32" ? PrecisionProfile.Parse(p)
                        : throw new Commands.UsageException($"check: --precision expects float64 or float32, got '{p}'");
                    break;
                default: throw new Commands.UsageException($"check: unknown option '{args[k]}'");
            }
        }
        if (impl is null) throw new Commands.UsageException("check needs --impl \"<command line>\", for example --impl \"python3 examples/python/backprop.py\"");
        if (string.IsNullOrWhiteSpace(impl)) throw new Commands.UsageException("check: --impl is empty");
        if (replay is not null && !int.TryParse(replay, NumberStyles.None, CultureInfo.InvariantCulture, out _)) Examples.Text(replay);   // an unknown name: ArgumentException with the list
        if (replay is not null && int.TryParse(replay, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index >= count)
            throw new Commands.UsageException($"check: --replay {index} is not below --count {count}");
        if (batch is not null && shape is null) throw new Commands.UsageException("check: --batch goes with --shape");
        NetworkShape? networkShape;
        try { networkShape = shape is null ? null : NetworkShape.Parse(shape, batch); }
        catch (ArgumentException e) { throw new Commands.UsageException($"check: {e.Message}"); }
        return new Options(new CheckOptions(impl, count, seed, timeout, replay, strict, precision, networkShape, jobs), json, junit);
    }

    static int Int(string s, string option, int min) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new Commands.UsageException($"check: {option} expects a whole number ≥ {min}, got '{s}'");

    // ------------------------------------------------------------------ the run
}
