using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec check --impl "&lt;command line&gt;"`: the oracle for an implementation in any language.
/// The run itself is <see cref="CheckRun"/> in the core; this maps the options to a
/// <see cref="CheckOptions"/> and prints the <see cref="CheckReport"/>.
///
/// Exit codes: 0 every answer agrees; 1 a mismatch; 2 bad usage or a broken protocol; 129 / 130 / 143
/// interrupted by SIGHUP / SIGINT / SIGTERM (the reports then cover what was judged before). stdout and the
/// --json / --junit reports depend on the seed and the implementation's answers only: no times, no
/// paths of temporary files. Timing (and, on a terminal, progress) goes to stderr.
/// </summary>
public static class CheckCommand
{
    public const ulong DefaultSeed = RunSettings.DefaultSeed;
    public const int DefaultCount = CheckOptions.DefaultCount, DefaultTimeoutMs = CheckOptions.DefaultTimeoutMs;

    /// <summary>The options of `check`. To add one: a field here, a line in <see cref="Create"/>'s
    /// initializer, and its value in <see cref="ToOptions"/>.</summary>
    sealed class Definition
    {
        public readonly Option<string> Impl = new("--impl")
        {
            Description = "the implementation's command line, run with /bin/sh -c, for example \"python3 my_backprop.py\"",
            Required = true,
        };
        public readonly Option<int> Count = new("--count")
        {
            Description = "random networks after the golden examples",
            DefaultValueFactory = _ => DefaultCount,
        };
        public readonly Option<ulong> Seed = new("--seed")
        {
            Description = "the seed of the random networks; the same seed gives the same networks and byte-identical reports",
            DefaultValueFactory = _ => DefaultSeed,
        };
        public readonly Option<int> TimeoutMs = new("--timeout-ms")
        {
            Description = "how long one request may take, in milliseconds",
            DefaultValueFactory = _ => DefaultTimeoutMs,
        };
        public readonly Option<string?> Json = new("--json") { Description = "also write the machine report (JSON) to this file", HelpName = "file" };
        public readonly Option<string?> Junit = new("--junit") { Description = "also write JUnit XML for CI to this file", HelpName = "file" };
        public readonly Option<string?> Replay = new("--replay")
        {
            Description = "check one network only: random:N (the N-th random network of --seed and --count) or a golden example's name or number, as `trace` takes it (002)",
            HelpName = "random:N|example",
        };
        public readonly Option<bool> Strict = new("--strict")
        {
            Description = "accuracy and range findings fail too (exit 1): answers right in exact arithmetic but less accurate than careful arithmetic",
        };
        public readonly Option<string?> Precision = new("--precision")
        {
            Description = "judge in this arithmetic whatever the implementation's hello declares: float64 or float32 (default: hello's, else float64)",
            HelpName = "float64|float32",
        };
        public readonly Option<string?> Shape = new("--shape")
        {
            Description = "draw every random network at this architecture, inputs-units-…-outputs, for example 784-128-10 (activations, loss and values stay random)",
            HelpName = "inputs-…-outputs",
        };
        public readonly Option<int?> Batch = new("--batch") { Description = "the batch size of the random networks (with --shape)", HelpName = "m" };
        public readonly Option<int> Jobs = new("--jobs")
        {
            Description = "implementation processes judged at once; the report is the same for any number",
            DefaultValueFactory = _ => 1,
        };
        public readonly Option<string?> Shard = new("--shard")
        {
            Description = "judge only shard K of N of the random networks: every index i with i mod N = K-1 (the golden examples go with shard 1); N runs with K = 1 … N judge exactly the networks of one run",
            HelpName = "K/N",
        };

        public Definition()
        {
            Impl.Validators.Add(r => { if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>())) r.AddError("--impl is empty"); });
            Count.Validators.Add(r => AtLeast(r, 0));
            TimeoutMs.Validators.Add(r => AtLeast(r, 1));
            Json.Validators.Add(OutputFile);
            Junit.Validators.Add(OutputFile);
            Jobs.Validators.Add(r => AtLeast(r, 1));
            Precision.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<string?>() is { } v && v is not ("float64" or "float32")) r.AddError($"--precision expects float64 or float32, got '{v}'");
            });
            Shape.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<string?>() is not { } v) return;
                try { NetworkShape.Parse(v); }
                catch (ArgumentException e) { r.AddError(e.Message); }
            });
            Shard.Validators.Add(ValidateShard);
            Batch.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int?>() is { } m && (m < 1 || m > Reference.Validation.MaxBatch))
                    r.AddError($"--batch expects a whole number from 1 to {Reference.Validation.MaxBatch}, got {m}");
            });
        }

        public CheckOptions ToOptions(ParseResult p, string invocation) =>
            new(p.GetValue(Impl)!, p.GetValue(Count), p.GetValue(Seed), p.GetValue(TimeoutMs), p.GetValue(Replay),
                p.GetValue(Strict), p.GetValue(Precision) is { } precision ? PrecisionProfile.Parse(precision) : null,
                p.GetValue(Shape) is { } shape ? NetworkShape.Parse(shape, p.GetValue(Batch)) : null, p.GetValue(Jobs),
                p.GetValue(Shard) is { } shard ? Oracle.Shard.ParseOption(shard) : null)
            { Invocation = invocation };

        /// <summary>--batch only with --shape: without it the batch size is random like the rest.</summary>
        public void ValidateBatch(CommandResult command)
        {
            if (command.GetResult(Batch) is { Tokens.Count: > 0 } r && command.GetResult(Shape) is not { Tokens.Count: > 0 })
                r.AddError("--batch goes with --shape");
        }

        /// <summary>--replay random:N | EXAMPLE, checked against --count here, before anything runs.</summary>
        public void ValidateReplay(CommandResult command)
        {
            if (command.GetResult(Replay) is not { } r || r.Tokens.Count == 0) return;
            string value = r.Tokens[0].Value;
            if (command.GetResult(Shard) is { Tokens.Count: > 0 })
            {
                r.AddError("--replay checks one network, so it goes without --shard (a random network's index is the same in every shard)");
                return;
            }
            if (value.StartsWith(CheckRun.RandomPrefix, StringComparison.Ordinal))
            {
                int count;
                try { count = command.GetValue(Count); }
                catch (InvalidOperationException) { return; }     // --count itself is wrong, and said so
                if (!int.TryParse(value[CheckRun.RandomPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    r.AddError($"--replay {value}: expected random:N with N a whole number, for example random:3");
                else if (index >= count)
                    r.AddError($"--replay {value}: random network {index} is not below --count {count}");
                return;
            }
            try { Examples.Text(value); }
            catch (ArgumentException e) { r.AddError($"--replay {value}: {e.Message}; a random network is random:N"); }
        }
    }

    public static Command Create(Commands.Context c)
    {
        var d = new Definition();
        var command = new Command("check", """
            check an implementation that speaks the process protocol (oracle/PROTOCOL.md): every golden example, then --count random networks from --seed, each through every property. Every answer is judged against the exact value: agrees (within careful arithmetic), accuracy (right, but only within a textbook formulation's rounding), range (the textbook formulation cannot represent it) or wrong (a bug). Accuracy and range findings are listed with the operation that loses the digits and its fix; the first wrong answer is shrunk to a minimal network and matched against the known bug classes.
            exit 0: nothing is wrong; 1: a wrong answer (with --strict also an accuracy or range finding); 2: bad usage or a broken protocol (crash, hang, garbage, wrong-id, wrong-shape, non-finite, error-reply where every answer is representable, or too-long) or an implementation it cannot judge; 129 / 130 / 143: interrupted by SIGHUP / SIGINT / SIGTERM, with the reports of what was judged before.
            """)
        {
            d.Impl, d.Count, d.Seed, d.TimeoutMs, d.Json, d.Junit, d.Replay, d.Strict, d.Precision, d.Shape, d.Batch, d.Jobs, d.Shard,
        };
        command.Validators.Add(d.ValidateReplay);
        command.Validators.Add(d.ValidateBatch);
        command.SetAction(p => Run(d.ToOptions(p, c.Invocation), p.GetValue(d.Json), p.GetValue(d.Junit), c));
        return command;
    }

    static int Run(CheckOptions options, string? json, string? junit, Commands.Context c)
    {
        // The output files are checked before any work: a bad path must not cost a whole run.
        foreach (string? file in new[] { json, junit })
            if (file is not null && Writable.Problem(file) is { } problem)
            {
                c.Stderr.WriteLine($"backprop-spec: {problem}");
                return Commands.BadUsage;
            }
        var clock = Stopwatch.StartNew();
        CheckReport report;
        using var impl = new ProcessBackprop(options.Impl, options.TimeoutMs);
        var interrupt = new Interrupt();
        using IDisposable signals = Signals.Catch(interrupt);
        try
        {
            report = Progress.While(c.Stderr, () => CheckRun.Run(impl, options, interrupt),
                () => $"checking {options.Impl}: {impl.Requests} requests, {clock.Elapsed.TotalSeconds:F0} s");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // the oracle itself never crashes: whatever went wrong is said, with exit 2
            c.Stderr.WriteLine($"backprop-spec check: internal error while checking: {e.GetType().Name}: {e.Message}");
            c.Stderr.WriteLine(Environment.GetEnvironmentVariable("BACKPROPSPEC_DEBUG") is null
                ? "(this is a bug in backprop-spec; set BACKPROPSPEC_DEBUG=1 for the stack trace)" : e.ToString());
            return Commands.BadUsage;
        }

        c.Stdout.Write(report.Text());
        try
        {
            if (json is not null) File.WriteAllText(json, report.Json());
            if (junit is not null) File.WriteAllText(junit, report.JUnit());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            c.Stderr.WriteLine($"backprop-spec check: could not write a report: {e.Message}");
            return Math.Max(report.ExitCode, Commands.BadUsage);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        int networks = report.ExamplesChecked + report.NetworksChecked + report.NetworksSkipped;
        c.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"backprop-spec check: {networks} networks in {seconds:F2} s ({networks / Math.Max(seconds, 1e-9):F0} per second), {impl.Requests} requests, {impl.Starts} process start(s); {impl.Waiting.TotalSeconds:F2} s of it waiting for the implementation"));
        return report.ExitCode;
    }

    /// <summary>--shard K/N, read as <see cref="Oracle.Shard.ParseOption"/> reads it.</summary>
    internal static void ValidateShard(OptionResult r)
    {
        if (r.Tokens.Count == 0) return;
        try { Oracle.Shard.ParseOption(r.Tokens[0].Value); }
        catch (ArgumentException e) { r.AddError(e.Message); }
    }

    static void AtLeast(OptionResult r, int min)
    {
        // a token that is no number at all is System.CommandLine's own error ("Cannot parse argument …")
        if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value < min)
            r.AddError($"{r.IdentifierToken?.Value ?? r.Option.Name} expects a whole number ≥ {min}, got '{r.Tokens[0].Value}'");
    }

    static void OutputFile(OptionResult r)
    {
        if (r.Tokens.Count > 0 && Writable.Problem(r.Tokens[0].Value, probe: false) is { } problem) r.AddError(problem);
    }
}
