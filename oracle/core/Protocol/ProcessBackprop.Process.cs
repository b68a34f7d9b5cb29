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
    /// is there, so that the whole group can be killed. Internal for its tests (ProcessRunTests): what
    /// a machine without <c>setsid</c> or <c>/proc</c> does, and what <c>/proc</c> says.
    /// </summary>
    internal sealed class ProcessRun : IRun
    {
        static readonly ConcurrentDictionary<ProcessRun, byte> Live = new();

        /// <summary>setsid makes the command the leader of a new session and process group whose id is
        /// its pid (a child of this process leads no group, so setsid does not fork). util-linux and
        /// busybox both install it in /usr/bin (on a merged /usr, /bin/setsid is the same file); macOS
        /// has none.</summary>
        internal static readonly string? FoundSetsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

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

        readonly string? setsid;
        readonly string procRoot;
        readonly Action<int> signalGroup;
        readonly Action<Process> killTree;
        readonly object groupGate = new();
        /// <summary>The group was killed when the process exited, or this run is disposed: from then on
        /// its id may be a stranger's, and <see cref="Process"/> may be gone.</summary>
        bool groupGone;

        public Process Process { get; }

        public ProcessRun(string commandLine, string workingDirectory)
            : this(commandLine, workingDirectory, FoundSetsid, "/proc", id => Posix.Kill(-id, Posix.SIGKILL), p => p.Kill(entireProcessTree: true)) { }

        /// <param name="commandLine">The command, run by <c>/bin/sh -c</c>.</param>
        /// <param name="workingDirectory">Where it runs.</param>
        /// <param name="setsid">The setsid program, or null: <c>/bin/sh</c> is started directly, in this
        /// process's group, and only the tree kill ends what it started (as on macOS).</param>
        /// <param name="procRoot">Where <c>/proc</c> is; a directory that does not exist is a machine
        /// without it (<see cref="Sleeping"/>).</param>
        /// <param name="signalGroup">Sends SIGKILL to the process group of the id given.</param>
        /// <param name="killTree">Kills the process and its descendants (<c>Process.Kill(entireProcessTree: true)</c>);
        /// a test's may end nothing, as for a process that outlives its SIGKILL past <see cref="Kill"/>'s wait
        /// (uninterruptible sleep): what the group kill alone then does is seen.</param>
        internal ProcessRun(string commandLine, string workingDirectory, string? setsid, string procRoot, Action<int> signalGroup, Action<Process> killTree)
        {
            this.setsid = setsid;
            this.procRoot = procRoot;
            this.signalGroup = signalGroup;
            this.killTree = killTree;
            var info = new ProcessStartInfo(setsid ?? "/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            if (setsid is not null) info.ArgumentList.Add("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(SimpleCommand.IsMatch(commandLine) ? "exec " + commandLine : commandLine);
            Process = new Process { StartInfo = info, EnableRaisingEvents = true };
            // the moment the implementation exits, whatever it started goes too: a helper holding
            // stdout open would turn its crash into a hang, and would outlive the check
            Process.Exited += (_, _) => KillGroup(exited: true);
            Process.Start();
            Live[this] = 0;
        }

        /// <summary>The exit code once the process has exited within <paramref name="ms"/>, else null.
        /// Called only before <see cref="Dispose"/>.</summary>
        public int? WaitForExit(int ms) => Process.WaitForExit(ms) ? Process.ExitCode : null;

        public bool Asleep() => Sleeping(procRoot, Process.Id);

        /// <summary>Whether process <paramref name="pid"/> sleeps by <c>/proc/PID/stat</c>: its state,
        /// the field after the command name in parentheses (which may itself hold spaces and
        /// parentheses, so after the last ')'), is S, I, T or t: waiting, not running or exiting.
        /// Without <c>/proc</c>, true; a process no longer there, false.</summary>
        internal static bool Sleeping(string procRoot, int pid)
        {
            if (!Directory.Exists(procRoot)) return true;
            try
            {
                string stat = File.ReadAllText(Path.Combine(procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat"));
                int state = stat.LastIndexOf(')') + 2;
                return state < stat.Length && stat[state] is 'S' or 'I' or 'T' or 't';
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        }

        /// <summary>Kills the process and every descendant still in its tree, then the process group
        /// (what is left of it), and waits for the process. The tree first: it stops each process
        /// before it lists its children, so it finds a helper that left the group (a session of its
        /// own) while the helper's parent still lives; killed first by the group, the parent would
        /// take that helper out of the tree with it. The group then ends a helper whose parent had
        /// already exited, which is out of the tree but still in the group. A helper out of both
        /// (a session of its own under a parent that exited) escapes; only a cgroup would hold it.
        /// Safe to call again, and after <see cref="Dispose"/> (the exit handler may race the owner).</summary>
        public void Kill()
        {
            // InvalidOperationException: disposed. AggregateException: a descendant that could not be
            // killed (EPERM: it runs as another user); what can be killed is.
            try { killTree(Process); }
            catch (Exception e) when (e is InvalidOperationException or AggregateException) { }
            KillGroup(exited: false);
            try { Process.WaitForExit(2000); } catch (InvalidOperationException) { }
            Live.TryRemove(this, out _);
        }

        public void Dispose()
        {
            lock (groupGate) groupGone = true;
            Process.Dispose();
        }

        /// <summary>SIGKILL to the process group setsid made. Safe from strangers: its id is the
        /// process's pid, which no other process can have while the process lives, and the group is
        /// killed once more the moment the process exits (<paramref name="exited"/>) and never after.
        /// Never throws: the exit handler calls it on a thread-pool thread.</summary>
        void KillGroup(bool exited)
        {
            if (setsid is null) return;
            lock (groupGate)
            {
                if (groupGone) return;
                if (exited) groupGone = true;
                int id = Process.Id;                             // not disposed: Dispose sets groupGone first
                if (id > 1) signalGroup(id);
            }
        }
    }

    internal static class Posix
    {
        public const int SIGKILL = 9;

        /// <summary>kill(2); its result (ESRCH when nothing is left in the group) does not matter here.</summary>
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
