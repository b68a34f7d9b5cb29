using BackpropSpec.Oracle;

namespace BackpropSpec.Cli;

/// <summary>
/// `backprop-spec vectors [--out DIR] [--root REPO]`: writes the test vectors and their schema,
/// by default to golden/vectors of the repository (found by walking up to BackpropSpec.sln).
/// The output is deterministic; a test fails when the committed files differ from it.
/// </summary>
public static class VectorsCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        string folder = Option(args, "--out") ?? Path.Combine([RepositoryRoot(Option(args, "--root")), .. TestVectors.Folder]);
        Write(folder, TestVectors.Files(), stdout);
        return 0;
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

    static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0) return null;
        if (i + 1 >= args.Length) throw new ArgumentException($"vectors: {name} needs a folder");
        return args[i + 1];
    }

    static string RepositoryRoot(string? given)
    {
        if (given is not null) return given;
        return Oracle.RepositoryRoot.Find(Directory.GetCurrentDirectory()) ?? throw new ArgumentException("vectors: run it inside the BackpropSpec repository, or give --root <folder> or --out <folder>");
    }
}
