namespace BackpropSpec.SpecTests;

/// <summary>Finds the repository at run time: walks up from the test binaries to BackpropSpec.sln.
/// (Not [CallerFilePath]: a CI build with deterministic paths rewrites it to /_/.)</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    static string Find() => Oracle.RepositoryRoot.Find(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException($"BackpropSpec.sln not found above {AppContext.BaseDirectory}");
}
