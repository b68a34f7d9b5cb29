using System.Text;
using System.Text.RegularExpressions;
using BackpropSpec.Cli;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace BackpropSpec.SpecTests.Cli;

/// <summary>
/// The GitHub Actions workflows in .github/workflows run what exists: every script, project and
/// example file they name is in the repository, every `dotnet run --project oracle/cli -- …` command
/// line parses with the real options (for every combination of the matrix), and the nightly run
/// checks a million networks per example in shards that together cover one run, uploading each
/// shard's JUnit report.
/// </summary>
public class WorkflowTests
{
    static readonly string Folder = Repo.Path(".github", "workflows");

    /// <summary>The actions the workflows may use (a new one is a decision, made here).</summary>
    static readonly string[] KnownActions = ["actions/checkout", "actions/setup-dotnet", "actions/setup-node", "actions/setup-python", "actions/upload-artifact"];

    [Fact]
    public void Every_push_runs_the_ci_script()
    {
        YamlMappingNode ci = Load("ci.yml");
        Assert.True(Map(ci, "on").Children.ContainsKey(new YamlScalarNode("push")), "ci.yml runs on every push");
        Assert.Contains(Jobs(ci).SelectMany(j => Steps(j.Job)).Select(s => Text(s, "run")), run => run?.Trim() == "bash .ci/run");
    }

    [Fact]
    public void Nightly_checks_a_million_networks_per_correct_example_in_shards_that_cover_one_run()
    {
        YamlMappingNode nightly = Load("nightly.yml");
        Assert.NotNull(Text((YamlMappingNode)((YamlSequenceNode)Map(nightly, "on")["schedule"]).Children[0], "cron"));
        var checks = new List<(string Impl, string Shard, string Junit, string Upload)>();
        foreach (var (_, job) in Jobs(nightly))
            foreach (Dictionary<string, string> combination in Matrix(job))
            {
                string? junit = null, impl = null, shard = null, upload = null;
                foreach (YamlMappingNode step in Steps(job))
                {
                    if (Text(step, "uses") is { } uses && uses.StartsWith("actions/upload-artifact@", StringComparison.Ordinal))
                        upload = Substitute(Text(Map(step, "with"), "path")!, combination, "/runner-temp");
                    foreach (string[] words in Commands(Text(step, "run"), combination, "/runner-temp"))
                    {
                        if (Cli(words) is not ["check", .. var args]) continue;
                        Assert.Equal("1000000", After(args, "--count"));
                        impl = After(args, "--impl");
                        shard = After(args, "--shard");
                        junit = After(args, "--junit");
                    }
                }
                if (impl is null) continue;
                Assert.True(junit is not null, $"the check of {impl} writes no JUnit report");
                Assert.True(upload is not null && Path.GetDirectoryName(junit)!.TrimEnd('/') == upload.TrimEnd('/'), $"the JUnit report {junit} is not what is uploaded ({upload})");
                checks.Add((impl, shard!, junit!, upload!));
            }
        foreach (string example in new[] { "node examples/node/backprop.js", "python3 examples/python/backprop.py" })
        {
            string[] shards = checks.Where(c => c.Impl == example).Select(c => c.Shard).Order().ToArray();
            Assert.True(shards.Length > 0, $"nightly does not check {example}");
            int n = int.Parse(shards[0].Split('/')[1]);
            Assert.Equal(Enumerable.Range(1, n).Select(k => $"{k}/{n}"), shards);          // every shard, once
        }
        Assert.Equal(checks.Count, checks.Select(c => c.Junit).Distinct().Count());       // one report each
    }

