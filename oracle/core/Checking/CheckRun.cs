using System.Globalization;
using System.Text;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Checking;

/// <summary>What one `check` run is asked to do.</summary>
/// <param name="Impl">The implementation's command line (run with /bin/sh -c).</param>
/// <param name="Count">Random networks after the golden examples.</param>
/// <param name="Seed">The seed of the random networks.</param>
/// <param name="TimeoutMs">How long one request may take.</param>
/// <param name="Replay">One network only: <c>random:N</c> (the N-th random network), or an example's name or number.</param>
/// <param name="Strict">Accuracy and range findings fail too (exit 1).</param>
/// <param name="Precision">Judge in this arithmetic, whatever hello declares.</param>
/// <param name="Shape">Random networks of this architecture (inputs-…-outputs, and the batch size if given).</param>
/// <param name="Jobs">Implementation processes judged in parallel.</param>
/// <param name="Shard">This run's share of the random networks (<see cref="Oracle.Shard"/>); null for all of them.</param>
public sealed record CheckOptions(string Impl, int Count = CheckOptions.DefaultCount, ulong Seed = RunSettings.DefaultSeed,
                                  int TimeoutMs = CheckOptions.DefaultTimeoutMs, string? Replay = null,
                                  bool Strict = false, Precision? Precision = null, NetworkShape? Shape = null, int Jobs = 1,
                                  Shard? Shard = null)
{
    public const int DefaultCount = 1000, DefaultTimeoutMs = 10000;

    /// <summary>The command that started this check (<c>backprop-spec</c>, <c>dotnet backprop-spec</c>,
    /// <c>dotnet run --project oracle/cli --</c>): the printed replay lines begin with it, so they run as printed.</summary>
    public string Invocation { get; init; } = "backprop-spec";

    /// <summary>The exact values' own cross-check on each network judged (<see cref="Directional.Problems"/>):
    /// its problems are the oracle's, reported apart and never a verdict. Replaced only by tests.</summary>
    internal Func<Truth, ulong, IReadOnlyList<string>> CrossCheck { get; init; } = Directional.Problems;
}

/// <summary>
/// The check of an implementation over the process protocol: every golden example, then N random
/// networks within what its hello lists, each through every property (<see cref="Properties.All"/>),
/// judged in the declared precision. Accuracy and range findings are collected and summarised by
/// cause; the first wrong answer (or, with --strict, the first finding) is shrunk through the protocol
/// to a minimal network that fails the same property the same way, and diagnosed. The result is a
/// <see cref="CheckReport"/>; the command line only prints it.
/// </summary>
public static class CheckRun
{
    /// <summary>--replay random:N names the N-th random network; anything else names a golden example.</summary>
    public const string RandomPrefix = "random:";

    /// <summary>Runs the check against a started or unstarted process implementation (and, with
    /// <see cref="CheckOptions.Jobs"/> above 1, more processes of the same command). An
    /// <paramref name="interrupt"/> stops it early with a report of what was judged before.</summary>
    public static CheckReport Run(ProcessBackprop impl, CheckOptions options, Interrupt? interrupt = null) =>
        new Checker(impl, options, interrupt ?? new Interrupt()).Run();

    /// <summary>The capabilities networks can be built from: losses whose output activation is
    /// missing are dropped. Sets <paramref name="unusable"/> when nothing is left.</summary>
    internal static Capabilities Usable(Capabilities caps, out string? unusable)
    {
        LossKind[] losses = caps.Losses.Where(l => Loss.RequiredOutput(l) is not { } f || caps.Activations.Contains(f)).ToArray();
        unusable = caps.Activations.Count == 0 ? "its hello lists no activation this checker knows"
                 : losses.Length == 0 ? "its hello lists no loss this checker can build a network for"
                 : null;
        return caps with { Losses = losses };
    }

    /// <summary>Why a network is outside the capabilities, or null when it is inside.</summary>
    internal static string? Outside(Network n, Capabilities caps)
    {
        if (!caps.Losses.Contains(n.Loss)) return $"outside the capabilities of its hello (loss {Loss.Name(n.Loss)})";
        foreach (Layer l in n.Layers)
            if (!caps.Activations.Contains(l.Activation)) return $"outside the capabilities of its hello (activation {Activations.Name(l.Activation)})";
        return null;
    }

    internal static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>A word for /bin/sh: single quotes, with ' written as '\''.</summary>
    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
