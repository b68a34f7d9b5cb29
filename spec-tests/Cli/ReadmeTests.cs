using System.Text.RegularExpressions;
using Xunit;

namespace BackpropSpec.SpecTests.Cli;

/// <summary>The README shows the .NET consumers as they are in examples/dotnet, so what a user copies compiles and passes in CI.</summary>
public class ReadmeTests
{
    /// <summary>Code blocks whose first line names a file of the repository: `// path` or `&lt;!-- path --&gt;`.</summary>
    static Dictionary<string, string> BlocksNamingAFile()
    {
        string readme = File.ReadAllText(Repo.Path("README.md"));
        var blocks = new Dictionary<string, string>();
        foreach (Match m in Regex.Matches(readme, "```[a-z]*\n(?:// (?<path>examples/[^\n]+)|<!-- (?<path>examples/[^\n]+) -->)\n(?<body>.*?)\n```", RegexOptions.Singleline))
            blocks[m.Groups["path"].Value.Trim()] = m.Groups["body"].Value;
        return blocks;
    }

    [Fact]
    public void Every_file_of_the_dotnet_consumers_is_shown_in_the_readme_exactly_as_it_is()
    {
        Dictionary<string, string> blocks = BlocksNamingAFile();
        string[] files = Directory.GetFiles(Repo.Path("examples", "dotnet"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && Path.GetFileName(f) is not ("Directory.Build.props" or "Directory.Packages.props"))
            .Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, blocks.Keys.Order(StringComparer.Ordinal));
        foreach (string file in files)
            Assert.True(File.ReadAllText(Repo.Path(file.Split('/'))).TrimEnd('\n') == blocks[file], $"README's copy of {file} differs from the file");
    }
}
