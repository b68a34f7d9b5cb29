using System.Runtime.InteropServices;
using BackpropSpec.Oracle.Checking;

namespace BackpropSpec.Cli;

/// <summary>
/// SIGINT (Ctrl-C), SIGTERM (a CI job cancelled or timed out) and SIGHUP (the terminal closed, an SSH
/// session dropped) during a long run: the first asks the run to stop through an
/// <see cref="Interrupt"/>. The run then kills the implementation, writes its report of what it
/// judged (stdout, --json, --junit) and exits 128 + the signal's number: 129 for SIGHUP, 130 for
/// SIGINT, 143 for SIGTERM. Without SIGHUP here the runtime's default ended the program on the spot,
/// with no report and no kill: an implementation that does not stop at the end of its input, and
/// its helpers, ran on. A second signal ends the program at once, as it would without this (the
/// implementations' processes are killed on the way out).
/// </summary>
static class Signals
{
    public const int SighupExitCode = 129, SigintExitCode = 130, SigtermExitCode = 143;

    /// <summary>Routes SIGHUP, SIGINT and SIGTERM to <paramref name="interrupt"/> until disposed.</summary>
    public static IDisposable Catch(Interrupt interrupt)
    {
        PosixSignalRegistration[] registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = interrupt.Request("SIGHUP", SighupExitCode)),
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
