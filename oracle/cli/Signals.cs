using System.Runtime.InteropServices;
using BackpropSpec.Oracle.Checking;

namespace BackpropSpec.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (a CI job cancelled or timed out) during a long run: the first asks
/// the run to stop through an <see cref="Interrupt"/>. The run then kills the implementation, writes
/// its report of what it judged (stdout, --json, --junit) and exits 128 + the signal's number: 130
/// for SIGINT, 143 for SIGTERM. A second signal ends the program at once, as it would without this
/// (the implementations' processes are killed on the way out).
/// </summary>
static class Signals
{
    public const int SigintExitCode = 130, SigtermExitCode = 143;

    /// <summary>Routes SIGINT and SIGTERM to <paramref name="interrupt"/> until disposed.</summary>
    public static IDisposable Catch(Interrupt interrupt)
    {
        PosixSignalRegistration[] registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = interrupt.Request("SIGINT", SigintExitCode)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = interrupt.Request("SIGTERM", SigtermExitCode)),
        ];
        return new All(registrations);
    }

    sealed class All(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (PosixSignalRegistration r in registrations) r.Dispose();
        }
    }
}
