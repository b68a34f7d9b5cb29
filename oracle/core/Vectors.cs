using System.Text.Encodings.Web;
using System.Text.Json;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// Language-neutral test vectors in the style of Project Wycheproof: golden/vectors/backprop_vectors.json
/// and its JSON Schema. Each vector is a network document with the answers a correct implementation
/// must give (<see cref="Expected"/>), an absolute tolerance for every number, and flags naming the bug
/// classes the vector catches. Flags are computed: a vector carries a bug's flag exactly when that
/// bug's <see cref="Mutant"/> answers outside the vector's tolerances.
/// <para>
/// The vectors are the worked examples, a coverage group (every activation, every loss, every bias
/// mode, a ReLU exactly at 0) and two networks per bug class, each found among seeded random networks
/// (<see cref="NetworkGen.Sample"/>) and shrunk to a local minimum (<see cref="Minimize"/>). Nothing
/// here reads a clock or an unseeded random source: the same code writes byte-identical files.
/// </para>
/// </summary>
public static class TestVectors
{
    /// <summary>Bumped whenever the selection or the file layout changes.</summary>
    public const string GeneratorVersion = "2.0";
    public const ulong Seed = 20260215;
    /// <summary>Networks grow across a run of this many samples (size 0 → 100); the search starts
    /// at the small end, so what it finds is small before shrinking.</summary>
    public const int SampleCount = 100;
    /// <summary>How far a search goes before the generator gives up (loudly).</summary>
    const int MaxSearch = 400;

    public const string SchemaFile = "vectors.schema.json";
    public const string VectorsFile = "backprop_vectors.json";
    /// <summary>Where the files live, relative to the repository root.</summary>
    public static readonly string[] Folder = ["golden", "vectors"];
    /// <summary>The command that rewrites them (also quoted by the test that finds them stale).</summary>
    public const string Command = "dotnet run --project oracle/cli -- vectors";

    public const string ReluAtZeroFlag = "relu-at-zero";

    /// <summary>One test vector before it is written out.</summary>
    public sealed record Vector(string Comment, Network Network, Expected Expected, Expected Float32, IReadOnlyList<string> Flags);

    public sealed record Group(string Type, string Comment, IReadOnlyList<Vector> Tests);

    /// <summary>Every file of golden/vectors: name and exact content.</summary>
    public static IReadOnlyList<(string Name, string Content)> Files()
    {
        IReadOnlyList<Group> groups = Select();
        return [(SchemaFile, Schema), (VectorsFile, Write(groups))];
    }

    // ------------------------------------------------------------------ selection

    public static IReadOnlyList<Group> Select()
    {
        var seen = new HashSet<string>();          // network documents already used: no vector twice
        var worked = new List<Vector>();
        foreach (string name in Examples.Names)
        {
            Network n = Examples.Load(name);
            seen.Add(NetworkJson.Write(n));
            worked.Add(Make($"worked example {name}: {Trace.Shape(n)}; {Loss.Name(n.Loss)}, m = {n.BatchSize}", n));
        }

        var coverage = new List<Vector>();
        foreach (var (what, holds) in CoverageCases())
        {
            var (n, index, steps) = Find(holds, seen);
            coverage.Add(Make($"{what}: {Origin(index, steps)}; {Trace.Shape(n)}; {Loss.Name(n.Loss)}, m = {n.BatchSize}", n));
        }

        // Two networks per bug class, each found for it: the smallest network on which the bug shows.
        var bugs = new List<Vector>();
        foreach (Bug bug in Bugs.All)
        {
            var mutant = new Mutant(bug);
            int start = 0;
            for (int found = 0; found < 2; found++)
            {
                var (n, index, steps) = Find(n => Catches(n, mutant), seen, start);
                start = index + 1;
                bugs.Add(Make($"{Bugs.Name(bug)} ({found + 1} of 2): {Origin(index, steps)}; {Trace.Shape(n)}; {Loss.Name(n.Loss)}, m = {n.BatchSize}", n));
            }
        }

        return
        [
            new("worked-example", "The worked examples of golden/examples, the numbers of the source documents (golden/sources).", worked),
            new("coverage", "Every activation, every loss, every bias mode and a ReLU exactly at 0, each on a small network whose every gradient entry is non-zero (a ReLU at 0 excepted).", coverage),
            new("bug-class", "For every bug class, two seeded random networks on which its mutant is wrong, each shrunk to a local minimum that still catches it.", bugs),
        ];
    }

