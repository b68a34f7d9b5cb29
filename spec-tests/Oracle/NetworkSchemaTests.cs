using System.Text.Json;
using System.Text.Json.Nodes;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Hostile;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// golden/network.schema.json and the reader (NetworkJson) state one format twice; these tests keep
/// them from drifting. Documents are generated from each side and judged by the other: what the
/// reader accepts the schema accepts, and what the schema generates the reader accepts once the
/// rules the schema says it cannot state (shapes, loss and activation pairings, target ranges) hold.
/// </summary>
public class NetworkSchemaTests(ITestOutputHelper output)
{
    static readonly string SchemaPath = Repo.Path("golden", "network.schema.json");
    static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(SchemaPath)).RootElement;
    static JsonElement LayerSchema => Root.GetProperty("properties").GetProperty("layers").GetProperty("items");
    static JsonElement BatchSchema => Root.GetProperty("properties").GetProperty("batch");

    static string[] Names(JsonElement schema, string keyword) => keyword == "properties"
        ? schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray()
        : schema.GetProperty(keyword).EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray();

    static string[] Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void The_schema_and_the_reader_know_the_same_fields_names_and_limits()
    {
        foreach (var (schema, fields) in new[] { (Root, NetworkJson.Fields.Document), (LayerSchema, NetworkJson.Fields.Layer), (BatchSchema, NetworkJson.Fields.Batch) })
        {
            Assert.Equal(Sorted(fields.Known), Names(schema, "properties"));
            Assert.Equal(Sorted(fields.Required), Names(schema, "required"));
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        }
        JsonElement layer = LayerSchema.GetProperty("properties");
        Assert.Equal(Sorted(Activations.All.Select(Activations.Name)), Names(layer.GetProperty("activation"), "enum"));
        Assert.Equal(Sorted(Enum.GetValues<BiasMode>().Select(Validation.BiasName)), Names(layer.GetProperty("bias"), "enum"));
        Assert.Equal("none", layer.GetProperty("bias").GetProperty("default").GetString());
        Assert.Equal(Sorted(Loss.All.Select(Loss.Name)), Names(Root.GetProperty("properties").GetProperty("loss"), "enum"));
        Assert.Equal(NetworkJson.Format, Root.GetProperty("properties").GetProperty("format").GetProperty("const").GetString());
        Assert.Equal(Validation.MaxWidth, Root.GetProperty("properties").GetProperty("inputs").GetProperty("maximum").GetInt32());
        Assert.Equal(Validation.MaxWidth, layer.GetProperty("units").GetProperty("maximum").GetInt32());
        Assert.Equal(Validation.MaxDepth, Root.GetProperty("properties").GetProperty("layers").GetProperty("maxItems").GetInt32());
    }

    [Fact]
    public void A_misspelt_field_is_refused_by_the_schema_and_by_the_reader_alike()
    {
        JsonObject doc = JsonNode.Parse(Examples.Text("002"))!.AsObject();
        doc["layers"]![0]!.AsObject().Remove("bias");
        doc["layers"]![0]!.AsObject().Remove("biases");
        doc["layers"]![0]!["bais"] = "trainable";
        string error = Assert.Single(Schema.Validate(JsonSerializer.SerializeToElement(doc), SchemaPath));
        Assert.StartsWith("$.layers[0].bais:", error);
        Assert.Equal("layers[0].bais", Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(doc.ToJsonString())).Path);
    }

    [Fact]
    public void Documents_the_reader_accepts_satisfy_the_schema_and_damage_the_schema_refuses_the_reader_refuses()
    {
        int valid = 0, damaged = 0, schemaRefused = 0;
        var rng = new Random(20261125);
        string[] seeds = Examples.Names.Select(Examples.Text).ToArray();
        for (int i = 0; i < 300; i++)
        {
            string json = NetworkJson.Write(NetworkGen.Sample(RunSettings.DefaultSeed, i, 300));
            Assert.Empty(Schema.Validate(JsonDocument.Parse(json).RootElement, SchemaPath));
            valid++;
        }
        foreach (Damage damage in Enum.GetValues<Damage>().Where(d => d is not (Damage.Truncate or Damage.RawGarbage or Damage.DeepNesting)))
            for (int k = 0; k < 60; k++)
            {
                string json = Damaging.Apply(seeds[rng.Next(seeds.Length)], damage, rng);
                bool readerAccepts;
                try { NetworkJson.Parse(json); readerAccepts = true; }
                catch (NetworkFormatException) { readerAccepts = false; }
                JsonDocument parsed;
                try { parsed = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 10_000 }); }
                catch (JsonException)
                {
                    Assert.False(readerAccepts, $"the reader accepts a document that is not JSON ({damage}): {json}");
                    continue;                               // NaN, Infinity: not JSON, nothing for a schema to judge
                }
                List<string> errors = Schema.Validate(parsed.RootElement, SchemaPath);
                damaged++;
                if (errors.Count > 0) schemaRefused++;
                Assert.True(!readerAccepts || errors.Count == 0, $"the reader accepts a document the schema refuses ({damage}): {string.Join("; ", errors)}\n{json}");
            }
        output.WriteLine($"{valid} generated networks valid against the schema; {damaged} damaged documents, {schemaRefused} refused by the schema and all of those by the reader");
    }

    [Fact]
    public void Documents_generated_from_the_schema_are_read_once_the_rules_it_cannot_state_hold()
    {
        var rng = new Random(20261125);
        var seen = new HashSet<string>();
        for (int i = 0; i < 400; i++)
        {
            JsonObject doc = Generate(Root, rng)!.AsObject();
            Assert.Empty(Schema.Validate(JsonSerializer.SerializeToElement(doc), SchemaPath));      // the generator follows the schema
            Repair(doc, rng);
            Assert.Empty(Schema.Validate(JsonSerializer.SerializeToElement(doc), SchemaPath));      // and the repair stays inside it
            try { NetworkJson.Parse(doc.ToJsonString()); }
            catch (NetworkFormatException e) { Assert.Fail($"the schema allows what the reader refuses: {e.Message}\n{doc.ToJsonString()}"); }
            foreach (var (name, _) in doc) seen.Add(name);
            foreach (JsonNode? layer in doc["layers"]!.AsArray()) foreach (var (name, _) in layer!.AsObject()) seen.Add($"layers[].{name}");
        }
        // every optional field of the schema was generated, so every one was read
        Assert.Superset(new HashSet<string> { "name", "source", "layers[].bias", "layers[].biases" }, seen);
        output.WriteLine($"400 documents generated from the schema, all read; fields seen: {string.Join(", ", seen.Order())}");
    }

    /// <summary>A random instance of a schema: const, enum, and the type keywords with their bounds;
    /// required properties always, optional ones half the time.</summary>
    static JsonNode? Generate(JsonElement schema, Random rng)
    {
        if (schema.TryGetProperty("const", out JsonElement constant)) return JsonNode.Parse(constant.GetRawText());
        if (schema.TryGetProperty("enum", out JsonElement options))
        {
            JsonElement[] all = options.EnumerateArray().ToArray();
            return JsonNode.Parse(all[rng.Next(all.Length)].GetRawText());
        }
        JsonElement typeElement = schema.GetProperty("type");
        string[] types = typeElement.ValueKind == JsonValueKind.Array ? typeElement.EnumerateArray().Select(t => t.GetString()!).ToArray() : [typeElement.GetString()!];
        string type = types[rng.Next(types.Length)];
        double Min(double fallback) => schema.TryGetProperty("minimum", out JsonElement m) ? m.GetDouble() : fallback;
        switch (type)
        {
            case "object":
                var obj = new JsonObject();
                HashSet<string> required = schema.TryGetProperty("required", out JsonElement r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
                foreach (JsonProperty p in schema.GetProperty("properties").EnumerateObject())
                    if (required.Contains(p.Name) || rng.Next(2) == 0) obj[p.Name] = Generate(p.Value, rng);
                return obj;
            case "array":
                int min = schema.TryGetProperty("minItems", out JsonElement mi) ? mi.GetInt32() : 0;
                var array = new JsonArray();
                for (int k = 0, n = min + rng.Next(3); k < n; k++) array.Add(schema.TryGetProperty("items", out JsonElement items) ? Generate(items, rng) : JsonValue.Create(0.5));
                return array;
            case "integer": return JsonValue.Create((int)Min(0) + rng.Next(3));
            case "number": return JsonValue.Create(Math.Round(Min(-2) + rng.NextDouble() * 2, 3));
            case "string": return JsonValue.Create($"s{rng.Next(100)}");
            case "null": return null;
            default: throw new NotSupportedException($"the generator does not know the type '{type}'");
        }
    }

    /// <summary>Makes a schema-valid document satisfy what the schema's description says it cannot
    /// state: weights units × fan-in, biases present exactly when bias is not none, softmax on the
    /// output layer only and the loss's output activation, batch rows of the right lengths, targets
    /// the loss accepts. Changes values and array lengths only, never field names.</summary>
    static void Repair(JsonObject doc, Random rng)
    {
        JsonNode Numbers(int n, Func<double> value) => new JsonArray(Enumerable.Range(0, n).Select(_ => (JsonNode?)JsonValue.Create(value())).ToArray());
        double Weight() => Math.Round(rng.NextDouble() * 2 - 1, 3);
        JsonArray layers = doc["layers"]!.AsArray();
        string loss = (string)doc["loss"]!;
        int fanIn = (int)doc["inputs"]!;
        for (int l = 0; l < layers.Count; l++)
        {
            JsonObject layer = layers[l]!.AsObject();
            int units = (int)layer["units"]!;
            bool last = l == layers.Count - 1;
            if ((string)layer["activation"]! == "softmax" && !last) layer["activation"] = "sigmoid";
            if (last && loss == "binary-cross-entropy") layer["activation"] = "sigmoid";
            if (last && loss == "softmax-cross-entropy") layer["activation"] = "softmax";
            layer["weights"] = new JsonArray(Enumerable.Range(0, units).Select(_ => Numbers(fanIn, Weight)).ToArray());
            string bias = (string?)layer["bias"] ?? "none";
            if (bias == "none") layer.Remove("biases");
            else layer["biases"] = Numbers(units, Weight);
            fanIn = units;
        }
        JsonObject batch = doc["batch"]!.AsObject();
        int m = batch["inputs"]!.AsArray().Count;
        batch["inputs"] = new JsonArray(Enumerable.Range(0, m).Select(_ => Numbers((int)doc["inputs"]!, Weight)).ToArray());
        batch["targets"] = new JsonArray(Enumerable.Range(0, m).Select(_ =>
        {
            if (loss != "softmax-cross-entropy") return Numbers(fanIn, () => Math.Round(rng.NextDouble(), 3));
            JsonArray oneHot = Numbers(fanIn, () => 0).AsArray();
            oneHot[rng.Next(fanIn)] = 1.0;
            return oneHot;
        }).ToArray());
    }
}
