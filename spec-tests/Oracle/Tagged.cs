using System.Text;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// A fixture's command with a tag of its own in its environment (through <c>env</c>, which execs, so
/// the process is the same), inherited by every process the fixture starts. What a run leaves behind
/// is found by its tag, never by the fixture's name: a name is shared with the same fixture run by a
/// test beside it, or by a second test process (Stryker runs two at once), and a search by name
/// failed there with no fault in the code under test.
/// </summary>
sealed class Tagged
{
    public string Tag { get; } = Guid.NewGuid().ToString("N");

    /// <summary>What to pass as <c>--impl</c>.</summary>
    public string Command { get; }

    Tagged(string command) => Command = $"env BPSFX_TAG={Tag} {command}";

    /// <summary>Any command: <c>env</c> runs it with the tag.</summary>
    public static Tagged Of(string command) => new(command);

    /// <summary>A fixture of fixtures/, with its arguments.</summary>
    public static Tagged Fixture(string nameAndArguments) => new(CheckRun.Fixture(nameAndArguments));

    /// <summary>No process with this run's tag is left (the fixture's helpers included): each is
    /// shown with its command line. A killed process may take a moment to be reaped, so for 2 s.</summary>
    public void AssertNoProcessLeft()
    {
        List<string> left = [];
        for (int attempt = 0; attempt < 20; attempt++)
        {
            left = Running();
            if (left.Count == 0) return;
            Thread.Sleep(100);
        }
        Assert.Fail($"processes left running:\n{string.Join("\n", left)}");
    }

    /// <summary>Every process whose environment holds the tag, as "pid command line". A zombie's
    /// environment reads empty: it is dead, only not reaped.</summary>
    List<string> Running()
    {
        byte[] mark = Encoding.ASCII.GetBytes($"BPSFX_TAG={Tag}\0");
        var found = new List<string>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(mark) < 0) continue;
                found.Add($"{pid} {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // gone meanwhile
        }
        return found;
    }
}
