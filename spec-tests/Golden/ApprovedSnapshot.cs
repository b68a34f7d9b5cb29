using BackpropSpec.Cli;
using Snapshooter;
using Snapshooter.Xunit;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>
/// Snapshooter's match, with a failure a person can read: instead of xunit's "Strings differ" at one
/// position, the unified line diff of the approved snapshot against the received one (the same diff
/// `backprop-spec snapshots` shows), and the commands that review, accept or reject it.
/// </summary>
public static class ApprovedSnapshot
{
    /// <summary>Matches <paramref name="received"/> against <paramref name="folder"/>/__snapshots__/<paramref name="name"/>.</summary>
    public static void Match(string received, string name, string folder)
    {
        try { Snapshot.Match(received, new SnapshotFullName(name, folder)); }
        catch (Exception e) when (e is not SnapshotMismatchException)
        {
            string approvedPath = Path.Combine(folder, "__snapshots__", name);
            if (!File.Exists(approvedPath))
                throw new SnapshotMismatchException(
                    $"no approved snapshot {name} (strict mode, as in CI, never creates one): run `dotnet test` without SNAPSHOOTER_STRICT_MODE to create it, review it, and commit it\n({e.Message})");
            string diff = SnapshotReview.UnifiedDiff(SnapshotReview.Read(approvedPath), received,
                $"{name} (approved)", $"{name} (received, left in __snapshots__/__mismatch__/)");
            throw new SnapshotMismatchException(
                $"the output differs from the approved snapshot {name}:\n{diff}"
                + $"review: dotnet run --project oracle/cli -- snapshots\n"
                + $"accept: dotnet run --project oracle/cli -- snapshots --accept {name}   (then commit golden/snapshots)\n"
                + $"reject: dotnet run --project oracle/cli -- snapshots --reject {name}");
        }
    }
}

/// <summary>A snapshot mismatch: the message is the whole story (the diff), so no stack trace is shown.</summary>
public sealed class SnapshotMismatchException(string message) : Exception(message)
{
    public override string? StackTrace => null;
}
