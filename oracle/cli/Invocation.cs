namespace BackpropSpec.Cli;

/// <summary>
/// How this program was started, as a command a user can type: the replay lines `check` prints
/// begin with it, so that every printed command runs exactly as printed.
/// <list type="bullet">
/// <item>from a clone, through <c>dotnet run --project oracle/cli --</c>: that command, with the project
/// path relative to the current folder;</item>
/// <item>as a local tool (<c>dotnet backprop-spec</c>, from a tool manifest): <c>dotnet backprop-spec</c>;</item>
/// <item>as a global tool or from a tool path on PATH: <c>backprop-spec</c>; from a tool path that is not
/// on PATH: the full path of the command.</item>
/// </list>
/// </summary>
public static class Invocation
{
    public const string ToolCommand = "backprop-spec";

    /// <summary>The invocation of the running process.</summary>
    public static string Detect() =>
        Of(AppContext.BaseDirectory, Environment.ProcessPath, Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable("PATH"));

    /// <summary>The invocation, from where the program's files are (<paramref name="baseDirectory"/>),
    /// the executable that runs them (<paramref name="processPath"/>), the current folder and PATH.</summary>
    public static string Of(string baseDirectory, string? processPath, string currentDirectory, string? pathVariable)
    {
        string @base = Path.TrimEndingDirectorySeparator(Path.GetFullPath(baseDirectory));
        // a build in a clone: <root>/oracle/cli/bin/<configuration>/<framework>
        if (Oracle.RepositoryRoot.Find(@base) is { } root)
        {
            string project = Path.Combine(root, "oracle", "cli");
            if (@base.StartsWith(Path.Combine(project, "bin") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                return $"dotnet run --project {Quote(Path.GetRelativePath(currentDirectory, project))} --";
        }
        string exe = processPath is null ? "" : Path.GetFileNameWithoutExtension(processPath);
        if (exe == ToolCommand)
        {
            // the apphost of a global tool or a tool path
            string folder = Path.GetDirectoryName(Path.GetFullPath(processPath!))!;
            bool onPath = (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(p => SameFolder(p, folder));
            return onPath ? ToolCommand : Quote(Path.GetFullPath(processPath!));
        }
        if (exe == "dotnet")
        {
            // a local tool runs from the NuGet packages folder: …/backprop-spec/<version>/tools/<tfm>/any
            string[] parts = @base.Split(Path.DirectorySeparatorChar);
            int tools = Array.LastIndexOf(parts, "tools");
            if (tools >= 2 && parts[tools - 2] == ToolCommand) return $"dotnet {ToolCommand}";
            return $"dotnet {Quote(Path.Combine(@base, ToolCommand + ".dll"))}";
        }
        return ToolCommand;
    }

    static bool SameFolder(string a, string b)
    {
        try { return Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)) == Path.TrimEndingDirectorySeparator(b); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return false; }
    }

    /// <summary>A word for /bin/sh: as it is when it needs no quoting, otherwise in single quotes.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_./:=@+,%".Contains(ch)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
