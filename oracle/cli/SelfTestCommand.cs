using System.CommandLine;
using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec selftest [--shape S [--batch M]] [--count N] [--seed S] [--shard K/N]`: the oracle
/// verifies the reference on this machine (<see cref="SelfTest"/>). stdout depends on the seed and
/// count only; networks per second go to stderr. Exit 0 when every answer agrees, 1 on any
/// disagreement, 129 / 130 / 143 when interrupted by SIGHUP / SIGINT / SIGTERM (with the report of what was judged).
/// </summary>
static class SelfTestCommand
{
    public const int DefaultCount = 1000;

    public static Command Create(Commands.Context c)
    {
        var count = new Option<int>("--count") { Description = "random networks", DefaultValueFactory = _ => DefaultCount };
        var seed = new Option<ulong>("--seed") { Description = "the seed of the random networks", DefaultValueFactory = _ => RunSettings.DefaultSeed };
        var shape = new Option<string?>("--shape") { Description = "draw every network at this architecture, inputs-units-…-outputs (784-128-10)", HelpName = "inputs-…-outputs" };
        var batch = new Option<int?>("--batch") { Description = "the batch size (with --shape)", HelpName = "m" };
        var shard = new Option<string?>("--shard")
        {
            Description = "judge only shard K of N of the random networks: every index i with i mod N = K-1; N runs with K = 1 … N judge exactly the networks of one run",
            HelpName = "K/N",
        };
        shard.Validators.Add(CheckCommand.ValidateShard);
        count.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--count expects a whole number of at least 1"); });
        shape.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is not { } v) return;
            try { NetworkShape.Parse(v); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });
        var command = new Command("selftest", """
            the oracle verifies the reference on this machine: every property must hold strictly (every answer within careful arithmetic of the exact value) on --count random networks, and the exact gradient must agree with forward mode and Richardson differences along random directions. Another runtime, CPU or libm may differ in the last bit of exp or ln; this says whether the tolerance model still holds here. Runs on all cores; prints networks per second on stderr.
            exit 0: every answer agrees; 1: a disagreement; 129 / 130 / 143: interrupted by SIGHUP / SIGINT / SIGTERM, with the report of the networks judged before.
            """) { count, seed, shape, batch, shard };
        command.Validators.Add(r =>
        {
            if (r.GetResult(batch) is { Tokens.Count: > 0 } b && r.GetResult(shape) is not { Tokens.Count: > 0 }) b.AddError("--batch goes with --shape");
        });
        command.SetAction(p =>
        {
            NetworkShape? s = p.GetValue(shape) is { } text ? NetworkShape.Parse(text, p.GetValue(batch)) : null;
            var interrupt = new Interrupt();
            SelfTestReport report;
            using (Signals.Catch(interrupt))
                report = SelfTest.Run(p.GetValue(seed), p.GetValue(count), s, p.GetValue(shard) is { } k ? Oracle.Shard.ParseOption(k) : null, interrupt);
            c.Stdout.Write(report.Text());
            double seconds = report.Elapsed.TotalSeconds;
            c.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"backprop-spec selftest: {report.Networks} networks, {report.Parameters:N0} parameters in {seconds:F2} s ({report.Networks / Math.Max(seconds, 1e-9):F0} networks per second on {Environment.ProcessorCount} cores)"));
            return report.ExitCode;
        });
        return command;
    }
}
