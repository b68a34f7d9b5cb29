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

    [Fact]
    public void The_consumer_projects_reference_the_version_the_build_packs()
    {
        string[] projects = Directory.GetFiles(Repo.Path("examples", "dotnet"), "*.csproj", SearchOption.AllDirectories);
        Assert.Equal(2, projects.Length);
        foreach (string project in projects)
        {
            XElement[] kits = XDocument.Load(project).Descendants("PackageReference")
                .Where(r => ((string?)r.Attribute("Include"))?.StartsWith("BackpropSpec.", StringComparison.Ordinal) == true).ToArray();
            Assert.NotEmpty(kits);
            Assert.All(kits, k => Assert.Equal(Packaging.VersionPrefix, (string?)k.Attribute("Version")));
        }
    }

    /// <summary>Each shipped project packs as a package with its own readme; the tool as a tool.</summary>
    [Theory]
    [InlineData("reference/BackpropSpec.Reference.csproj", "BackpropSpec.Reference")]
    [InlineData("oracle/core/BackpropSpec.Oracle.csproj", "BackpropSpec.Oracle")]
    [InlineData("oracle/cli/BackpropSpec.Cli.csproj", "backprop-spec")]
    [InlineData("oracle/conformance/BackpropSpec.Conformance.csproj", "BackpropSpec.Conformance")]
    [InlineData("oracle/conformance-xunit3/BackpropSpec.Conformance.XunitV3.csproj", "BackpropSpec.Conformance.XunitV3")]
    public void Shipped_projects_are_packages_with_an_id_a_description_and_a_readme(string project, string id)
    {
        XDocument doc = XDocument.Load(Repo.Path(project.Split('/')));
        string? Property(string name) => doc.Descendants(name).Select(e => e.Value).FirstOrDefault();
        Assert.Equal("true", Property("IsPackable"));
        Assert.Equal(id, Property("PackageId"));
        Assert.True((Property("Description") ?? "").Length > 80, $"{project}: a real description");
        XElement readme = doc.Descendants("None").Single(n => ((string?)n.Attribute("Include"))?.EndsWith("README.md", StringComparison.Ordinal) == true);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(Repo.Path(project.Split('/')))!, (string)readme.Attribute("Include")!)));
        if (id == "backprop-spec")
        {
            Assert.Equal("true", Property("PackAsTool"));
            Assert.Equal("backprop-spec", Property("ToolCommandName"));
        }
    }
}
