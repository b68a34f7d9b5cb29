using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using BackpropSpec.Oracle.Checking;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// A run stopped by SIGINT (Ctrl-C), SIGTERM (a cancelled CI job) or SIGHUP (the terminal closed) stops cleanly: it kills the
/// implementation and everything it started, writes its report of what was judged before (stdout,
/// --json, --junit, each saying it was interrupted and after how many networks), and exits 129, 130 or 143.
/// The command runs as a process of its own here: a signal is sent to it as a terminal or CI would.
/// </summary>
public class InterruptTests
{
    [Theory]
    [InlineData("INT", "SIGINT", 130)]
    [InlineData("TERM", "SIGTERM", 143)]
    [InlineData("HUP", "SIGHUP", 129)]         // the terminal closed: the runtime's default left the implementation running
    public async Task An_interrupted_check_kills_the_implementation_and_reports_what_it_judged(string signal, string name, int exitCode)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"interrupt-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            string marker = Path.Combine(temp, "busy"), json = Path.Combine(temp, "report.json"), junit = Path.Combine(temp, "report.xml");
            var impl = Tagged.Fixture($"bpsfx_steady.py {marker}");
            using Process check = StartCli("check", "--impl", impl.Command, "--count", "1000000", "--jobs", "2",
                                           "--json", json, "--junit", junit);
            using var _ = new KilledAtTheEnd(check);
            Task<string> stdout = check.StandardOutput.ReadToEndAsync(), stderr = check.StandardError.ReadToEndAsync();
            WaitFor(() => File.Exists(marker) || check.HasExited, "the implementation to answer 1000 requests");
            if (check.HasExited) Assert.Fail($"the check stopped by itself, exit {check.ExitCode}\n{await stdout}{await stderr}");
            Signal(check.Id, signal);
            Assert.True(check.WaitForExit(60_000), "the check did not stop within a minute of the signal");
            string output = await stdout, errors = await stderr;

            Assert.True(check.ExitCode == exitCode, $"exit {check.ExitCode}\n{output}{errors}");
            Assert.Matches($@"INTERRUPTED by {name} after (\d+) of 1000000 random networks: this report covers what was judged before", output);
            Assert.Contains($"INTERRUPTED by {name}: nothing is wrong in the ", output);
            using JsonDocument report = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement root = report.RootElement;
            Assert.Equal("interrupted", root.GetProperty("verdict").GetString());
            Assert.Equal(exitCode, root.GetProperty("exitCode").GetInt32());
            JsonElement interrupted = root.GetProperty("interrupted");
            Assert.Equal(name, interrupted.GetProperty("signal").GetString());
            int judged = interrupted.GetProperty("randomJudged").GetInt32();
            Assert.InRange(judged, 1, 999_999);
            Assert.Equal(judged, root.GetProperty("counts").GetProperty("networks").GetInt32() + root.GetProperty("counts").GetProperty("skippedUnsupported").GetInt32());
            Assert.Equal(judged, root.GetProperty("randomIndices").GetProperty("judged").GetInt32());
            XElement error = XDocument.Load(junit).Descendants("testcase").Single(c => (string?)c.Attribute("name") == "interrupted").Element("error")!;
            Assert.Equal($"interrupted by {name} after {judged} of 1000000 random networks", (string?)error.Attribute("message"));
            impl.AssertNoProcessLeft();
        }
        finally { Directory.Delete(temp, recursive: true); }
    }

    [Fact]
    public async Task An_interrupted_selftest_reports_the_networks_it_judged()
    {
        using Process selftest = StartCli("selftest", "--count", "1000000");
        using var _ = new KilledAtTheEnd(selftest);
        Task<string> stdout = selftest.StandardOutput.ReadToEndAsync(), stderr = selftest.StandardError.ReadToEndAsync();
        // under way: more processor time than starting the program takes (it prints nothing until the end)
        WaitFor(() => ProcessorSeconds(selftest.Id) > 1.5 || selftest.HasExited, "the selftest to be under way");
        Signal(selftest.Id, "TERM");
        Assert.True(selftest.WaitForExit(60_000), "the selftest did not stop within a minute of the signal");
        string output = await stdout, errors = await stderr;
        Assert.True(selftest.ExitCode == 143, $"exit {selftest.ExitCode}\n{output}{errors}");
        Assert.Matches(@"INTERRUPTED by SIGTERM after \d+ of 1000000 networks", output);
        Assert.Contains("INTERRUPTED: every answer of the reference so far agrees", output);
    }

    /// <summary>In the core: outcomes cut short by the interrupt are dropped, the rest are reported.</summary>
    [Fact]
    public void An_interrupt_before_the_run_judges_nothing_and_says_so()
    {
        var interrupt = new Interrupt();
        Assert.True(interrupt.Request("SIGINT", 130));
        Assert.False(interrupt.Request("SIGTERM", 143));              // the first request counts
        SelfTestReport report = SelfTest.Run(1, 1000, interrupt: interrupt);
        Assert.Equal(0, report.Networks);
        Assert.Equal(130, report.ExitCode);
        Assert.Equal("SIGINT", report.Interrupted!.Signal);
    }

    /// <summary>The CLI as a process: its apphost, started so that SIGINT is not ignored (a shell
    /// running it in the background would have it ignored, and exec keeps that).</summary>
    static Process StartCli(params string[] args)
    {
        var info = new ProcessStartInfo(CheckRun.Python3) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // a test run started in the background ignores SIGINT, and one under nohup SIGHUP: ignored
        // signals are inherited, and the runtime leaves a signal ignored at its start ignored (nohup's
        // very purpose). The check starts with the dispositions a terminal gives it.
        foreach (string a in (string[])["-c", "import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)]; os.execv(sys.argv[1], sys.argv[1:])",
                                        Path.Combine(AppContext.BaseDirectory, "backprop-spec"), .. args])
            info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>A check that did not stop when the test failed is killed with everything it started,
    /// not left running (one that ignored its signal once ran on for twenty minutes).</summary>
    sealed class KilledAtTheEnd(Process p) : IDisposable
    {
        public void Dispose()
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }             // it exited meanwhile
        }
    }

    static void Signal(int pid, string signal)
    {
        using Process kill = Process.Start("kill", ["-s", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>User and system time of a process so far, from /proc/PID/stat (clock ticks of 1/100 s).</summary>
    static double ProcessorSeconds(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException) { return 0; }
    }

    static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"waited 90 s for {what}");
            Thread.Sleep(50);
        }
    }
}
