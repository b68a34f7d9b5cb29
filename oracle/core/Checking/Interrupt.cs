namespace BackpropSpec.Oracle.Checking;

/// <summary>
/// A request to stop a run early, from a signal (SIGINT: Ctrl-C, SIGTERM: a CI job cancelled or timed
/// out, SIGHUP: the terminal closed). The run stops claiming networks, abandons the ones being judged (an answer cut short is not
/// a verdict), kills the implementation's processes, and reports what it judged before: the networks
/// whose outcomes were taken into the report, in order. The command exits with
/// <see cref="ExitCode"/>, 128 + the signal's number by convention (129 for SIGHUP, 130 for SIGINT, 143 for SIGTERM).
/// </summary>
public sealed class Interrupt
{
    readonly CancellationTokenSource source = new();

    public CancellationToken Token => source.Token;
    public bool Requested => source.IsCancellationRequested;

    /// <summary>What asked for the stop (<c>SIGHUP</c>, <c>SIGINT</c>, <c>SIGTERM</c>), once requested.</summary>
    public string? Signal { get; private set; }

    /// <summary>The exit code of an interrupted run.</summary>
    public int ExitCode { get; private set; }

    /// <summary>Asks the run to stop; false when it was asked already (the first request counts).</summary>
    public bool Request(string signal, int exitCode)
    {
        lock (source)
        {
            if (Signal is not null) return false;
            Signal = signal;
            ExitCode = exitCode;
        }
        source.Cancel();
        return true;
    }

    /// <summary>What a report says of an interrupted run, or null when it was not interrupted.</summary>
    public Interruption? Report() => Requested ? new Interruption(Signal!, ExitCode) : null;
}

/// <summary>The run was interrupted by <paramref name="Signal"/> and exits with <paramref name="ExitCode"/>.</summary>
public sealed record Interruption(string Signal, int ExitCode);
