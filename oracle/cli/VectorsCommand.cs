using System.CommandLine;
using BackpropSpec.Oracle;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec vectors [--out DIR] [--root REPO]`: writes the test vectors and their schema,
/// by default to golden/vectors of the repository (found by walking up to BackpropSpec.sln).
/// The output is deterministic; a test fails when the committed files differ from it.
/// </summary>
public static class VectorsCommand
{
    public static Command Create(Commands.Context c)
    {
        var @out = new Option<string?>("--out") { Description = "the folder to write into (created if missing); default: golden/vectors of the repository", HelpName = "folder" };
        var root = new Option<string?>("--root") { Description = "the BackpropSpec repository (default: the one around the current folder)", HelpName = "folder" };
        root.Validators.Add(r =>
        {
            string folder = r.Tokens[0].Value;
            if (!Directory.Exists(folder)) r.AddError($"--root {folder}: no such folder");
            else if (!File.Exists(Path.Combine(folder, "BackpropSpec.sln"))) r.AddError($"--root {folder}: not a BackpropSpec repository (no BackpropSpec.sln there)");
        });
        var command = new Command("vectors", "write the language-neutral test vectors and their schema (default: golden/vectors of the repository)") { @out, root };
        command.SetAction(p =>
        {
            string folder = p.GetValue(@out) ?? Path.Combine([RepositoryRoot(p.GetValue(root)), .. TestVectors.Folder]);
            if (Writable.FolderProblem(folder) is { } problem) throw new ArgumentException($"vectors: {problem}");
            Write(folder, TestVectors.Files(), c.Stdout);
            return Commands.Ok;
        });
        return command;
    }

    /// <summary>Writes each file into <paramref name="folder"/> (created if missing), exactly as given.</summary>
    public static void Write(string folder, IEnumerable<(string Name, string Content)> files, TextWriter stdout)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in files)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllText(path, content);       // UTF-8 without a byte-order mark
            stdout.WriteLine($"wrote {path}");
        }
    }

    static string RepositoryRoot(string? given) => given
        ?? Oracle.RepositoryRoot.Find(Directory.GetCurrentDirectory())
        ?? throw new ArgumentException("vectors: run it inside the BackpropSpec repository, or give --root <folder> or --out <folder>");
}
