using System.Text;
using BackpropSpec.Cli;
using Xunit;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>The review workflow the README documents, Verify-style, run in a scratch repository.</summary>
[Collection(nameof(SnapshooterEnvironment))]
public class SnapshotWorkflowTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"snapshots-{Guid.NewGuid():N}");
    string Folder => Path.Combine(root, "golden", "snapshots");
    string ApprovedFolder => Path.Combine(Folder, "__snapshots__");
    string PendingFolder => Path.Combine(ApprovedFolder, "__mismatch__");

    /// <summary>Twelve lines, so a change in the middle leaves unchanged lines outside the diff's context.</summary>
    static string Table(string w00, string e = "0.2983711088") =>
        string.Join("\n", new[] { $"E = {e}" }.Concat(Enumerable.Range(1, 10).Select(k => k == 6 ? $"W[0,0] {w00}" : $"row {k}"))) + "\nend\n";

    public SnapshotWorkflowTests()
    {
        Directory.CreateDirectory(ApprovedFolder);
        File.WriteAllText(Path.Combine(root, "BackpropSpec.sln"), "");
        foreach (string name in new[] { "a.trace.snap", "b.trace.snap" })
            File.WriteAllText(Path.Combine(ApprovedFolder, name), Table("0.4"), new UTF8Encoding(true));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    (int Exit, string Stdout, string Stderr) Cli(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Commands.Run(["snapshots", "--root", root, .. args], stdout, stderr, "backprop-spec");
        return (exit, stdout.ToString(), stderr.ToString());
    }

    void Change(string name, string table)
    {
        Exception e = Assert.ThrowsAny<Exception>(() => ApprovedSnapshot.Match(table, name, Folder));
        Assert.IsType<SnapshotMismatchException>(e);
    }

    [Fact]
    public void A_failing_snapshot_test_shows_a_unified_line_diff_and_leaves_the_received_version_pending()
    {
        var e = Assert.Throws<SnapshotMismatchException>(() => ApprovedSnapshot.Match(Table("0.41"), "a.trace.snap", Folder));
        string[] lines = e.Message.Split('\n');
        Assert.Contains("--- a.trace.snap (approved)", lines);
        Assert.Contains(lines, l => l.StartsWith("+++ a.trace.snap (received", StringComparison.Ordinal));
        Assert.Contains("@@ -4,7 +4,7 @@", lines);                  // hunk header: 3 lines of context around line 7
        int minus = Array.IndexOf(lines, "-W[0,0] 0.4"), plus = Array.IndexOf(lines, "+W[0,0] 0.41");
        Assert.True(minus >= 0 && plus > minus, e.Message);       // approved first, then received
        Assert.Contains(" row 5", lines);                          // context
        Assert.DoesNotContain(" row 1", lines);                    // outside the context
        Assert.DoesNotContain("Strings differ", e.Message);
        Assert.Null(e.StackTrace);
        Assert.Contains("snapshots --accept a.trace.snap", e.Message);
        Assert.True(File.Exists(Path.Combine(PendingFolder, "a.trace.snap")));
    }

    [Fact]
    public void The_snapshots_command_shows_the_same_diff_and_showing_approves_nothing()
    {
        Change("a.trace.snap", Table("0.41"));
        var (exit, shown, _) = Cli();
        Assert.Equal(0, exit);
        string[] lines = shown.Split('\n');
        Assert.Contains("--- golden/snapshots/__snapshots__/a.trace.snap (approved)", lines);
        Assert.Contains("+++ golden/snapshots/__snapshots__/__mismatch__/a.trace.snap (received)", lines);
        Assert.Contains("@@ -4,7 +4,7 @@", lines);
        Assert.True(Array.IndexOf(lines, "-W[0,0] 0.4") is var m && m >= 0 && Array.IndexOf(lines, "+W[0,0] 0.41") > m, shown);
        Assert.Contains("1 pending", shown);
        Assert.Equal(Table("0.4"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "a.trace.snap")));
    }

    [Fact]
    public void Accept_with_names_approves_only_those_and_accept_alone_approves_the_rest()
    {
        Change("a.trace.snap", Table("0.41"));
        Change("b.trace.snap", Table("0.42"));

        var (exit, output, _) = Cli("--accept", "a");                   // a unique start of the name
        Assert.Equal(0, exit);
        Assert.Contains("accepted a.trace.snap", output);
        Assert.Equal(Table("0.41"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "a.trace.snap")));
        Assert.Equal(Table("0.4"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "b.trace.snap")));
        Assert.True(File.Exists(Path.Combine(PendingFolder, "b.trace.snap")));

        Assert.Equal(0, Cli("--accept").Exit);
        Assert.Equal(Table("0.42"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "b.trace.snap")));
        Assert.Empty(Directory.GetFiles(PendingFolder));
        ApprovedSnapshot.Match(Table("0.42"), "b.trace.snap", Folder);   // now approved: passes
    }

    [Fact]
    public void Reject_discards_the_received_version_and_keeps_the_approved_one()
    {
        Change("a.trace.snap", Table("0.41"));
        var (exit, output, _) = Cli("--reject", "a.trace.snap");
        Assert.Equal(0, exit);
        Assert.Contains("rejected a.trace.snap", output);
        Assert.False(File.Exists(Path.Combine(PendingFolder, "a.trace.snap")));
        Assert.Equal(Table("0.4"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "a.trace.snap")));
    }

    [Theory]
    [InlineData("--accept", "nope", "no pending snapshot named 'nope'")]
    [InlineData("--reject", "nope", "no pending snapshot named 'nope'")]
    public void A_name_that_is_not_pending_is_an_error_that_changes_nothing(string option, string name, string message)
    {
        Change("a.trace.snap", Table("0.41"));
        var (exit, _, stderr) = Cli(option, name);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
        Assert.True(File.Exists(Path.Combine(PendingFolder, "a.trace.snap")));
    }

    [Fact]
    public void Accept_with_help_shows_help_and_accepts_nothing()
    {
        Change("a.trace.snap", Table("0.41"));
        var (exit, output, _) = Cli("--accept", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output);
        Assert.True(File.Exists(Path.Combine(PendingFolder, "a.trace.snap")));
        Assert.Equal(Table("0.4"), SnapshotReview.Read(Path.Combine(ApprovedFolder, "a.trace.snap")));
    }

    [Fact]
    public void In_strict_mode_a_missing_snapshot_fails_instead_of_being_created()
    {
        string? before = Environment.GetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE");
        Environment.SetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE", "true");
        try
        {
            var e = Assert.Throws<SnapshotMismatchException>(() => ApprovedSnapshot.Match("anything", "missing.trace.snap", Folder));
            Assert.Contains("no approved snapshot missing.trace.snap", e.Message);
            Assert.False(File.Exists(Path.Combine(ApprovedFolder, "missing.trace.snap")));
        }
        finally { Environment.SetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE", before); }
    }
}

/// <summary>Tests that change Snapshooter's process-wide environment run apart from other snapshot tests.</summary>
[CollectionDefinition(nameof(SnapshooterEnvironment), DisableParallelization = true)]
public class SnapshooterEnvironment;