    /// <summary>Every command any step runs, for every combination of its matrix.</summary>
    [Theory]
    [InlineData("ci.yml")]
    [InlineData("nightly.yml")]
    public void Every_command_the_workflow_runs_exists(string workflow)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"workflow-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(temp, "reports"));
        try
        {
            int commands = 0;
            foreach (var (name, job) in Jobs(Load(workflow)))
                foreach (Dictionary<string, string> combination in Matrix(job))
                    foreach (YamlMappingNode step in Steps(job))
                    {
                        if (Text(step, "uses") is { } uses)
                        {
                            Assert.Contains(uses.Split('@')[0], KnownActions);
                            Assert.Matches(@"@v\d+$", uses);
                            if (step.Children.ContainsKey(new YamlScalarNode("with")) && Text(Map(step, "with"), "global-json-file") is { } globalJson)
                                Assert.True(File.Exists(Repo.Path(globalJson)), $"{workflow}/{name}: {globalJson} does not exist");
                        }
                        foreach (string[] words in Commands(Text(step, "run"), combination, temp))
                        {
                            commands++;
                            Assert.True(Exists(words, out string why), $"{workflow}/{name}: `{string.Join(" ", words)}`: {why}");
                        }
                    }
            Assert.True(commands > 0, $"{workflow} runs nothing");
        }
        finally { Directory.Delete(temp, recursive: true); }
    }

    /// <summary>Whether a command line of a step names only what exists; otherwise why not.</summary>
    static bool Exists(string[] words, out string why)
    {
        why = "";
        switch (words)
        {
            case ["bash", var script]:
                why = $"{script} is not in the repository";
                return File.Exists(Repo.Path(script));
            case ["mkdir", "-p", _]:
                return true;
            case ["dotnet", "build", var project, "-c", "Release"]:
                why = $"{project} is not a project folder";
                return Directory.GetFiles(Repo.Path(project), "*.csproj").Length == 1;
            case ["dotnet", "run", "--project", var project, "-c", "Release", "--no-build", "--", .. var args]:
                if (project != "oracle/cli") { why = "only the CLI is run"; return false; }
                IReadOnlyList<string> errors = BackpropSpec.Cli.Commands.ParseErrors(args);
                why = string.Join("; ", errors);
                if (errors.Count > 0) return false;
                if (After(args, "--impl") is { } impl)
                {
                    string[] program = impl.Split(' ');
                    why = $"--impl {impl}: {program[^1]} is not in the repository";
                    return program is ["node" or "python3", _] && File.Exists(Repo.Path(program[1]));
                }
                return true;
            default:
                why = "a command this test does not know: teach it what must exist for it";
                return false;
        }
    }

    /// <summary>The arguments after `dotnet run --project oracle/cli … --`, or null.</summary>
    static string[]? Cli(string[] words) =>
        words is ["dotnet", "run", "--project", "oracle/cli", ..] && Array.IndexOf(words, "--") is var dashes and > 0 ? words[(dashes + 1)..] : null;

    static string? After(string[] args, string option) => Array.IndexOf(args, option) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    // ------------------------------------------------------------------ reading the workflow

    static YamlMappingNode Load(string name)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Folder, name))) yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? ((YamlScalarNode)value).Value : null;

    static IEnumerable<(string Name, YamlMappingNode Job)> Jobs(YamlMappingNode workflow) =>
        Map(workflow, "jobs").Children.Select(j => (((YamlScalarNode)j.Key).Value!, (YamlMappingNode)j.Value));

    static IEnumerable<YamlMappingNode> Steps(YamlMappingNode job) => ((YamlSequenceNode)job["steps"]).Children.Cast<YamlMappingNode>();

    /// <summary>The combinations of a job's matrix as GitHub forms them: the product of the lists,
    /// then each `include` entry added to every combination it matches (or on its own).</summary>
    static List<Dictionary<string, string>> Matrix(YamlMappingNode job)
    {
        var combinations = new List<Dictionary<string, string>> { new() };
        if (!job.Children.ContainsKey(new YamlScalarNode("strategy"))) return combinations;
        YamlMappingNode matrix = Map(Map(job, "strategy"), "matrix");
        foreach (var (key, value) in matrix.Children.Select(c => (((YamlScalarNode)c.Key).Value!, c.Value)))
        {
            if (key is "include" or "exclude") continue;
            combinations = combinations.SelectMany(c => ((YamlSequenceNode)value).Children.Select(v => new Dictionary<string, string>(c) { [key] = ((YamlScalarNode)v).Value! })).ToList();
        }
        if (matrix.Children.TryGetValue(new YamlScalarNode("include"), out YamlNode? include))
            foreach (YamlMappingNode entry in ((YamlSequenceNode)include).Children.Cast<YamlMappingNode>())
            {
                var values = entry.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value!);
                var matching = combinations.Where(c => values.All(v => !c.ContainsKey(v.Key) || c[v.Key] == v.Value) && values.Keys.Any(c.ContainsKey)).ToList();
                if (matching.Count == 0) combinations.Add(values);
                foreach (Dictionary<string, string> c in matching)
                    foreach (var (k, v) in values) c[k] = v;
            }
        return combinations;
    }

    /// <summary>The command lines of a `run:` block, with the matrix's values, ${{ runner.temp }} and
    /// $RUNNER_TEMP put in, split into words as the shell splits them (double quotes only).</summary>
    static IEnumerable<string[]> Commands(string? run, Dictionary<string, string> combination, string temp)
    {
        if (run is null) yield break;
        foreach (string line in Substitute(run, combination, temp).Split('\n'))
            if (line.Trim().Length > 0) yield return Words(line);
    }

    static string Substitute(string text, Dictionary<string, string> combination, string temp)
    {
        string result = Regex.Replace(text, @"\$\{\{\s*matrix\.(\w+)\s*\}\}", m =>
            combination.TryGetValue(m.Groups[1].Value, out string? v) ? v : throw new InvalidOperationException($"matrix.{m.Groups[1].Value} is not in the matrix"));
        result = Regex.Replace(result, @"\$\{\{\s*runner\.temp\s*\}\}|\$RUNNER_TEMP|\$\{RUNNER_TEMP\}", temp);
        Assert.DoesNotContain("${{", result);
        return result;
    }

    static string[] Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char ch in line)
        {
            if (ch == '"') { quoted = !quoted; any = true; continue; }
            if (!quoted && char.IsWhiteSpace(ch))
            {
                if (any) words.Add(word.ToString());
                word.Clear();
                any = false;
                continue;
            }
            Assert.True(quoted || ch is not ('\'' or '\\' or '|' or '&' or ';' or '<' or '>' or '`' or '$'), $"`{line}`: only plain words and double quotes are read here");
            word.Append(ch);
            any = true;
        }
        Assert.False(quoted, $"`{line}`: an unclosed quote");
        if (any) words.Add(word.ToString());
        return words.ToArray();
    }
}
