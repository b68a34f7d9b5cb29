using System.CommandLine;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec snapshots [--accept [NAME…] | --reject [NAME…]] [--root REPO]`: reviews the trace
/// snapshots a failing `dotnet test` left pending (see <see cref="SnapshotReview"/>).
/// </summary>
static class SnapshotsCommand
{
    public static Command Create(Commands.Context c)
    {
        var accept = new Option<string[]>("--accept")
        {
            Description = "approve the named pending snapshots (all of them when no name is given); then commit golden/snapshots",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "name",
        };
        var reject = new Option<string[]>("--reject")
        {
            Description = "discard the named pending snapshots (all of them when no name is given); the approved ones stay",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "name",
        };
        var root = new Option<string?>("--root")
        {
            Description = "the BackpropSpec repository (default: the one around the current folder)",
            HelpName = "folder",
        };
        root.Validators.Add(r =>
        {
            string folder = r.Tokens[0].Value;
            if (!Directory.Exists(folder)) r.AddError($"--root {folder}: no such folder");
            else if (!File.Exists(Path.Combine(folder, "BackpropSpec.sln"))) r.AddError($"--root {folder}: not a BackpropSpec repository (no BackpropSpec.sln there)");
        });
        var command = new Command("snapshots", "show the snapshot changes (traces and check reports) a failing `dotnet test` left pending, as unified diffs (- approved, + received), and accept or reject them")
        {
            accept, reject, root,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(accept) is not null && r.GetResult(reject) is not null) r.AddError("--accept and --reject cannot be used together");
        });
        command.SetAction(p =>
        {
            string repo = p.GetValue(root) ?? Oracle.RepositoryRoot.Find(Directory.GetCurrentDirectory())
                ?? throw new ArgumentException("snapshots: run it inside the BackpropSpec repository, or give --root <folder>");
            var review = new SnapshotReview(Path.GetFullPath(repo));
            bool accepting = p.GetResult(accept) is not null, rejecting = p.GetResult(reject) is not null;
            string[] names = (accepting ? p.GetValue(accept) : rejecting ? p.GetValue(reject) : null) ?? [];
            IReadOnlyList<string> chosen = names.Length > 0 ? review.Resolve(names) : review.Pending();
            if (review.Pending().Count == 0)
            {
                c.Stdout.WriteLine($"no pending snapshot changes in {Path.GetRelativePath(review.Root, review.PendingFolder)} (they appear after a failing snapshot test in `dotnet test`)");
                return Commands.Ok;
            }
            foreach (string name in chosen)
            {
                c.Stdout.Write(review.Diff(name));
                if (accepting) { review.Accept(name); c.Stdout.WriteLine($"accepted {name}"); }
                if (rejecting) { review.Reject(name); c.Stdout.WriteLine($"rejected {name}"); }
                c.Stdout.WriteLine();
            }
            int left = review.Pending().Count;
            if (left > 0)
                c.Stdout.WriteLine($"{left} pending: accept with `{c.Invocation} snapshots --accept NAME…` (or --accept for all), discard with --reject");
            return Commands.Ok;
        });
        return command;
    }
}
