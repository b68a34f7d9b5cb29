using System.Text.Json;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// A JSON Schema (draft 2020-12) validator for the keywords our schemas use, and only those: a
/// schema with any other keyword is refused, so a rule is never skipped in silence. $ref is either
/// local (#/$defs/name) or a path relative to the schema's folder (../network.schema.json).
/// </summary>
public sealed class MiniSchema
{
    static readonly HashSet<string> Annotations = ["$schema", "$id", "title", "description", "default", "$defs"];
    static readonly HashSet<string> Assertions =
        ["type", "required", "properties", "additionalProperties", "items", "minItems", "maxItems", "uniqueItems",
         "const", "enum", "minimum", "maximum", "$ref"];

    readonly JsonElement root;
    readonly string folder;

    MiniSchema(JsonElement root, string folder) { this.root = root; this.folder = folder; }

    /// <summary>Every violation of <paramref name="instance"/> against the schema file, as "path: problem".</summary>
    public static List<string> Validate(JsonElement instance, string schemaPath)
    {
        var errors = new List<string>();
        Load(schemaPath).Check(instance, null, "$", errors);
        return errors;
    }

    static MiniSchema Load(string path) =>
        new(JsonDocument.Parse(File.ReadAllText(path)).RootElement, Path.GetDirectoryName(Path.GetFullPath(path))!);

    void Check(JsonElement value, JsonElement? schemaOrNull, string path, List<string> errors)
    {
        JsonElement schema = schemaOrNull ?? root;
        if (schema.ValueKind == JsonValueKind.True) return;
        if (schema.ValueKind == JsonValueKind.False) { errors.Add($"{path}: not allowed"); return; }
        foreach (JsonProperty keyword in schema.EnumerateObject())
            if (!Annotations.Contains(keyword.Name) && !Assertions.Contains(keyword.Name))
                throw new NotSupportedException($"MiniSchema does not implement the keyword '{keyword.Name}'");

        if (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            string r = reference.GetString()!;
            if (r.StartsWith("#/$defs/", StringComparison.Ordinal))
                Check(value, root.GetProperty("$defs").GetProperty(r["#/$defs/".Length..]), path, errors);
            else if (!r.Contains('#'))
                Load(Path.Combine(folder, r)).Check(value, null, path, errors);
            else throw new NotSupportedException($"MiniSchema does not resolve $ref '{r}'");
        }
        if (schema.TryGetProperty("type", out JsonElement type))
        {
            string[] allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
            if (!allowed.Any(t => IsType(value, t))) { errors.Add($"{path}: expected {string.Join(" or ", allowed)}, got {value.ValueKind}"); return; }
        }
        if (schema.TryGetProperty("const", out JsonElement constant) && !JsonElement.DeepEquals(value, constant))
            errors.Add($"{path}: must be {constant.GetRawText()}");
        if (schema.TryGetProperty("enum", out JsonElement options) && !options.EnumerateArray().Any(o => JsonElement.DeepEquals(value, o)))
            errors.Add($"{path}: {value.GetRawText()} is not one of {options.GetRawText()}");
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (schema.TryGetProperty("minimum", out JsonElement min) && value.GetDouble() < min.GetDouble()) errors.Add($"{path}: below {min.GetRawText()}");
            if (schema.TryGetProperty("maximum", out JsonElement max) && value.GetDouble() > max.GetDouble()) errors.Add($"{path}: above {max.GetRawText()}");
        }
        if (value.ValueKind == JsonValueKind.Object) CheckObject(value, schema, path, errors);
        if (value.ValueKind == JsonValueKind.Array) CheckArray(value, schema, path, errors);
    }

    void CheckObject(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("required", out JsonElement required))
            foreach (JsonElement name in required.EnumerateArray())
                if (!value.TryGetProperty(name.GetString()!, out _)) errors.Add($"{path}: missing required '{name.GetString()}'");
        schema.TryGetProperty("properties", out JsonElement properties);
        bool hasAdditional = schema.TryGetProperty("additionalProperties", out JsonElement additional);
        foreach (JsonProperty p in value.EnumerateObject())
        {
            string at = $"{path}.{p.Name}";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(p.Name, out JsonElement ps)) Check(p.Value, ps, at, errors);
            else if (hasAdditional) Check(p.Value, additional, at, errors);
        }
    }

    void CheckArray(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        int n = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out JsonElement min) && n < min.GetInt32()) errors.Add($"{path}: fewer than {min.GetInt32()} items");
        if (schema.TryGetProperty("maxItems", out JsonElement max) && n > max.GetInt32()) errors.Add($"{path}: more than {max.GetInt32()} items");
        if (schema.TryGetProperty("uniqueItems", out JsonElement unique) && unique.GetBoolean())
        {
            JsonElement[] items = value.EnumerateArray().ToArray();
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (JsonElement.DeepEquals(items[i], items[j])) errors.Add($"{path}: items {i} and {j} are equal");
        }
        if (schema.TryGetProperty("items", out JsonElement itemSchema))
        {
            int k = 0;
            foreach (JsonElement item in value.EnumerateArray()) Check(item, itemSchema, $"{path}[{k++}]", errors);
        }
    }

    static bool IsType(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.GetDouble() == Math.Floor(v.GetDouble()),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new NotSupportedException($"MiniSchema does not know the type '{type}'"),
    };
}
