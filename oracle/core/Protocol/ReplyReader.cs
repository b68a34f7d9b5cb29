using System.Text.Json;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Protocol;

/// <summary>
/// Reads the fields of one reply, checking each against the network of the request: its kind, its
/// size, and that every number is finite. Each refusal is a <see cref="ProtocolException"/> that
/// names the field and position, as the network reader does (<c>gradients[1].weights[0]: expected 2
/// numbers (fan-in of layer 1), got 3</c>).
/// </summary>
sealed class ReplyReader(string op, long id, Network? network)
{
    Network Net => network ?? throw new InvalidOperationException($"`{op}` has no network");

    ProtocolException Fail(ProtocolFailure kind, string path, string problem) =>
        new(kind, op, id, network, $"the reply to `{op}` (id {id}): {path}: {problem}");

    public JsonElement Field(JsonElement reply, string name) =>
        reply.TryGetProperty(name, out JsonElement e) ? e : throw Fail(ProtocolFailure.WrongShape, name, "missing");

    /// <summary>The reply of a forward or gradients request: outputs[m][units of the output layer].</summary>
    public double[][] Outputs(JsonElement reply)
    {
        JsonElement e = Field(reply, "outputs");
        int m = Net.BatchSize, k = Net.Output.Units;
        ExpectArray(e, "outputs", m, "one row per example of the batch");
        return e.EnumerateArray().Select((row, n) => Row(row, $"outputs[{n}]", k, "units of the output layer")).ToArray();
    }

    /// <summary>[{weights, biases}, …] with one entry per layer: the gradients of a gradients request,
    /// the parameters of a step request. <c>biases</c> is null (or absent) where the layer has no bias.</summary>
    public (double[][,] W, double[]?[] B) LayerList(JsonElement e, string path)
    {
        Network n = Net;
        int L = n.Layers.Count;
        ExpectArray(e, path, L, "one entry per layer");
        var w = new double[L][,];
        var b = new double[L][];
        int l = 0;
        foreach (JsonElement entry in e.EnumerateArray())
        {
            string where = $"{path}[{l}]";
            Layer layer = n.Layers[l];
            if (entry.ValueKind != JsonValueKind.Object) throw Fail(ProtocolFailure.WrongShape, where, $"expected an object with weights and biases, got {KindName(entry)}");
            w[l] = Matrix(Field(entry, "weights", where), $"{where}.weights", layer.Units, layer.FanIn, l);
            bool has = entry.TryGetProperty("biases", out JsonElement biases) && biases.ValueKind != JsonValueKind.Null;
            if (layer.Bias == BiasMode.None)
            {
                if (has) throw Fail(ProtocolFailure.WrongShape, $"{where}.biases", $"expected null (layer {l} has bias: none), got {KindName(biases)}");
            }
            else
            {
                if (!has) throw Fail(ProtocolFailure.WrongShape, $"{where}.biases", $"missing or null, but layer {l} has bias: {Validation.BiasName(layer.Bias)}");
                b[l] = Row(biases, $"{where}.biases", layer.Units, $"units of layer {l}");
            }
            l++;
        }
        return (w, b);
    }

    JsonElement Field(JsonElement obj, string name, string parent) =>
        obj.TryGetProperty(name, out JsonElement e) ? e : throw Fail(ProtocolFailure.WrongShape, $"{parent}.{name}", "missing");

    double[,] Matrix(JsonElement e, string path, int rows, int columns, int l)
    {
        ExpectArray(e, path, rows, $"units of layer {l}");
        var m = new double[rows, columns];
        int j = 0;
        foreach (JsonElement row in e.EnumerateArray())
        {
            double[] r = Row(row, $"{path}[{j}]", columns, Validation.FanInName(l));
            for (int i = 0; i < columns; i++) m[j, i] = r[i];
            j++;
        }
        return m;
    }

    public double[] Row(JsonElement e, string path, int length, string what)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Fail(ProtocolFailure.WrongShape, path, $"expected an array of {length} numbers ({what}), got {KindName(e)}");
        if (e.GetArrayLength() != length) throw Fail(ProtocolFailure.WrongShape, path, $"expected {length} numbers ({what}), got {e.GetArrayLength()}");
        return e.EnumerateArray().Select((v, i) => Number(v, $"{path}[{i}]")).ToArray();
    }

    void ExpectArray(JsonElement e, string path, int length, string what)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Fail(ProtocolFailure.WrongShape, path, $"expected an array of {length} ({what}), got {KindName(e)}");
        if (e.GetArrayLength() != length) throw Fail(ProtocolFailure.WrongShape, path, $"expected {length} entries ({what}), got {e.GetArrayLength()}");
    }

    /// <summary>A finite double. null (JSON.stringify's NaN), "NaN" and "Infinity" as strings (how some serialisers write them,
    /// and how a bare NaN token reaches this reader) are non-finite; so is a literal beyond ±1.8e308.</summary>
    public double Number(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                // TryGetDouble refuses a literal that overflows a double (1e400)
                if (e.TryGetDouble(out double v) && double.IsFinite(v)) return v;
                throw Fail(ProtocolFailure.NonFinite, path, $"{Excerpt(e.GetRawText())} overflows a double");
            case JsonValueKind.String when e.GetString() is "NaN" or "Infinity" or "-Infinity" or "+Infinity":
                throw Fail(ProtocolFailure.NonFinite, path, $"{e.GetString()} is not a finite number");
            case JsonValueKind.Null:
                // JavaScript's JSON.stringify writes NaN and ±Infinity as null: a number that is not finite
                throw Fail(ProtocolFailure.NonFinite, path, "null where a number belongs (JavaScript's JSON.stringify writes NaN and Infinity as null)");
            default:
                throw Fail(ProtocolFailure.WrongShape, path, $"expected a number, got {KindName(e)}");
        }
    }

    public IEnumerable<string> Strings(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Fail(ProtocolFailure.WrongShape, path, $"expected an array of names, got {KindName(e)}");
        int i = 0;
        foreach (JsonElement s in e.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.String) throw Fail(ProtocolFailure.WrongShape, $"{path}[{i}]", $"expected a name, got {KindName(s)}");
            yield return s.GetString()!;
            i++;
        }
    }

    /// <summary>Reads every field the op's reply must have (used to name a bare NaN's field).</summary>
    public void CheckAll(JsonElement reply)
    {
        if (op is "forward" or "gradients") { Outputs(reply); Number(Field(reply, "loss"), "loss"); }
        if (op == "gradients") LayerList(Field(reply, "gradients"), "gradients");
        if (op == "step") LayerList(Field(reply, "layers"), "layers");
    }

    static string KindName(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => $"an array of {e.GetArrayLength()}",
        JsonValueKind.String => $"the string {Excerpt(e.GetRawText())}",
        JsonValueKind.Number => $"the number {Excerpt(e.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    static string Excerpt(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
