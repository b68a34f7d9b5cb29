using System.Text.Json.Nodes;
using System.Xml.Linq;
using Xunit;

namespace BackpropSpec.SpecTests.Cli;

/// <summary>The one version of the packages, read from Directory.Build.props, and the places that must name the same.</summary>
public static class Packaging
{
    public static string VersionPrefix { get; } =
        XDocument.Load(Repo.Path("Directory.Build.props")).Descendants("VersionPrefix").Single().Value;
}

public class PackagingTests
{
    [Fact]
    public void The_tool_manifest_names_the_version_the_build_packs()
    {
        JsonNode manifest = JsonNode.Parse(File.ReadAllText(Repo.Path("dotnet-tools.json")))!;
        Assert.Equal(Packaging.VersionPrefix, (string)manifest["tools"]!["backprop-spec"]!["version"]!);
    }
}
