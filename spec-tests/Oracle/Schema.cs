using System.Text.Json;
using Json.Schema;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// Validates JSON against the committed JSON Schemas (draft 2020-12) with JsonSchema.Net, a
/// maintained validator. A $ref to another schema file (the vectors' "../network.schema.json")
/// resolves against the referring file's location.
/// </summary>
public static class Schema
{
    /// <summary>Every violation of <paramref name="instance"/> against the schema file, as "location: problem".</summary>
    public static List<string> Validate(JsonElement instance, string schemaPath)
    {
        JsonSchema schema = Load(schemaPath);
        EvaluationResults results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return [];
        var errors = new List<string>();
        foreach (EvaluationResults detail in (IEnumerable<EvaluationResults>?)results.Details ?? [])
            foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
                errors.Add($"{Location(detail.InstanceLocation.ToString())}: {keyword}: {message}");
        return errors.Count > 0 ? errors : ["(document): not valid"];
    }

    /// <summary>"$.layers[0].bias" style, from a JSON Pointer ("/layers/0/bias").</summary>
    static string Location(string pointer) =>
        "$" + string.Concat(pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(p => int.TryParse(p, out _) ? $"[{p}]" : $".{p}"));

    static readonly Dictionary<string, JsonSchema> Cache = [];

    /// <summary>The schema file, with every other schema of its folder and the folder above registered by location.</summary>
    static JsonSchema Load(string path)
    {
        path = Path.GetFullPath(path);
        lock (Cache)
        {
            if (Cache.TryGetValue(path, out JsonSchema? cached)) return cached;
            var registry = new SchemaRegistry();
            var options = new BuildOptions { SchemaRegistry = registry };
            string folder = Path.GetDirectoryName(path)!;
            foreach (string file in Directory.GetFiles(folder, "*.schema.json").Concat(Directory.GetFiles(Path.GetDirectoryName(folder)!, "*.schema.json")))
                if (Path.GetFullPath(file) != path)
                    registry.Register(new Uri(Path.GetFullPath(file)), JsonSchema.FromFile(file, options));
            JsonSchema schema = JsonSchema.FromFile(path, options);
            Cache[path] = schema;
            return schema;
        }
    }
}
