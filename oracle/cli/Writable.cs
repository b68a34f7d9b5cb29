namespace BackpropSpec.Cli;

/// <summary>Checks an output path before the work that fills it.</summary>
static class Writable
{
    /// <summary>Why <paramref name="path"/> cannot be written as a file, or null when it can. With
    /// <paramref name="probe"/>, also opens it for writing (and removes it again if it was new).</summary>
    public static string? Problem(string path, bool probe = true)
    {
        if (string.IsNullOrWhiteSpace(path)) return "an output file's name is empty";
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return $"{path}: not a usable path ({e.Message})"; }
        if (Directory.Exists(full)) return $"{path}: is a folder; give a file name";
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) return $"{path}: the folder {folder} does not exist";
        if (!probe) return null;
        bool existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(full);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path}: cannot be written ({e.Message})";
        }
    }

    /// <summary>Why files cannot be written into <paramref name="folder"/> (created if missing), or null.</summary>
    public static string? FolderProblem(string folder)
    {
        try
        {
            if (File.Exists(folder)) return $"{folder}: is a file, not a folder";
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".backprop-spec-{Guid.NewGuid():N}");
            using (File.Create(probe)) { }
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{folder}: cannot write there ({e.Message})";
        }
    }
}
