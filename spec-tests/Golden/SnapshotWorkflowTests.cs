using System.Text;
using BackpropSpec.Cli;
using Snapshooter;
using Snapshooter.Xunit;
using Xunit;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>The approval workflow the README documents, run in a scratch repository.</summary>
[Collection(nameof(SnapshooterEnvironment))]
public class SnapshotWorkflowTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"snapshots-{Guid.NewGuid():N}");
    string Folder => Path.Combine(root, "golden", "snapshots");
    string Approved => Path.Combine(Folder, "__snapshots__", "demo.trace.snap");

    public SnapshotWorkflowTests()
    {
        Directory.CreateDirectory(Path.Combine(Folder, "__snapshots__"));
        File.WriteAllText(Path.Combine(root, "BackpropSpec.sln"), "");
        File.WriteAllText(Approved, "E = 0.2983711088\nW[0,0] 0.4\n", new UTF8Encoding(true));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Changed_output_fails_leaves_the_new_version_pending_and_accept_approves_it()
    {
        const string changed = "E = 0.2983711088\nW[0,0] 0.41\n";
        Exception mismatch = Assert.ThrowsAny<Exception>(() => Snapshot.Match(changed, new SnapshotFullName("demo.trace.snap", Folder)));
        Assert.Contains("0.41", mismatch.Message);                                   // the failure shows the change
        string pending = Path.Combine(Folder, "__snapshots__", "__mismatch__", "demo.trace.snap");
        Assert.True(File.Exists(pending), "the new version is left beside the approved one");

        var shown = new StringWriter();
        Assert.Equal(0, Snapshots.Run(["--root", root], shown));
        Assert.Contains("- W[0,0] 0.4", shown.ToString());
        Assert.Contains("+ W[0,0] 0.41", shown.ToString());
        Assert.Contains("1 pending", shown.ToString());
        Assert.Contains("W[0,0] 0.4\n", File.ReadAllText(Approved));          // showing does not approve

        Assert.Equal(0, Snapshots.Run(["--root", root, "--accept"], new StringWriter()));
        Assert.False(File.Exists(pending));
        Snapshot.Match(changed, new SnapshotFullName("demo.trace.snap", Folder));   // now approved: passes
    }

    [Fact]
    public void In_strict_mode_a_missing_snapshot_fails_instead_of_being_created()
    {
        string? before = Environment.GetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE");
        Environment.SetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE", "true");
        try
        {
            Exception e = Assert.ThrowsAny<Exception>(() => Snapshot.Match("anything", new SnapshotFullName("missing.trace.snap", Folder)));
            Assert.Contains("strict", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.False(File.Exists(Path.Combine(Folder, "__snapshots__", "missing.trace.snap")));
        }
        finally { Environment.SetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE", before); }
    }
}

/// <summary>Tests that change Snapshooter's process-wide environment run apart from other snapshot tests.</summary>
[CollectionDefinition(nameof(SnapshooterEnvironment), DisableParallelization = true)]
public class SnapshooterEnvironment;
