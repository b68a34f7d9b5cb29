using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using BackpropSpec.SpecTests.Properties;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>
/// Hostile input: FsCheck damages valid network documents (broken JSON, wrong types, shapes off by
/// one, NaN and Infinity, huge sizes, deep nesting, empty arrays, missing fields) and hands them to
/// the reader. Each must come back as a valid network or as a NetworkFormatException whose path
/// names a field and position; any other exception fails. The library API gets the same treatment.
/// </summary>
public class HostileInputTests(ITestOutputHelper output)
{
    /// <summary>(document), or a field path such as layers[1].weights[0][2] or batch.inputs.</summary>
    static readonly Regex FieldPath = new(@"^(\(document\)|[A-Za-z]+(\[\d+\])*(\.[A-Za-z]+(\[\d+\])*)*)$");

    static readonly string[] Seeds = Examples.Names.Select(Examples.Text).ToArray();

    enum Damage { Truncate, WrongType, ArrayOneLonger, ArrayOneShorter, NonFinite, HugeSize, DeepNesting, EmptyArray, DropField, RawGarbage }

    sealed record Case(string Json, Damage Damage)
    {
        public override string ToString() => $"{Damage}: {(Json.Length > 400 ? Json[..400] + "…" : Json)}";
    }

    static Gen<Case> Cases =>
        from seed in Gen.Elements(Seeds)
        from damage in Gen.Elements(Enum.GetValues<Damage>())
        from pick in Gen.Choose(0, int.MaxValue)
        select new Case(Apply(seed, damage, new Random(pick)), damage);

    static string Apply(string json, Damage damage, Random rng)
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
                return ReplaceField(root, rng, new[] { "units", "inputs" }, new[] { "1000000000", "2147483648", "1e300", "-1", "0" }[rng.Next(5)]);
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

    [Fact]
    public void Damaged_documents_are_refused_naming_the_field_and_never_crash_the_reader()
    {
        int tried = 0, refused = 0;
        var kinds = new Dictionary<Damage, int>();
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            tried++;
            kinds[c.Damage] = kinds.GetValueOrDefault(c.Damage) + 1;
            try { NetworkJson.Parse(c.Json); }
            catch (NetworkFormatException e)
            {
                refused++;
                if (!FieldPath.IsMatch(e.Path)) throw new PropertyFailure($"the error does not name a field: '{e.Path}' in \"{e.Message}\"");
                if (string.IsNullOrWhiteSpace(e.Problem)) throw new PropertyFailure($"the error at {e.Path} says nothing");
            }
        }).Check(PropertyRun.Config("damaged network documents", 5 * PropertyRun.Count));
        output.WriteLine($"{tried} damaged documents tried, {refused} refused with a field path, {tried - refused} still valid networks; by damage: "
                         + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        Assert.True(refused > tried / 2, "most damage must be refused");
    }

    [Fact]
    public void A_layer_of_a_billion_units_is_refused_before_anything_is_allocated()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        string json = Examples.Text("002").Replace("\"units\": 2", "\"units\": 1000000000");
        var e = Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(json));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("layers[0].units", e.Path);
        Assert.True(allocated < 10_000_000, $"{allocated} bytes allocated to refuse it");
    }

    /// <summary>The library API, with nulls, ragged rows, NaN and wrong sizes anywhere.</summary>
    [Fact]
    public void Bad_api_arguments_throw_argument_exceptions_naming_the_field()
    {
        int tried = 0;
        Gen<Func<Network>> calls =
            from which in Gen.Choose(0, 9)
            from size in Gen.Choose(0, 3)
            from value in Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.5, -1.0, 1e308)
            select (Func<Network>)(() =>
            {
                double[,] w0 = new double[2, 2], w1 = new double[1, 2];
                w0[size % 2, 0] = value;
                Layer?[] layers = [new Layer(Activation.Sigmoid, w0, null, BiasMode.None), new Layer(Activation.Sigmoid, w1, null, BiasMode.None)];
                double[][]? x = [[0.5, value]];
                double[][]? t = [[value]];
                switch (which)
                {
                    case 0: layers[size % 2] = null; break;
                    case 1: layers[0] = new Layer(Activation.Relu, null!, null, BiasMode.None); break;
                    case 2: x = null; break;
                    case 3: t = [null!]; break;
                    case 4: x = [new double[size]]; break;
                    case 5: layers[1] = new Layer(Activation.Sigmoid, new double[1, size], null, BiasMode.None); break;
                    case 6: layers[0] = new Layer(Activation.Sigmoid, w0, new double[size], BiasMode.Trainable); break;
                    case 7: layers[1] = new Layer((Activation)(size + 7), w1, null, BiasMode.None); break;
                    case 8: layers[0] = new Layer(Activation.Sigmoid, w0, [1, 2], (BiasMode)(size + 5)); break;
                }
                return Network.Create(2, layers!, which == 9 ? (LossKind)(size + 4) : LossKind.BinaryCrossEntropy, value, x!, t!);
            });
        Prop.ForAll(calls.ToArbitrary(), call =>
        {
            tried++;
            try { call(); }
            catch (NetworkFormatException e) when (FieldPath.IsMatch(e.Path)) { }
        }).Check(PropertyRun.Config("bad API arguments"));
        output.WriteLine($"{tried} bad API calls tried");
    }
}
