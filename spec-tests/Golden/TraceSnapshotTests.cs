using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>
/// The full trace (forward, backward, update) of every worked example, and 002 after 10,000 steps,
/// against the approved snapshots in golden/snapshots/__snapshots__. A changed trace fails with a
/// unified line diff and leaves the new version in __snapshots__/__mismatch__; the `snapshots`
/// command shows the diffs, `snapshots --accept NAME…` approves some or all, `--reject` discards.
/// CI sets SNAPSHOOTER_STRICT_MODE=true, so a missing snapshot fails there instead of being created.
/// </summary>
[Collection(nameof(SnapshooterEnvironment))]
public class TraceSnapshotTests
{
    /// <summary>Resolved from the repository at run time, never from [CallerFilePath] (see Repo).</summary>
    static readonly string Folder = Repo.Path("golden", "snapshots");

    public static TheoryData<string> ExampleNames => new(Examples.Names);

    [Theory]
    [MemberData(nameof(ExampleNames))]
    public void Trace_of_each_worked_example_matches_its_approved_snapshot(string example)
    {
        string trace = Trace.Of(Examples.Load(example)).ToText();
        ApprovedSnapshot.Match(trace, $"{example}.trace.snap", Folder);
    }

    [Fact]
    public void State_of_002_after_10000_steps_matches_its_approved_snapshot()
    {
        Network trained = Train.Run(Examples.Load("002"), 10_000);
        ApprovedSnapshot.Match(Trace.Of(trained).ToText(), "002-mazur-2-2-2.after-10000-steps.trace.snap", Folder);
    }
}