    /// <summary>The features the coverage group shows, each with the test a network must pass.</summary>
    static IEnumerable<(string What, Func<Network, bool> Holds)> CoverageCases()
    {
        foreach (Activation f in new[] { Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu })
            yield return ($"{(f == Activation.Identity ? "an" : "a")} {Activations.Name(f)} hidden layer",
                n => n.Layers.Take(n.Layers.Count - 1).Any(l => l.Activation == f) && Lively(n));
        yield return ("a softmax output under a squared loss (the softmax Jacobian)",
            n => n.Output.Activation == Activation.Softmax && !Loss.IsFused(n.Loss) && n.Output.Units >= 2 && Lively(n));
        foreach (LossKind loss in Loss.All)
            yield return ($"{Loss.Name(loss)} over a batch of two or more",
                n => n.Loss == loss && n.BatchSize >= 2 && n.Layers.Count >= 2 && Lively(n));
        foreach (BiasMode bias in new[] { BiasMode.None, BiasMode.Trainable, BiasMode.Frozen })
            yield return ($"bias '{Validation.BiasName(bias)}' in every layer",
                n => n.Layers.Count >= 2 && n.Layers.All(l => l.Bias == bias) && Lively(n));
        var reluAtZero = new Mutant(Bug.ReluDerivativeOneAtZero);
        yield return ("a ReLU unit with net exactly 0 (relu'(0) = 0)", n => ReluAtZero(n) && Catches(n, reluAtZero));
    }

    /// <summary>Every gradient entry non-zero: the network exercises every parameter, and the
    /// shrinker cannot simplify it to zeros.</summary>
    static bool Lively(Network n) => new ReferenceBackprop().Gradients(n).Flatten().All(g => g != 0);

    /// <summary>Some ReLU unit has net exactly 0 (either sign of zero) for some example.</summary>
    public static bool ReluAtZero(Network n)
    {
        if (!n.Layers.Any(l => l.Activation == Activation.Relu)) return false;
        ForwardPass<double> f = Forward.Run(n);
        return n.Layers.Select((l, k) => (l, k)).Any(x => x.l.Activation == Activation.Relu && f.Net[x.k].Any(e => e.Any(v => v == 0)));
    }

    /// <summary>The mutant answers outside the tolerances. A quick exact comparison with the
    /// reference first: a mutant that agrees bit for bit cannot be caught.</summary>
    static bool Catches(Network n, Mutant mutant)
    {
        var reference = new ReferenceBackprop();
        bool same = mutant.Gradients(n).Flatten().SequenceEqual(reference.Gradients(n).Flatten())
                    && mutant.Step(n).Flatten().SequenceEqual(reference.Step(n).Flatten());
        return !same && Expected.Of(n).Check(mutant).Any(f => f.Zone == Zone.Wrong);
    }

    /// <summary>The first sample from <paramref name="start"/> on that passes <paramref name="holds"/>,
    /// shrunk while it still passes; skips any whose shrunk form is already a vector.</summary>
    internal static (Network n, int index, int steps) Find(Func<Network, bool> holds, HashSet<string> seen, int start = 0)
    {
        for (int i = start; i < start + MaxSearch; i++)
        {
            Network sample = NetworkGen.Sample(Seed, i, SampleCount);
            if (!holds(sample) || !Representable(sample)) continue;
            var (minimal, steps) = Minimize.Run(sample, NetworkGen.Shrink, c => holds(c) && Representable(c));
            if (seen.Add(NetworkJson.Write(minimal))) return (minimal, i, steps);
        }
        throw new InvalidOperationException($"no network among samples {start}..{start + MaxSearch - 1} of seed {Seed} qualifies");
    }

