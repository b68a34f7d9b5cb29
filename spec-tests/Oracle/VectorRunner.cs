using System.Globalization;
using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>One vector's verdict: its flags as written, and every answer outside its tolerance.</summary>
public sealed record VectorResult(int TcId, string Comment, IReadOnlyList<string> Flags, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// A small, independent runner of golden/vectors/backprop_vectors.json, written the way a user in
/// another language would write one: read the file, run the implementation on each network, and
/// compare every number with |actual − expected| ≤ tolerance. It shares no code with the generator
/// (TestVectors, Expected) beyond reading the network document.
/// </summary>
public static class VectorRunner
{
    public static IReadOnlyList<VectorResult> Run(string json, IBackprop impl)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var results = new List<VectorResult>();
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
                results.Add(RunOne(test, impl));
        return results;
    }

    static VectorResult RunOne(JsonElement test, IBackprop impl)
    {
        Network n = NetworkJson.Read(test.GetProperty("network"));
        JsonElement expected = test.GetProperty("expected"), tolerance = test.GetProperty("tolerances");
        var failures = new List<string>();
        void Try(string what, Action run)
        {
            try { run(); }
            catch (Exception e) { failures.Add($"{what}: threw {e.GetType().Name}: {e.Message}"); }
        }
        Try("forward", () =>
        {
            Evaluation e = impl.Forward(n);
            Rows(failures, "outputs", e.Outputs, expected.GetProperty("outputs"), tolerance.GetProperty("outputs"));
            Value(failures, "loss", e.Loss, expected.GetProperty("loss").GetDouble(), tolerance.GetProperty("loss").GetDouble());
        });
        Try("gradients", () =>
        {
            Gradients g = impl.Gradients(n);
            Layers(failures, "gradients", g.dE_dW, g.dE_db, expected.GetProperty("gradients"), tolerance.GetProperty("gradients"));
        });
        Try("step", () =>
        {
            Parameters p = impl.Step(n);
            Layers(failures, "step", p.W, p.B, expected.GetProperty("step"), tolerance.GetProperty("step"));
        });
        return new VectorResult(test.GetProperty("tcId").GetInt32(), test.GetProperty("comment").GetString()!,
            test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!).ToArray(), failures);
    }

    static void Value(List<string> failures, string what, double actual, double expected, double tolerance)
    {
        if (!(Math.Abs(actual - expected) <= tolerance))
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{what} = {actual:R}, expected {expected:R} ± {tolerance:G3}"));
    }

    static void Row(List<string> failures, string what, IReadOnlyList<double>? actual, JsonElement expected, JsonElement tolerance)
    {
        if (actual is null || actual.Count != expected.GetArrayLength()) { failures.Add($"{what}: expected {expected.GetArrayLength()} numbers, got {actual?.Count}"); return; }
        for (int k = 0; k < actual.Count; k++)
            Value(failures, $"{what}[{k}]", actual[k], expected[k].GetDouble(), tolerance[k].GetDouble());
    }

    static void Rows(List<string> failures, string what, double[][]? actual, JsonElement expected, JsonElement tolerance)
    {
        if (actual is null || actual.Length != expected.GetArrayLength()) { failures.Add($"{what}: expected {expected.GetArrayLength()} rows, got {actual?.Length}"); return; }
        for (int r = 0; r < actual.Length; r++) Row(failures, $"{what}[{r}]", actual[r], expected[r], tolerance[r]);
    }

    static void Layers(List<string> failures, string what, double[][,] w, double[]?[] b, JsonElement expected, JsonElement tolerance)
    {
        if (w.Length != expected.GetArrayLength() || b.Length != expected.GetArrayLength()) { failures.Add($"{what}: expected {expected.GetArrayLength()} layers"); return; }
        for (int l = 0; l < w.Length; l++)
        {
            JsonElement e = expected[l], t = tolerance[l];
            double[][] rows = Enumerable.Range(0, w[l].GetLength(0))
                .Select(j => Enumerable.Range(0, w[l].GetLength(1)).Select(i => w[l][j, i]).ToArray()).ToArray();
            Rows(failures, $"{what}[{l}].weights", rows, e.GetProperty("weights"), t.GetProperty("weights"));
            JsonElement eb = e.GetProperty("biases");
            if (eb.ValueKind == JsonValueKind.Null) { if (b[l] is not null) failures.Add($"{what}[{l}].biases: expected none"); }
            else Row(failures, $"{what}[{l}].biases", b[l], eb, t.GetProperty("biases"));
        }
    }
}
