using System.Text.Json;
using System.Text.Json.Nodes;
using BackpropSpec.Cli;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// golden/vectors: committed, fresh, passed by the reference, failed by every bug class exactly
/// where flagged, and valid against its own schema. Everything but freshness reads the committed
/// file through <see cref="VectorRunner"/>, not through the generator.
/// </summary>
public class VectorTests
{
    static string Folder => Repo.Path(TestVectors.Folder);
    static string VectorsPath => Path.Combine(Folder, TestVectors.VectorsFile);
    static readonly Lazy<string> Committed = new(() => File.ReadAllText(VectorsPath));
    static readonly Lazy<IReadOnlyList<(string Name, string Content)>> Generated = new(TestVectors.Files);
    static readonly Lazy<IReadOnlyList<VectorResult>> ReferenceResults = new(() => VectorRunner.Run(Committed.Value, new ReferenceBackprop()));

    static string Stale(string file, string detail) =>
        $"golden/vectors/{file} is stale: {detail}.\nRegenerate it with `{TestVectors.Command}` (from the repository root) and commit golden/vectors.";

    [Fact]
    public void Committed_vectors_are_what_the_generator_writes_byte_for_byte()
    {
        var generated = Generated.Value;
        string[] onDisk = Directory.Exists(Folder) ? Directory.GetFiles(Folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray() : [];
        Assert.True(onDisk.SequenceEqual(generated.Select(f => f.Name).Order(StringComparer.Ordinal)),
            Stale("*", $"the folder holds [{string.Join(", ", onDisk)}], the generator writes [{string.Join(", ", generated.Select(f => f.Name))}]"));
        foreach (var (name, content) in generated)
        {
            byte[] committed = File.ReadAllBytes(Path.Combine(Folder, name));
            byte[] fresh = new System.Text.UTF8Encoding(false).GetBytes(content);
            if (committed.AsSpan().SequenceEqual(fresh)) continue;
            string[] a = System.Text.Encoding.UTF8.GetString(committed).Split('\n'), b = content.Split('\n');
            int line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(k => a[k] != b[k], Math.Min(a.Length, b.Length));
            Assert.Fail(Stale(name, $"line {line + 1} is\n  {(line < a.Length ? a[line].Trim() : "(end of file)")}\nbut the generator writes\n  {(line < b.Length ? b[line].Trim() : "(end of file)")}"));
        }
    }

    /// <summary>The command's writing half, on the generated content (generating twice would double
    /// this class's time): exactly those bytes, UTF-8 without a byte-order mark, folder created.</summary>
    [Fact]
    public void The_vectors_command_writes_the_generated_files_as_they_are()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"vectors-{Guid.NewGuid():N}", "golden", "vectors");
        try
        {
            var stdout = new StringWriter();
            VectorsCommand.Write(dir, Generated.Value, stdout);
            foreach (var (name, content) in Generated.Value)
            {
                Assert.Equal(new System.Text.UTF8Encoding(false).GetBytes(content), File.ReadAllBytes(Path.Combine(dir, name)));
                Assert.Contains(Path.Combine(dir, name), stdout.ToString());
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(dir))!, recursive: true); }
    }

    [Fact]
    public void The_vectors_command_refuses_an_option_without_its_folder()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, Commands.Run(["vectors", "--out"], new StringWriter(), stderr));
        Assert.Contains("Required argument missing for option: '--out'", stderr.ToString());
    }

    [Fact]
    public void The_reference_passes_every_vector()
    {
        IReadOnlyList<VectorResult> results = ReferenceResults.Value;
        Assert.InRange(results.Count, 30, 90);       // worked examples, coverage, two per bug class
        VectorResult[] failed = results.Where(r => !r.Passed).ToArray();
        Assert.True(failed.Length == 0, string.Join("\n", failed.Select(r => $"tcId {r.TcId} ({r.Comment}): {string.Join("; ", r.Failures)}")));
    }

    public static TheoryData<string> BugNames => new(Bugs.All.Select(Bugs.Name));

    /// <summary>Flags are computed by the generator; here they are recomputed by running the mutant
    /// through the independent runner: it must fail exactly the vectors that carry its flag.</summary>
    [Theory]
    [MemberData(nameof(BugNames))]
    public void A_bug_class_fails_exactly_the_vectors_flagged_with_it(string bug)
    {
        IReadOnlyList<VectorResult> results = VectorRunner.Run(Committed.Value, new Mutant(Bugs.Parse(bug)));
        int[] flagged = results.Where(r => r.Flags.Contains(bug)).Select(r => r.TcId).ToArray();
        int[] failed = results.Where(r => !r.Passed).Select(r => r.TcId).ToArray();
        Assert.True(flagged.Length >= 2, $"{bug} is flagged on {flagged.Length} vector(s); every bug class needs at least two");
        Assert.True(flagged.SequenceEqual(failed),
            $"{bug}: flagged on tcIds [{string.Join(", ", flagged)}], but its mutant fails tcIds [{string.Join(", ", failed)}]");
    }

    [Fact]
    public void The_vectors_file_satisfies_its_schema_and_the_rules_the_schema_cannot_state()
    {
        using JsonDocument doc = JsonDocument.Parse(Committed.Value);
        JsonElement root = doc.RootElement;
        List<string> errors = Schema.Validate(root, Path.Combine(Folder, TestVectors.SchemaFile));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));

        JsonElement[] tests = root.GetProperty("testGroups").EnumerateArray().SelectMany(g => g.GetProperty("tests").EnumerateArray()).ToArray();
        Assert.Equal(tests.Length, root.GetProperty("numberOfTests").GetInt32());
        Assert.Equal(Enumerable.Range(1, tests.Length), tests.Select(t => t.GetProperty("tcId").GetInt32()));   // unique, consecutive, in order

        string[] notes = root.GetProperty("notes").EnumerateObject().Select(p => p.Name).ToArray();
        string[] used = tests.SelectMany(t => t.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)).Distinct().ToArray();
        Assert.Empty(used.Except(notes));        // every flag is described
        Assert.Empty(notes.Except(used));        // and every note is used
        foreach (Bug bug in Bugs.All)            // bug classes are described in the oracle's own words
            Assert.Equal(Bugs.Describe(bug), root.GetProperty("notes").GetProperty(Bugs.Name(bug)).GetProperty("description").GetString());

        foreach (JsonElement t in tests)
        {
            Network n = NetworkJson.Read(t.GetProperty("network"));       // a valid network document
            foreach (string part in new[] { "expected", "tolerances" })
            {
                JsonElement v = t.GetProperty(part);
                Assert.Equal(n.BatchSize, v.GetProperty("outputs").GetArrayLength());
                Assert.All(v.GetProperty("outputs").EnumerateArray(), row => Assert.Equal(n.Output.Units, row.GetArrayLength()));
                foreach (string layers in new[] { "gradients", "step" })
                {
                    JsonElement[] ls = v.GetProperty(layers).EnumerateArray().ToArray();
                    Assert.Equal(n.Layers.Count, ls.Length);
                    for (int l = 0; l < ls.Length; l++)
                    {
                        Assert.Equal(n.Layers[l].Units, ls[l].GetProperty("weights").GetArrayLength());
                        Assert.All(ls[l].GetProperty("weights").EnumerateArray(), row => Assert.Equal(n.Layers[l].FanIn, row.GetArrayLength()));
                        JsonElement b = ls[l].GetProperty("biases");
                        Assert.Equal(n.Layers[l].B is null, b.ValueKind == JsonValueKind.Null);
                    }
                }
            }
            // tolerances are finite and not negative
            Assert.All(Numbers(t.GetProperty("tolerances")), x => Assert.True(double.IsFinite(x) && x >= 0, $"tcId {t.GetProperty("tcId")}: tolerance {x}"));
        }
    }

    [Fact]
    public void The_schema_check_rejects_a_broken_file()
    {
        JsonNode doc = JsonNode.Parse(Committed.Value)!;
        JsonObject test = doc["testGroups"]![0]!["tests"]![0]!.AsObject();
        test.Remove("tcId");                                        // required
        test["result"] = "invalid";                                 // not in the enum
        test["surprise"] = 1;                                       // additionalProperties: false
        doc["testGroups"]![0]!["tests"]![1]!["network"]!["layers"]![0]!["activation"] = "swish";   // the network schema, through $ref
        using JsonDocument broken = JsonDocument.Parse(doc.ToJsonString());
        List<string> errors = Schema.Validate(broken.RootElement, Path.Combine(Folder, TestVectors.SchemaFile));
        Assert.Contains(errors, e => e.StartsWith("$.testGroups[0].tests[0]: required:", StringComparison.Ordinal) && e.Contains("tcId"));
        Assert.Contains(errors, e => e.StartsWith("$.testGroups[0].tests[0].result: enum:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.testGroups[0].tests[0].surprise:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.testGroups[0].tests[1].network.layers[0].activation: enum:", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }

    static IEnumerable<double> Numbers(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => [e.GetDouble()],
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Numbers),
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Numbers(p.Value)),
        _ => [],
    };
}