    /// <summary>Every answer is finite in every standard formulation, in float64 and float32: a vector
    /// never asks for a number the textbook cannot represent.</summary>
    internal static bool Representable(Network n) => !Truth.For(n, Precision.Float64).OutOfRange && !Truth.For(n, Precision.Float32).OutOfRange;

    static string Origin(int index, int steps) => $"sample {index} of seed {Seed}, shrunk in {steps} steps";

    internal static Vector Make(string comment, Network n)
    {
        Expected expected = Expected.Of(n);
        foreach (Precision p in new[] { Precision.Float64, Precision.Float32 })
            if (Truth.For(n, p) is { OutOfRange: true } truth)
                throw new InvalidOperationException($"vector '{comment}': a standard formulation cannot represent some answer in {p.ToString().ToLowerInvariant()} ({truth.RangeCause})");
        var flags = new List<string>();
        if (n.Name is { Length: >= 3 } name && Examples.Names.Contains(name)) flags.Add(WorkedExampleFlag(name));
        flags.AddRange(Bugs.All.Where(b => expected.Check(new Mutant(b)).Any(f => f.Zone == Zone.Wrong)).Select(Bugs.Name));
        if (ReluAtZero(n)) flags.Add(ReluAtZeroFlag);
        return new Vector(comment, n, expected, Expected.Of(n, Precision.Float32), flags);
    }

    /// <summary>"worked-example-002": one flag per source document (003 has two examples).</summary>
    public static string WorkedExampleFlag(string exampleName) => $"worked-example-{exampleName[..3]}";

    // ------------------------------------------------------------------ writing

