using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>One printed number of golden/catalog.json.</summary>
public sealed record CatalogEntry(
    string Id, string Source, string Quote, string Printed, string? Example, string? Quantity, int Steps,
    string Status, string? Note, JsonObject? Erratum, JsonObject? WrongCode, JsonObject? Underdetermined)
{
    public override string ToString() => Id;
}

/// <summary>golden/catalog.json, and the reference's value of any entry's quantity.</summary>
public static class Catalog
{
    public static readonly string[] Statuses = ["reproduced", "erratum", "wrong-code", "underdetermined"];

    public static IReadOnlyList<CatalogEntry> Entries { get; } = Load();

    static IReadOnlyList<CatalogEntry> Load()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(Repo.Path("golden", "catalog.json")))!;
        return root["entries"]!.AsArray().Select(e => new CatalogEntry(
            (string)e!["id"]!, (string)e["source"]!, (string)e["quote"]!, (string)e["printed"]!,
            (string?)e["example"], (string?)e["quantity"], (int?)e["steps"] ?? 0, (string)e["status"]!,
            (string?)e["note"], e["erratum"]?.AsObject(), e["wrongCode"]?.AsObject(), e["underdetermined"]?.AsObject())).ToArray();
    }

    static readonly Dictionary<(string, int), JsonNode> Traces = new();

    /// <summary>The reference's trace of an example after <paramref name="steps"/> steps, as JSON.</summary>
    public static JsonNode TraceOf(string example, int steps)
    {
        lock (Traces)
        {
            if (!Traces.TryGetValue((example, steps), out JsonNode? trace))
                Traces[(example, steps)] = trace = JsonNode.Parse(Trace.Of(Train.Run(Examples.Load(example), steps)).ToJson())!;
            return trace;
        }
    }

    /// <summary>
    /// Evaluates a quantity: a product of factors, optionally negated. A factor is a number,
    /// a named fact (<c>fact:max-sigmoid-derivative</c>), or a path into the trace JSON
    /// (<c>gradients[1].dE_dW[0][0]</c>, <c>learningRate</c>, <c>network.layers[1].weights[0][0]</c>).
    /// </summary>
    public static double Evaluate(string quantity, string example, int steps)
    {
        string q = quantity.Trim();
        double sign = 1;
        if (q.StartsWith('-')) { sign = -1; q = q[1..]; }
        double product = sign;
        foreach (string raw in q.Split('*'))
        {
            string factor = raw.Trim();
            if (double.TryParse(factor, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)) product *= number;
            else if (factor.StartsWith("fact:", StringComparison.Ordinal)) product *= Fact(factor[5..]);
            else product *= Path(TraceOf(example, steps), factor);
        }
        return product;
    }

    /// <summary>Numbers 000 derives about the sigmoid itself, computed with the reference's σ′.</summary>
    static double Fact(string name)
    {
        double max = Activations.Derivative(Activation.Sigmoid, 0);   // σ′ peaks at 0 (a property checks σ′ ≤ σ′(0))
        return name switch
        {
            "max-sigmoid-derivative" => max,
            "one-layer-error-reduction" => 1 - max,                  // "reduced by at least 75%"
            "two-layer-error-reduction" => 1 - max * max,            // "scaled down by at least 93.75%"
            _ => throw new ArgumentException($"unknown fact '{name}'"),
        };
    }

    public static double Path(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (string segment in path.Split('.'))
        {
            int bracket = segment.IndexOf('[');
            string name = bracket < 0 ? segment : segment[..bracket];
            node = node?[name];
            if (bracket >= 0)
                foreach (string index in segment[(bracket + 1)..^1].Split("]["))
                    node = node?[int.Parse(index, CultureInfo.InvariantCulture)];
        }
        if (node is null || node.GetValueKind() != JsonValueKind.Number) throw new ArgumentException($"no number at '{path}'");
        return (double)node;
    }
}
