using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using BackpropSpec.Oracle.Protocol;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The process runner below the protocol client: what <c>/proc</c> says about a process (read from a
/// <c>/proc</c> of the test's own making, for the states no fixture sleeps in), what a machine without
/// <c>setsid</c> or <c>/proc</c> gets, and killing that is safe to repeat.
/// </summary>
[Collection(nameof(ProcessExitCollection))]
public sealed class ProcessRunTests : IDisposable
{
    readonly string proc = Path.Combine(Path.GetTempPath(), $"proc-{Guid.NewGuid():N}");

    public ProcessRunTests() => Directory.CreateDirectory(proc);

    public void Dispose() => Directory.Delete(proc, recursive: true);

    /// <summary>/proc/PID/stat: pid, (command name), state, ... The name may hold spaces and
    /// parentheses, so the state is the field after the last ')'.</summary>
    [Theory]
    [InlineData("42 (python3) S 1 42 42 0 -1", true)]       // sleeping, interruptible: waiting on a pipe
    [InlineData("42 (python3) I 1 42 42 0 -1", true)]       // idle
    [InlineData("42 (python3) T 1 42 42 0 -1", true)]       // stopped by a signal
    [InlineData("42 (python3) t 1 42 42 0 -1", true)]       // stopped by a debugger
    [InlineData("42 (python3) R 1 42 42 0 -1", false)]      // running
    [InlineData("42 (python3) D 1 42 42 0 -1", false)]      // in uninterruptible I/O: it will go on
    [InlineData("42 (python3) Z 1 42 42 0 -1", false)]      // exited, not reaped yet
    [InlineData("42 (python3) X 1 42 42 0 -1", false)]      // dead
    [InlineData("42 (a) R (b) S 1 42 42 0 -1", true)]       // a name "a) R (b": its last ')' counts
    [InlineData("42 (a) S (b) R 1 42 42 0 -1", false)]
    [InlineData("42 (python3) ", false)]                    // cut short right where the state would be
    [InlineData("42 (python3)", false)]
    [InlineData("", false)]
    public void Sleeping_is_the_state_after_the_last_parenthesis(string stat, bool sleeping)
    {
        Directory.CreateDirectory(Path.Combine(proc, "42"));
        File.WriteAllText(Path.Combine(proc, "42", "stat"), stat);
        Assert.Equal(sleeping, ProcessBackprop.ProcessRun.Sleeping(proc, 42));
    }

    [Fact]
    public void Without_proc_a_process_counts_as_asleep_and_one_no_longer_there_as_awake()
    {
        // no /proc (macOS): nothing to tell a process exiting from one that closed stdout and sleeps,
        // so after a second the client calls it what it most likely is, a crash that kept running
        Assert.True(ProcessBackprop.ProcessRun.Sleeping(Path.Combine(proc, "no-such-dir"), 42));
        Assert.False(ProcessBackprop.ProcessRun.Sleeping(proc, 42));             // reaped: no /proc/42
        Directory.CreateDirectory(Path.Combine(proc, "43", "stat"));            // unreadable as a file
        Assert.False(ProcessBackprop.ProcessRun.Sleeping(proc, 43));
    }

    [Fact]
    public void A_process_waiting_is_asleep_and_once_killed_is_not_and_has_exit_code_137()
    {
        using var run = new ProcessBackprop.ProcessRun("sleep 60", proc);
        Assert.True(SpinWait.SpinUntil(run.Asleep, 10_000), "sleep 60 was never seen asleep in /proc");
        Assert.Null(run.WaitForExit(0));
        run.Kill();
        Assert.Equal(128 + 9, run.WaitForExit(0));                               // SIGKILL
        Assert.False(run.Asleep());
    }

    [Fact]
    public void With_setsid_the_implementation_leads_a_process_group_of_its_own()
    {
        Assert.NotNull(ProcessBackprop.ProcessRun.FoundSetsid);                  // util-linux: on every Linux
        using var run = new ProcessBackprop.ProcessRun("sleep 60", proc);
        Assert.True(SpinWait.SpinUntil(run.Asleep, 10_000), "sleep 60 was never seen asleep in /proc");  // setsid ran, and exec'd
        Assert.Equal(run.Process.Id, ProcessGroup(run.Process.Id));
        run.Kill();
    }

    [Fact]
    public void Without_setsid_the_implementation_stays_in_this_group_and_the_tree_kill_ends_it_and_its_helpers()
    {
        // a helper in a session of its own, under a parent that stays: the tree kill finds it
        var command = Tagged.Of("/bin/sh -c 'setsid sleep 600 & exec sleep 600'");
        var signalled = new ConcurrentQueue<int>();
        using (var run = new ProcessBackprop.ProcessRun(command.Command, proc, setsid: null, "/proc", signalled.Enqueue, TreeKill))
        {
            Assert.True(SpinWait.SpinUntil(() => Children(run.Process.Id) == 1, 10_000), "the helper never started");
            Assert.Equal(ProcessGroup(Environment.ProcessId), ProcessGroup(run.Process.Id));
            run.Kill();
            Assert.Equal(128 + 9, run.WaitForExit(0));
        }
        command.AssertNoProcessLeft();
        Assert.Empty(signalled);                 // its group is this process's: never signalled
    }

    [Fact]
    public void Killing_again_or_after_dispose_does_nothing()
    {
        // the oracle's exit handler kills every live implementation, and may race the owner's own
        // Kill and Dispose
        var run = new ProcessBackprop.ProcessRun("sleep 60", proc);
        run.Kill();
        run.Kill();
        run.Dispose();
        Assert.Throws<InvalidOperationException>(() => run.Process.Id);          // the handle is released
        run.Kill();
        run.Dispose();
    }

    [Fact]
    public void The_group_is_signalled_once_when_the_process_exits_and_never_after()
    {
        // after its exit the group's id may come to a stranger: killing it again could kill the stranger
        var signalled = new ConcurrentQueue<int>();
        var run = new ProcessBackprop.ProcessRun("true", proc, ProcessBackprop.ProcessRun.FoundSetsid, "/proc", signalled.Enqueue, TreeKill);
        Assert.True(SpinWait.SpinUntil(() => !signalled.IsEmpty, 10_000), "the exit did not signal the group");
        int pid = run.Process.Id;
        run.Kill();
        run.Kill();
        run.Dispose();
        run.Kill();
        Assert.Equal([pid], signalled);
    }

    [Fact]
    public void Kill_kills_the_group_itself_not_only_when_the_process_exits()
    {
        // A process the tree kill does not end (here a tree kill that ends nothing; in life, one that
        // outlives its SIGKILL past Kill's 2 s wait, in uninterruptible sleep) is ended by the group kill
        // Kill sends before it waits. Left to the exit handler, the group would be killed only at an exit
        // that may come after Dispose, when the handler no longer may.
        var command = Tagged.Of("sleep 30");
        var signalled = new ConcurrentQueue<int>();
        using var run = new ProcessBackprop.ProcessRun(command.Command, proc, ProcessBackprop.ProcessRun.FoundSetsid, "/proc",
            id => { signalled.Enqueue(id); ProcessBackprop.Posix.Kill(-id, ProcessBackprop.Posix.SIGKILL); }, killTree: _ => { });
        Assert.True(SpinWait.SpinUntil(run.Asleep, 10_000), "sleep 30 was never seen asleep in /proc");
        int pid = run.Process.Id;
        run.Kill();
        Assert.Equal(128 + 9, run.WaitForExit(0));                               // killed by the group's SIGKILL, sent by Kill
        Assert.Contains(pid, signalled);
        Assert.All(signalled, id => Assert.Equal(pid, id));                       // its own group only
        command.AssertNoProcessLeft();
    }

    /// <summary>The tree kill the runner uses.</summary>
    static void TreeKill(System.Diagnostics.Process p) => p.Kill(entireProcessTree: true);

    [Fact]
    public void When_this_process_exits_every_live_implementation_is_killed()
    {
        // The runner's handler of AppDomain.ProcessExit, invoked alone (the others are the test host's):
        // the CLI's second Ctrl-C, or a test host that never disposes its client, ends with it. The
        // runtime (.NET 10) keeps the handlers in AppDomain's private ProcessExit field. It kills every
        // live run of this process, so this class runs alone (ProcessExitCollection).
        using var run = new ProcessBackprop.ProcessRun("sleep 60", proc);
        FieldInfo? field = typeof(AppDomain).GetField("ProcessExit", BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static);
        Assert.True(field is not null, "this runtime keeps ProcessExit's handlers elsewhere: the test must follow it");
        Delegate[] handlers = ((EventHandler?)field.GetValue(AppDomain.CurrentDomain))?.GetInvocationList() ?? [];
        Delegate ours = Assert.Single(handlers, h => h.Method.DeclaringType?.Assembly == typeof(ProcessBackprop).Assembly);
        ours.DynamicInvoke(null, EventArgs.Empty);
        Assert.Equal(128 + 9, run.WaitForExit(0));
    }

    /// <summary>The process group of <paramref name="pid"/>.</summary>
    static int ProcessGroup(int pid) => StatField(File.ReadAllText($"/proc/{pid}/stat"), 2);

    /// <summary>How many processes have <paramref name="pid"/> as their parent.</summary>
    static int Children(int pid) =>
        Directory.GetDirectories("/proc").Count(dir =>
        {
            try { return int.TryParse(Path.GetFileName(dir), out _) && StatField(File.ReadAllText(Path.Combine(dir, "stat")), 1) == pid; }
            catch (IOException) { return false; }                                 // gone meanwhile
        });

    /// <summary>A numeric field of /proc/PID/stat counted from the state (0): 1 the parent, 2 the group.</summary>
    static int StatField(string stat, int field) =>
        int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[field], CultureInfo.InvariantCulture);
}

/// <summary>Runs alone: its exit-handler test kills every implementation this process runs.</summary>
[CollectionDefinition(nameof(ProcessExitCollection), DisableParallelization = true)]
public sealed class ProcessExitCollection;
