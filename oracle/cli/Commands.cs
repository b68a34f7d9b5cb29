using BackpropSpec.Oracle;
using BackpropSpec.Reference;

namespace BackpropSpec.Cli;

/// <summary>The command line. Exit codes: 0 success, 1 a mismatch was found, 2 bad usage or bad input.</summary>
public static class Commands
{
    public static readonly string Usage = """
        backprop-spec: the oracle for backpropagation

        usage:
          backprop-spec trace <network.json | example-name> [--json]
              the full forward and backward trace of one gradient step
          backprop-spec examples
              the built-in worked examples (000 … 004)
          backprop-spec snapshots [--accept] [--root <repo>]
              show the pending trace-snapshot changes left by a failing `dotnet test`, and approve them
          backprop-spec vectors [--out <dir>] [--root <repo>]
              write the language-neutral test vectors and their schema (default: golden/vectors)
        """ + "\n" + Check.Usage + "\n" + """

        An example name may be shortened to its number: `backprop-spec trace 002`.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { stdout.Write(Usage); return args.Length == 0 ? 2 : 0; }
            return args[0] switch
            {
                "trace" => TraceCommand(args[1..], stdout),
                "examples" => ListExamples(stdout),
                "snapshots" => Snapshots.Run(args[1..], stdout),
                "check" => Check.Run(args[1..], stdout, stderr),
                "vectors" => VectorsCommand.Run(args[1..], stdout),
                _ => BadUsage(stderr, $"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e) { return BadUsage(stderr, e.Message); }
        catch (ArgumentException e)
        {
            // NetworkFormatException and friends: the message names the field and position
            stderr.WriteLine($"backprop-spec: {e.Message}");
            return 2;
        }
    }

    static int TraceCommand(string[] args, TextWriter stdout)
    {
        bool json = args.Contains("--json");
        string[] rest = args.Where(a => a != "--json").ToArray();
        if (rest.Length != 1) throw new UsageException("trace takes one network file or example name");
        Network network = LoadNetwork(rest[0]);
        Trace trace = Trace.Of(network);
        stdout.Write(json ? trace.ToJson() + "\n" : trace.ToText());
        return 0;
    }

    static int ListExamples(TextWriter stdout)
    {
        foreach (string name in Examples.Names)
        {
            Network n = Examples.Load(name);
            stdout.WriteLine($"{name,-22} {Trace.Shape(n)}; {Reference.Loss.Name(n.Loss)}");
        }
        return 0;
    }

    /// <summary>A path to a network document, or the name of a built-in example.</summary>
    public static Network LoadNetwork(string pathOrName)
    {
        if (File.Exists(pathOrName))
        {
            try { return NetworkJson.Parse(File.ReadAllText(pathOrName)); }
            catch (NetworkFormatException e) { throw new ArgumentException($"{pathOrName}: {e.Message}", e); }
        }
        if (pathOrName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || pathOrName.Contains('/'))
            throw new ArgumentException($"{pathOrName}: no such file");
        return Examples.Load(pathOrName);
    }

    static int BadUsage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"backprop-spec: {message}");
        stderr.WriteLine("run `backprop-spec --help` for usage");
        return 2;
    }

    internal sealed class UsageException(string message) : Exception(message);
}
