using System.Text;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec snapshots [--accept]`: the approval workflow for the trace snapshots. A failing
/// snapshot test leaves the new trace in golden/snapshots/__snapshots__/__mismatch__; this shows
/// each pending change as a line diff against the approved file, and with --accept moves it over.
/// </summary>
public static class Snapshots
{
    public static int Run(string[] args, TextWriter stdout)
    {
        bool accept = args.Contains("--accept");
        string root = RepositoryRoot(args);
        string approved = Path.Combine(root, "golden", "snapshots", "__snapshots__");
        string pending = Path.Combine(approved, "__mismatch__");
        string[] files = Directory.Exists(pending) ? Directory.GetFiles(pending, "*.snap").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0)
        {
            stdout.WriteLine("no pending snapshot changes (run `dotnet test` first; changes appear after a failing snapshot test)");
            return 0;
        }
        foreach (string file in files)
        {
            string target = Path.Combine(approved, Path.GetFileName(file));
            stdout.WriteLine($"--- {Path.GetRelativePath(root, target)} (approved)");
            stdout.WriteLine($"+++ {Path.GetRelativePath(root, file)} (new)");
            string[] before = File.Exists(target) ? ReadLines(target) : [];
            foreach (string line in Diff(before, ReadLines(file))) stdout.WriteLine(line);
            if (accept)
            {
                File.Copy(file, target, overwrite: true);
                File.Delete(file);
                stdout.WriteLine($"accepted {Path.GetFileName(file)}");
            }
        }
        if (!accept) stdout.WriteLine($"{files.Length} pending; accept them all with `backprop-spec snapshots --accept`");
        return 0;
    }

    static string RepositoryRoot(string[] args)
    {
        int i = Array.IndexOf(args, "--root");
        if (i >= 0 && i + 1 < args.Length) return args[i + 1];
        return Oracle.RepositoryRoot.Find(Directory.GetCurrentDirectory()) ?? throw new ArgumentException("snapshots: run it inside the BackpropSpec repository, or give --root <folder>");
    }

    static string[] ReadLines(string path) => File.ReadAllText(path, Encoding.UTF8).TrimStart('\uFEFF').Split('\n');

    /// <summary>A plain longest-common-subsequence line diff: "-" approved, "+" new, "  " unchanged
    /// lines only around a change.</summary>
    public static IEnumerable<string> Diff(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var lines = new List<(char op, string text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x])); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) lines.Add(('+', b[y++]));
            else lines.Add(('-', a[x++]));
        }
        for (int k = 0; k < lines.Count; k++)
        {
            bool nearChange = false;
            for (int d = -2; d <= 2; d++)
                if (k + d >= 0 && k + d < lines.Count && lines[k + d].op != ' ') nearChange = true;
            if (nearChange) yield return $"{lines[k].op} {lines[k].text}";
        }
    }
}
