using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;

namespace BackpropSpec.Cli;

/// <summary>
/// The command line, defined with System.CommandLine: every command has --help (which does nothing
/// else), unknown options and arguments are errors, and the root has --version.
/// Exit codes: 0 success, 1 a mismatch was found (check), 2 bad usage or bad input.
/// </summary>
public static class Commands
{
    public const int Ok = 0, Mismatch = 1, BadUsage = 2;

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to the given writers.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, Invocation.Detect());

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with the way this program was
    /// started (<see cref="Invocation"/>), which the replay lines it prints begin with.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, string invocation)
    {
        var context = new Context(stdout, stderr, invocation);
        RootCommand root = Root(context);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (ParseError error in parsed.Errors) stderr.WriteLine($"backprop-spec: {error.Message}");
            string command = parsed.CommandResult.Command == root ? "" : " " + parsed.CommandResult.Command.Name;
            stderr.WriteLine($"run `{invocation}{command} --help` for usage");
            return BadUsage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or NumericOverflowException or IOException or UnauthorizedAccessException)
        {
            // NetworkFormatException and friends: the message names the field and position
            stderr.WriteLine($"backprop-spec: {e.Message}");
            return BadUsage;
        }
    }

    /// <summary>The errors <see cref="Run(string[], TextWriter, TextWriter)"/> would report for
    /// <paramref name="args"/>, found without running anything: for command lines written elsewhere
    /// (the CI workflows) to be checked against the real options.</summary>
    public static IReadOnlyList<string> ParseErrors(string[] args) =>
        Root(new Context(TextWriter.Null, TextWriter.Null, Invocation.ToolCommand)).Parse(args).Errors.Select(e => e.Message).ToArray();

    /// <summary>What every command's action writes to and how this program was started.</summary>
    public sealed record Context(TextWriter Stdout, TextWriter Stderr, string Invocation);

    static RootCommand Root(Context context)
    {
        var root = new RootCommand("backprop-spec: the oracle for backpropagation. Traces the worked examples, checks an implementation in any language over the process protocol (oracle/PROTOCOL.md), verifies itself on this machine, writes the test vectors and reviews the trace snapshots.")
        {
            TraceCommand.Create(context),
            ExamplesCommand.Create(context),
            CheckCommand.Create(context),
            SelfTestCommand.Create(context),
            VectorsCommand.Create(context),
            SnapshotsCommand.Create(context),
        };
        // this program's version, also when another program (a test host) runs it in-process
        foreach (VersionOption version in root.Options.OfType<VersionOption>()) version.Action = new PrintVersion(context);
        return root;
    }

    /// <summary>The package version and the commit it was built from (<c>0.1.0+4f2a…</c>).</summary>
    public static string Version { get; } =
        typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    sealed class PrintVersion(Context c) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            c.Stdout.WriteLine(Version);
            return Ok;
        }
    }

    /// <summary>A path to a network document, or the name of a built-in example (<c>002</c>).</summary>
    public static Network LoadNetwork(string pathOrName)
    {
        if (File.Exists(pathOrName))
        {
            try { return NetworkJson.Parse(File.ReadAllText(pathOrName)); }
            catch (NetworkFormatException e) { throw new ArgumentException($"{pathOrName}: {e.Message}", e); }
        }
        if (Directory.Exists(pathOrName)) throw new ArgumentException($"{pathOrName}: is a folder, not a network document");
        if (pathOrName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || pathOrName.Contains('/') || pathOrName.Contains('\\'))
            throw new ArgumentException($"{pathOrName}: no such file");
        return Examples.Load(pathOrName);
    }

    /// <summary>Adds a parse error when the value names neither an existing file nor an example.</summary>
    internal static void MustBeNetwork(ArgumentResult result)
    {
        string? value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        if (value is null || File.Exists(value)) return;
        if (Directory.Exists(value)) { result.AddError($"{value}: is a folder, not a network document"); return; }
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || value.Contains('/') || value.Contains('\\'))
        {
            result.AddError($"{value}: no such file");
            return;
        }
        try { Examples.Text(value); }
        catch (ArgumentException e) { result.AddError(e.Message); }
    }
}

/// <summary>`backprop-spec trace NETWORK [--json]`.</summary>
static class TraceCommand
{
    public static Command Create(Commands.Context c)
    {
        var network = new Argument<string>("network")
        {
            Description = "a network document (path/to/network.json) or a built-in example's name or number (002; see `examples`)",
        };
        network.Validators.Add(Commands.MustBeNetwork);
        var json = new Option<bool>("--json") { Description = "every value at full round-trip precision, as JSON, instead of the table" };
        var command = new Command("trace", "the full forward and backward trace of one gradient step: net and out of every unit, dE/dout, dout/dnet and delta, dE/dw of every weight and the updated weights") { network, json };
        command.SetAction(parsed =>
        {
            Trace trace = Trace.Of(Commands.LoadNetwork(parsed.GetValue(network)!));
            c.Stdout.Write(parsed.GetValue(json) ? trace.ToJson() + "\n" : trace.ToText());
            return Commands.Ok;
        });
        return command;
    }
}

/// <summary>`backprop-spec examples`.</summary>
static class ExamplesCommand
{
    public static Command Create(Commands.Context c)
    {
        var command = new Command("examples", "list the built-in worked examples (golden/examples), with their shape and loss");
        command.SetAction(_ =>
        {
            foreach (string name in Examples.Names)
            {
                Network n = Examples.Load(name);
                c.Stdout.WriteLine($"{name,-22} {Trace.Shape(n)}; {Reference.Loss.Name(n.Loss)}");
            }
            return Commands.Ok;
        });
        return command;
    }
}
