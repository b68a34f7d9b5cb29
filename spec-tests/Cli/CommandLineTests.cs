using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using BackpropSpec.Cli;
using BackpropSpec.Oracle;
using BackpropSpec.SpecTests.Checking;
using Xunit;

namespace BackpropSpec.SpecTests.Cli;

/// <summary>
/// The command line as a user meets it: --help that does nothing else, errors for anything unknown,
/// --version, output paths checked before work, --replay with the meaning `trace` gives a name, and
/// printed replay lines that run as printed.
/// </summary>
public class CommandLineTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("backprop-spec-cli-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    /// <summary>How these tests start the command, as a user could type it: `dotnet backprop-spec.dll`
    /// from the test's own output folder (the CLI's build is copied there).</summary>
    static readonly string Self = Invocation.Of(AppContext.BaseDirectory, "/usr/bin/dotnet", Directory.GetCurrentDirectory(), "");

    public static (int Exit, string Stdout, string Stderr) Cli(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Commands.Run(args, stdout, stderr, Self);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static TheoryData<string[]> EveryCommand => new(
        [], ["trace"], ["examples"], ["check"], ["vectors"], ["snapshots"], ["snapshots", "--accept"], ["vectors", "--out", "x"]);

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Every_command_has_help_that_shows_usage_and_exits_0(string[] command)
    {
        var (exit, stdout, stderr) = Cli([.. command, "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("--help", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Vectors_help_writes_no_vectors()
    {
        File.WriteAllText(Path.Combine(scratch, "BackpropSpec.sln"), "");
        var (exit, stdout, _) = Cli("vectors", "--root", scratch, "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
        Assert.DoesNotContain("wrote", stdout);
        Assert.False(Directory.Exists(Path.Combine(scratch, "golden")), "vectors --help wrote golden/vectors");
    }

    [Fact]
    public void Trace_help_is_help_not_an_example_name()
    {
        var (exit, stdout, stderr) = Cli("trace", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("trace <network>", stdout);
        Assert.DoesNotContain("no built-in example", stdout + stderr);
    }

    [Theory]
    [InlineData(new[] { "examples", "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "examples", "extra" }, "'extra'")]
    [InlineData(new[] { "trace", "002", "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "trace", "002", "extra" }, "'extra'")]
    [InlineData(new[] { "trace" }, "Required argument 'network' missing")]
    [InlineData(new[] { "vectors", "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "snapshots", "--bogus" }, "'--bogus'")]
    [InlineData(new[] { "snapshots", "--accept", "--reject" }, "--accept and --reject cannot be used together")]
    [InlineData(new[] { "check", "--impl", "true", "extra" }, "'extra'")]
    [InlineData(new[] { "frobnicate" }, "'frobnicate'")]
    public void Unknown_options_and_arguments_are_errors_with_exit_2(string[] args, string message)
    {
        var (exit, stdout, stderr) = Cli(args);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
        Assert.Contains("--help` for usage", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void No_command_at_all_is_an_error_with_exit_2()
    {
        var (exit, _, stderr) = Cli();
        Assert.Equal(2, exit);
        Assert.Contains("Required command was not provided", stderr);
    }

    [Fact]
    public void Version_prints_the_package_version()
    {
        var (exit, stdout, _) = Cli("--version");
        Assert.Equal(0, exit);
        string informational = typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(informational, stdout.Trim());
        // the one version of Directory.Build.props, then the commit it was built from (when built in a git clone)
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(Packaging.VersionPrefix)}(\\+[0-9a-f]{{40}})?$", stdout.Trim());
    }

    [Fact]
    public void Snapshots_with_a_root_that_does_not_exist_is_an_error()
    {
        var (exit, stdout, stderr) = Cli("snapshots", "--root", Path.Combine(scratch, "nonexistent"));
        Assert.Equal(2, exit);
        Assert.Contains("no such folder", stderr);
        Assert.DoesNotContain("no pending", stdout);
        (exit, _, stderr) = Cli("snapshots", "--root", scratch);
        Assert.Equal(2, exit);
        Assert.Contains("not a BackpropSpec repository", stderr);
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--junit")]
    public void An_unwritable_report_path_is_refused_before_the_implementation_starts(string option)
    {
        string started = Path.Combine(scratch, "started");
        var clock = Stopwatch.StartNew();
        var (exit, stdout, stderr) = Cli("check", "--impl", $"touch {started}; {CheckRun.Python3} {Repo.Path("examples", "python", "backprop.py")}", "--count", "50",
                                         option, Path.Combine(scratch, "nonexistent", "report.xml"));
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(started), "the implementation was started although the report could not be written");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));

        (exit, _, stderr) = Cli("check", "--impl", "true", option, scratch);    // a folder
        Assert.Equal(2, exit);
        Assert.Contains("is a folder", stderr);
    }

    [Fact]
    public void Replay_takes_an_example_name_as_trace_does_and_random_N_for_a_random_network()
    {
        string python = $"{CheckRun.Python3} {Repo.Path("examples", "python", "backprop.py")}";
        var (exit, example) = CheckWithJson("--impl", python, "--replay", "002");
        Assert.Equal(0, exit);
        Assert.Equal(1, example.GetProperty("counts").GetProperty("examples").GetInt32());
        Assert.Equal(0, example.GetProperty("counts").GetProperty("networks").GetInt32());
        Assert.Contains("002-mazur-2-2-2", example.ToString());

        var (exit2, random) = CheckWithJson("--impl", python, "--count", "10", "--replay", "random:2");
        Assert.Equal(0, exit2);
        Assert.Equal(0, random.GetProperty("counts").GetProperty("examples").GetInt32());
        Assert.Equal(1, random.GetProperty("counts").GetProperty("networks").GetInt32());
    }

    (int Exit, JsonElement Report) CheckWithJson(params string[] args)
    {
        string file = Path.Combine(scratch, $"{Guid.NewGuid():N}.json");
        var (exit, stdout, stderr) = Cli(["check", .. args, "--json", file]);
        Assert.True(File.Exists(file), stdout + stderr);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
        return (exit, doc.RootElement.Clone());
    }

    [Fact]
    public void A_printed_replay_line_runs_as_printed_and_reproduces_the_mismatch()
    {
        // no golden example has a softmax output: this bug shows on a random network
        string zoo = $"{CheckRun.Python3} {Repo.Path("examples", "zoo", "zoo.py")} --bug softmax-jacobian-twice";
        var (exit, stdout, _) = Cli("check", "--impl", zoo, "--count", "60");
        Assert.Equal(1, exit);
        string replay = stdout.Split('\n').Single(l => l.StartsWith("replay: ", StringComparison.Ordinal))["replay: ".Length..];
        Assert.StartsWith(Self + " check ", replay);
        Assert.Contains(" --replay random:", replay);

        // run exactly that line with /bin/sh, from another folder
        var start = new ProcessStartInfo("/bin/sh", ["-c", replay]) { WorkingDirectory = scratch, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(start)!;
        string replayed = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(1, p.ExitCode);
        string Failure(string text) => text.Split('\n').First(l => l.StartsWith("its failure: ", StringComparison.Ordinal));
        Assert.Equal(Failure(stdout), Failure(replayed));
        Assert.Contains($"replay: {replay}", replayed);
    }

    [Fact]
    public void Without_a_terminal_check_writes_nothing_to_stderr_but_its_timing_line()
    {
        var (exit, _, stderr) = Cli("check", "--impl", $"{CheckRun.Python3} {Repo.Path("examples", "python", "backprop.py")}", "--count", "5");
        Assert.Equal(0, exit);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("backprop-spec check: ", line);
    }
}

/// <summary>How a printed command is formed from the way the program was started.</summary>
public class InvocationTests
{
    static readonly string Root = Repo.Root;

    [Fact]
    public void A_build_in_a_clone_prints_dotnet_run_with_the_project_relative_to_the_current_folder()
    {
        string bin = Path.Combine(Root, "oracle", "cli", "bin", "Debug", "net10.0") + "/";
        Assert.Equal("dotnet run --project oracle/cli --", Invocation.Of(bin, Path.Combine(bin, "backprop-spec"), Root, "/usr/bin"));
        Assert.Equal("dotnet run --project ../oracle/cli --", Invocation.Of(bin, Path.Combine(bin, "backprop-spec"), Path.Combine(Root, "golden"), "/usr/bin"));
    }

    [Fact]
    public void A_local_tool_prints_dotnet_backprop_spec()
    {
        string store = "/home/u/.nuget/packages/backprop-spec/0.1.0/tools/net10.0/any/";
        Assert.Equal("dotnet backprop-spec", Invocation.Of(store, "/usr/share/dotnet/dotnet", "/work/elsewhere", "/usr/bin"));
    }

    [Fact]
    public void A_global_tool_on_PATH_prints_its_command_name_and_one_off_PATH_its_full_path()
    {
        string store = "/home/u/.dotnet/tools/.store/backprop-spec/0.1.0/backprop-spec/0.1.0/tools/net10.0/any/";
        Assert.Equal("backprop-spec", Invocation.Of(store, "/home/u/.dotnet/tools/backprop-spec", "/tmp", "/usr/bin:/home/u/.dotnet/tools"));
        Assert.Equal("'/opt/my tools/backprop-spec'", Invocation.Of(store, "/opt/my tools/backprop-spec", "/tmp", "/usr/bin"));
    }

    [Fact]
    public void A_dll_run_with_dotnet_prints_that_dll()
    {
        Assert.Equal("dotnet /opt/bps/backprop-spec.dll", Invocation.Of("/opt/bps/", "/usr/bin/dotnet", "/tmp", "/usr/bin"));
    }
}
