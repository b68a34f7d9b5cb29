using System.Collections.Concurrent;
using System.Diagnostics;

namespace BackpropSpec.Oracle.Protocol;

// The part of the client that only a real process reaches: starting it through /bin/sh in a
// process group of its own, and killing the group. Its own file so that mutation testing can take
// it with the process tests and the rest of the client with the in-process ones (MUTATION.md).
public sealed partial class ProcessBackprop
{
    /// <summary>
    /// The implementation's process, in a process group of its own when util-linux's <c>setsid</c>
    /// is there, so that the whole group can be killed.
    /// </summary>
    sealed class ProcessRun : IRun
    {
        static readonly ConcurrentDictionary<ProcessRun, byte> Live = new();

        /// <summary>setsid makes the command the leader of a new session and process group whose id is
        /// its pid (a child of this process leads no group, so setsid does not fork).</summary>
        static readonly string? Setsid = OperatingSystem.IsWindows() ? null : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

        static ProcessRun()
        {
            // if the oracle itself is stopped, take the implementations with it
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { foreach (ProcessRun p in Live.Keys) p.Kill(); };
        }

        /// <summary>
        /// A plain command with arguments (no operators, redirections, substitutions or leading
        /// VAR=value): run with `exec`, so the implementation replaces the shell. Otherwise the shell
        /// stays as its parent and keeps a copy of the stdout pipe, and a process that closes its
        /// stdout could only be seen as a hang.
        /// </summary>
        static readonly System.Text.RegularExpressions.Regex SimpleCommand = new(@"^\s*[A-Za-z0-9_./:@%+,-]+(\s+[A-Za-z0-9_./:@%+,=""'-]+)*\s*$");

        readonly object groupGate = new();
        /// <summary>The group was killed when the process exited: its id may be a stranger's later.</summary>
        bool groupGone;

        public Process Process { get; }

        public ProcessRun(string commandLine, string workingDirectory)
        {
            var info = new ProcessStartInfo(Setsid ?? "/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            if (Setsid is not null) info.ArgumentList.Add("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(SimpleCommand.IsMatch(commandLine) ? "exec " + commandLine : commandLine);
            Process = new Process { StartInfo = info, EnableRaisingEvents = true };
            // the moment the implementation exits, whatever it started goes too: a helper holding
            // stdout open would turn its crash into a hang, and would outlive the check
            Process.Exited += (_, _) => KillGroup(exited: true);
            Process.Start();
            Live[this] = 0;
        }

        public int? WaitForExit(int ms)
        {
            try { return Process.WaitForExit(ms) ? Process.ExitCode : null; }
            catch (InvalidOperationException) { return null; }
        }

        /// <summary>Whether the process sleeps (state S, I, T or t in /proc/PID/stat): waiting, not
        /// running or exiting. Without /proc, true.</summary>
        public bool Asleep()
        {
            if (!Directory.Exists("/proc")) return true;
            try
            {
                string stat = File.ReadAllText($"/proc/{Process.Id}/stat");
                int state = stat.LastIndexOf(')') + 2;
                return state < stat.Length && stat[state] is 'S' or 'I' or 'T' or 't';
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { return false; }
        }

        /// <summary>Kills the process group, then the process and every descendant still in its tree
        /// (one that left the group), and waits for the process.</summary>
        public void Kill()
        {
            KillGroup(exited: false);
            try { Process.Kill(entireProcessTree: true); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
            try { Process.WaitForExit(2000); } catch (Exception e) when (e is InvalidOperationException or SystemException) { }
            Live.TryRemove(this, out _);
        }

        public void Dispose() => Process.Dispose();

        /// <summary>SIGKILL to the process group setsid made. Safe from strangers: its id is the
        /// process's pid, which no other process can have while the process lives, and the group is
        /// killed once more the moment the process exits (<paramref name="exited"/>) and never after.</summary>
        void KillGroup(bool exited)
        {
            if (Setsid is null) return;
            lock (groupGate)
            {
                if (groupGone) return;
                if (exited) groupGone = true;
                int id;
                try { id = Process.Id; }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { return; }
                if (id > 1) _ = Posix.Kill(-id, Posix.SIGKILL);
            }
        }
    }

    static class Posix
    {
        public const int SIGKILL = 9;

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
