using System.Text;
using DiffPlex.Renderer;

namespace BackpropSpec.Cli;

/// <summary>
/// The review of trace snapshots, Verify-style: a failing snapshot test leaves the received trace in
/// golden/snapshots/__snapshots__/__mismatch__/NAME beside the approved NAME; this lists them, shows
/// each as a unified line diff (- approved, + received, @@ hunk headers, 3 lines of context),
/// accepts some or all (moves received over approved) or rejects them (deletes received).
/// </summary>
public sealed class SnapshotReview(string root)
{
    public string Root { get; } = root;
    public string ApprovedFolder => Path.Combine(Root, "golden", "snapshots", "__snapshots__");
    public string PendingFolder => Path.Combine(ApprovedFolder, "__mismatch__");

    /// <summary>The names (file names, such as <c>002-mazur-2-2-2.trace.snap</c>) of every received snapshot, in order.</summary>
    public IReadOnlyList<string> Pending() => Directory.Exists(PendingFolder)
        ? Directory.GetFiles(PendingFolder, "*.snap").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray()
        : [];

    /// <summary>The pending snapshots that <paramref name="names"/> name: a file name, a name without
    /// <c>.snap</c> or <c>.trace.snap</c>, or the start of exactly one name (<c>003-chain</c>).</summary>
    /// <exception cref="ArgumentException">A name matches no pending snapshot, or several.</exception>
    public IReadOnlyList<string> Resolve(IEnumerable<string> names)
    {
        IReadOnlyList<string> pending = Pending();
        var chosen = new List<string>();
        foreach (string name in names)
        {
            string[] exact = pending.Where(p => p == name || p == name + ".snap" || p == name + ".trace.snap").ToArray();
            string[] matches = exact.Length > 0 ? exact : pending.Where(p => p.StartsWith(name, StringComparison.Ordinal)).ToArray();
            if (matches.Length != 1)
                throw new ArgumentException(matches.Length == 0
                    ? $"snapshots: no pending snapshot named '{name}'; pending: {(pending.Count == 0 ? "none" : string.Join(", ", pending))}"
                    : $"snapshots: '{name}' names several pending snapshots: {string.Join(", ", matches)}; give more of the name");
            if (!chosen.Contains(matches[0])) chosen.Add(matches[0]);
        }
        return chosen;
    }

    /// <summary>The unified diff of one pending snapshot against its approved version (empty when new).</summary>
    public string Diff(string name)
    {
        string approved = Path.Combine(ApprovedFolder, name);
        return UnifiedDiff(File.Exists(approved) ? Read(approved) : "", Read(Path.Combine(PendingFolder, name)),
            Relative(approved) + (File.Exists(approved) ? " (approved)" : " (none approved yet)"), Relative(Path.Combine(PendingFolder, name)) + " (received)");
    }

    /// <summary>Approves: the received version replaces the approved one.</summary>
    public void Accept(string name)
    {
        File.Copy(Path.Combine(PendingFolder, name), Path.Combine(ApprovedFolder, name), overwrite: true);
        File.Delete(Path.Combine(PendingFolder, name));
    }

    /// <summary>Discards the received version; the approved one stays.</summary>
    public void Reject(string name) => File.Delete(Path.Combine(PendingFolder, name));

    string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>A snapshot file's text, without the byte-order mark Snapshooter writes.</summary>
    public static string Read(string path) => File.ReadAllText(path, Encoding.UTF8).TrimStart('\uFEFF');

    /// <summary>A unified line diff: <c>--- approved</c>, <c>+++ received</c>, <c>@@ -a,b +c,d @@</c> hunk
    /// headers, then each hunk's lines: ' ' context (3 lines), '-' approved only, '+' received only.
    /// Empty when the texts are equal.</summary>
    public static string UnifiedDiff(string approved, string received, string approvedName, string receivedName)
    {
        if (approved == received) return "";
        string diff = UnidiffRenderer.GenerateUnidiff(approved, received, approvedName, receivedName, ignoreWhitespace: false, ignoreCase: false, contextLines: 3);
        return diff.Replace("\r\n", "\n").TrimEnd('\n') + "\n";
    }
}
