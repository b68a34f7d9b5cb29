using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>The ways hostile-input tests damage a valid JSON document.</summary>
public enum Damage { Truncate, WrongType, ArrayOneLonger, ArrayOneShorter, NonFinite, HugeSize, DeepNesting, EmptyArray, DropField, RawGarbage }

/// <summary>Damages one valid JSON document (a network, a protocol reply) in one random way.</summary>
public static class Damaging
{
    public static string Apply(string json, Damage damage, Random rng)
    {
        if (damage == Damage.Truncate) return json[..rng.Next(json.Length)];
        if (damage == Damage.RawGarbage)
        {
            char[] chars = json.ToCharArray();
            for (int k = 0; k < 3; k++) chars[rng.Next(chars.Length)] = "{}[],:\"NaN-e0x\\\0"[rng.Next(16)];
            return new string(chars);
        }
        JsonNode root = JsonNode.Parse(json)!;
        List<JsonNode> nodes = Walk(root).ToList();
        JsonNode target = nodes[rng.Next(nodes.Count)];
        switch (damage)
        {
            case Damage.WrongType:
                ReplaceWith(root, target, rng.Next(5) switch { 0 => JsonValue.Create("text"), 1 => JsonValue.Create(true), 2 => null, 3 => new JsonObject(), _ => new JsonArray() });
                break;
            case Damage.ArrayOneLonger:
                if (nodes.OfType<JsonArray>().ToList() is { Count: > 0 } longer)
                {
                    JsonArray a = longer[rng.Next(longer.Count)];
                    a.Add(a.Count > 0 ? a[0]?.DeepClone() : JsonValue.Create(0.5));
                }
                break;
            case Damage.ArrayOneShorter:
                if (nodes.OfType<JsonArray>().Where(a => a.Count > 0).ToList() is { Count: > 0 } shorter)
                    shorter[rng.Next(shorter.Count)].RemoveAt(0);
                break;
            case Damage.NonFinite:
                return ReplaceNumber(root.ToJsonString(), rng, new[] { "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "\"NaN\"", "\"Infinity\"" }[rng.Next(7)]);
            case Damage.HugeSize:
                return ReplaceField(root, rng, new[] { "units", "inputs", "id" }, new[] { "1000000000", "2147483648", "1e300", "-1", "0" }[rng.Next(5)]);
            case Damage.DeepNesting:
                int depth = rng.Next(10, 5000);
                ReplaceWith(root, target, JsonNode.Parse(new string('[', depth) + "1" + new string(']', depth), documentOptions: new() { MaxDepth = 10_000 }));
                break;
            case Damage.EmptyArray:
                ReplaceWith(root, target, new JsonArray());
                break;
            case Damage.DropField:
                if (nodes.OfType<JsonObject>().Where(o => o.Count > 0).ToList() is { Count: > 0 } objects)
                {
                    JsonObject o = objects[rng.Next(objects.Count)];
                    o.Remove(o.ElementAt(rng.Next(o.Count)).Key);
                }
                break;
        }
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { MaxDepth = 10_000 });
    }

    static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null) yield break;
        yield return node;
        IEnumerable<JsonNode?> children = node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] };
        foreach (JsonNode? child in children.ToList())
            foreach (JsonNode n in Walk(child)) yield return n;
    }

    static void ReplaceWith(JsonNode root, JsonNode target, JsonNode? replacement)
    {
        if (target == root) return;
        switch (target.Parent)
        {
            case JsonObject o: o[target.GetPropertyName()] = replacement; break;
            case JsonArray a: a[target.GetElementIndex()] = replacement; break;
        }
    }

    static string ReplaceNumber(string json, Random rng, string token)
    {
        MatchCollection numbers = Regex.Matches(json, @"(?<=[\[,:]\s*)-?\d+(\.\d+)?([eE][-+]?\d+)?");
        if (numbers.Count == 0) return json;
        Match m = numbers[rng.Next(numbers.Count)];
        return json[..m.Index] + token + json[(m.Index + m.Length)..];
    }

    static string ReplaceField(JsonNode root, Random rng, string[] fields, string raw)
    {
        string json = root.ToJsonString();
        MatchCollection hits = Regex.Matches(json, $"\"({string.Join('|', fields)})\":\\s*\\d+");
        if (hits.Count == 0) return json;
        Match m = hits[rng.Next(hits.Count)];
        int colon = json.IndexOf(':', m.Index);
        return json[..(colon + 1)] + raw + json[(m.Index + m.Length)..];
    }

}
