namespace BackpropSpec.Oracle;

/// <summary>The BackpropSpec repository around a folder: the nearest ancestor holding BackpropSpec.sln.
/// Used by the commands that write into the repository (snapshots, vectors), by the tests and the
/// benchmarks, which find golden/ at run time rather than through compile-time paths.</summary>
public static class RepositoryRoot
{
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BackpropSpec.sln"))) return dir.FullName;
        return null;
    }
}