    public static string Write(IReadOnlyList<Group> groups) => NetworkJson.Pretty(w =>
    {
        int total = groups.Sum(g => g.Tests.Count);
        w.WriteStartObject();
        w.WriteString("algorithm", "backprop-mlp");
        w.WriteString("schema", SchemaFile);
        w.WriteString("generatorVersion", GeneratorVersion);
        w.WriteNumber("numberOfTests", total);
        w.WriteStartArray("header");
        foreach (string line in Header) w.WriteStringValue(line);
        w.WriteEndArray();

        w.WriteStartObject("notes");
        foreach (var (flag, bugType, description) in Notes(groups))
        {
            w.WriteStartObject(flag);
            w.WriteString("bugType", bugType);
            w.WriteString("description", description);
            w.WriteEndObject();
        }
        w.WriteEndObject();

        int tcId = 0;
        w.WriteStartArray("testGroups");
        foreach (Group g in groups)
        {
            w.WriteStartObject();
            w.WriteString("type", g.Type);
            w.WriteString("comment", g.Comment);
            w.WriteStartArray("tests");
            foreach (Vector v in g.Tests) WriteVector(w, v, ++tcId);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\n";   // f'(net) stays f'(net), not f\u0027(net): the file is data, never HTML

    static readonly string[] Header =
    [
        "Test vectors for backpropagation in multilayer perceptrons, generated by BackpropSpec (`" + Command + "`).",
        "network is a backprop-spec/network@1 document (oracle/PROTOCOL.md); weights[j][i] is the weight into unit j from unit i of the layer below.",
        "expected.outputs[n][k] and expected.loss are the forward pass; expected.gradients[l] holds dE/dW and dE/db (biases null when the layer has none; frozen biases still have a gradient); expected.step[l] holds every weight and bias after one gradient step W - eta * dE/dW computed from the original weights (frozen biases unchanged).",
        "expected holds the exact values (the reference's own forward and backward pass in double-double arithmetic, about 106 bits) rounded to double; expected.step is W - eta * expected.gradients.",
        "tolerances holds, for every expected number, the largest |actual - expected| any standard float64 formulation may show (textbook formulas such as sigma' = out*(1 - out) and losses from probabilities included): beyond it an answer is wrong. carefulTolerances holds what careful float64 arithmetic stays within: an answer beyond it but within tolerances is right but less accurate (an accuracy finding). float32Tolerances are the tolerances for an implementation in float32 (every input rounded to float32 on reading). All are derived by a first-order rounding-error analysis of every operation (README: how answers are judged), not tuned, and include half an ulp for the rounding of the expected value.",
        "Every vector is valid: a correct implementation passes all of it. flags name the bug classes whose deliberately wrong implementation fails the vector (see notes).",
    ];

    /// <summary>The file in golden/sources a worked example cites (its source's first word); an example
    /// citing none is refused: a vector's note would point nowhere.</summary>
    internal static string SourceFile(Network example) =>
        example.Source?.Split(' ', ',')[0] ?? throw new InvalidOperationException($"worked example '{example.Name}' names no source document");

    static IEnumerable<(string Flag, string BugType, string Description)> Notes(IReadOnlyList<Group> groups)
    {
        var used = groups.SelectMany(g => g.Tests).SelectMany(v => v.Flags).ToHashSet();
        foreach (var byDocument in Examples.Names.GroupBy(WorkedExampleFlag))
            if (used.Contains(byDocument.Key))
            {
                yield return (byDocument.Key, "BASIC",
                    $"the worked example{(byDocument.Count() > 1 ? "s" : "")} {string.Join(" and ", byDocument)} of golden/sources/{SourceFile(Examples.Load(byDocument.First()))}: known answers from a published walk-through");
            }
        foreach (Bug bug in Bugs.All)
            if (used.Contains(Bugs.Name(bug))) yield return (Bugs.Name(bug), "KNOWN_BUG", Bugs.Describe(bug));
        if (used.Contains(ReluAtZeroFlag))
            yield return (ReluAtZeroFlag, "EDGE_CASE", "a ReLU unit has net input exactly 0 for some example; relu'(0) is 0 by convention (004)");
    }

    static void WriteVector(Utf8JsonWriter w, Vector v, int tcId)
    {
        Expected e = v.Expected;
        w.WriteStartObject();
        w.WriteNumber("tcId", tcId);
        w.WriteString("comment", v.Comment);
        w.WritePropertyName("network");
        NetworkJson.Write(w, v.Network);
        w.WriteStartObject("expected");
        w.WritePropertyName("outputs"); NetworkJson.WriteRows(w, e.Outputs);
        w.WritePropertyName("loss"); NetworkJson.WriteNumber(w, e.Loss);
        w.WritePropertyName("gradients"); WriteLayers(w, e.Gradient);
        w.WritePropertyName("step"); WriteLayers(w, e.Step);
        w.WriteEndObject();
        WriteTolerances(w, "tolerances", e.Textbook);
        WriteTolerances(w, "carefulTolerances", e.Careful);
        WriteTolerances(w, "float32Tolerances", v.Float32.Textbook);
        w.WriteString("result", "valid");
        w.WriteStartArray("flags");
        foreach (string flag in v.Flags) w.WriteStringValue(flag);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteTolerances(Utf8JsonWriter w, string name, Tolerances t)
    {
        w.WriteStartObject(name);
        w.WritePropertyName("outputs"); NetworkJson.WriteRows(w, t.Outputs);
        w.WritePropertyName("loss"); NetworkJson.WriteNumber(w, t.Loss);
        w.WritePropertyName("gradients"); WriteLayers(w, t.Gradient);
        w.WritePropertyName("step"); WriteLayers(w, t.Step);
        w.WriteEndObject();
    }

    /// <summary>[{"weights": [[…]], "biases": […] or null}, …], one object per layer.</summary>
    static void WriteLayers(Utf8JsonWriter w, Parameters p)
    {
        w.WriteStartArray();
        for (int l = 0; l < p.W.Length; l++)
        {
            w.WriteStartObject();
            w.WritePropertyName("weights"); NetworkJson.WriteMatrix(w, p.W[l]);
            w.WritePropertyName("biases");
            if (p.B[l] is { } b) NetworkJson.WriteRow(w, b); else w.WriteNullValue();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // ------------------------------------------------------------------ the schema

    /// <summary>golden/vectors/vectors.schema.json. Rules JSON Schema cannot state (tcIds 1..N in
    /// order, every flag described in notes, shapes matching the network) are checked by the tests.</summary>
    public const string Schema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "title": "BackpropSpec test vectors",
          "description": "Test vectors for backpropagation in the style of Project Wycheproof. Not expressible here, and checked by BackpropSpec's tests: tcId runs 1..numberOfTests in file order; every flag is a key of notes; the shapes of expected and tolerances follow the network.",
          "type": "object",
          "required": ["algorithm", "schema", "generatorVersion", "numberOfTests", "header", "notes", "testGroups"],
          "additionalProperties": false,
          "properties": {
            "algorithm": { "const": "backprop-mlp" },
            "schema": { "const": "vectors.schema.json" },
            "generatorVersion": { "type": "string" },
            "numberOfTests": { "type": "integer", "minimum": 1 },
            "header": { "type": "array", "items": { "type": "string" } },
            "notes": {
              "type": "object",
              "additionalProperties": { "$ref": "#/$defs/note" }
            },
            "testGroups": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/testGroup" } }
          },
          "$defs": {
            "note": {
              "type": "object",
              "required": ["bugType", "description"],
              "additionalProperties": false,
              "properties": {
                "bugType": { "enum": ["BASIC", "KNOWN_BUG", "EDGE_CASE"], "description": "BASIC: a known answer; KNOWN_BUG: a classic backprop mistake the vector catches; EDGE_CASE: a boundary of the definition" },
                "description": { "type": "string" }
              }
            },
            "testGroup": {
              "type": "object",
              "required": ["type", "comment", "tests"],
              "additionalProperties": false,
              "properties": {
                "type": { "enum": ["worked-example", "coverage", "bug-class"] },
                "comment": { "type": "string" },
                "tests": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/test" } }
              }
            },
            "test": {
              "type": "object",
              "required": ["tcId", "comment", "network", "expected", "tolerances", "carefulTolerances", "float32Tolerances", "result", "flags"],
              "additionalProperties": false,
              "properties": {
                "tcId": { "type": "integer", "minimum": 1 },
                "comment": { "type": "string" },
                "network": { "$ref": "../network.schema.json", "description": "a backprop-spec/network@1 document; the reference is relative to this file (golden/network.schema.json)" },
                "expected": { "$ref": "#/$defs/values", "description": "what a correct implementation answers" },
                "tolerances": { "$ref": "#/$defs/values", "description": "for every expected number, the largest |actual - expected| a correct float64 implementation may show, whatever standard formulation it uses" },
                "carefulTolerances": { "$ref": "#/$defs/values", "description": "what careful float64 arithmetic stays within; beyond it but within tolerances is an accuracy finding, not a bug" },
                "float32Tolerances": { "$ref": "#/$defs/values", "description": "the tolerances for an implementation in float32" },
                "result": { "enum": ["valid"], "description": "valid: every answer must lie within its tolerance" },
                "flags": { "type": "array", "uniqueItems": true, "items": { "type": "string" } }
              }
            },
            "values": {
              "type": "object",
              "required": ["outputs", "loss", "gradients", "step"],
              "additionalProperties": false,
              "properties": {
                "outputs": { "$ref": "#/$defs/matrix", "description": "outputs[n][k]: output k of the last layer for example n" },
                "loss": { "type": "number", "description": "E of the whole batch" },
                "gradients": { "$ref": "#/$defs/layers", "description": "dE/dW[l][j][i] and dE/db[l][j]" },
                "step": { "$ref": "#/$defs/layers", "description": "every weight and bias after one gradient step" }
              }
            },
            "layers": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/layer" } },
            "layer": {
              "type": "object",
              "required": ["weights", "biases"],
              "additionalProperties": false,
              "properties": {
                "weights": { "$ref": "#/$defs/matrix" },
                "biases": { "type": ["array", "null"], "items": { "type": "number" }, "description": "null when the layer has bias 'none'" }
              }
            },
            "matrix": { "type": "array", "minItems": 1, "items": { "type": "array", "minItems": 1, "items": { "type": "number" } } }
          }
        }

        """;
}
