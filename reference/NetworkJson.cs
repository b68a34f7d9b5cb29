using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BackpropSpec.Reference;

/// <summary>
/// Reads and writes the one network format, <c>backprop-spec/network@1</c> (golden/network.schema.json).
/// Every refusal is a <see cref="NetworkFormatException"/> naming the field and position.
/// </summary>
public static class NetworkJson
{
    public const string Format = "backprop-spec/network@1";

    static readonly JsonDocumentOptions Options = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow };

    public static Network Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, Options); }
        catch (JsonException e)
        {
            string at = e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}" : "the document";
            throw new NetworkFormatException("(document)", $"malformed JSON at {at}: {FirstSentence(e.Message)}");
        }
        using (doc) return Read(doc.RootElement);
    }

    /// <summary>Reads a network from a JSON element (also used for the protocol's <c>network</c> field).</summary>
    public static Network Read(JsonElement root)
    {
        Expect(root, JsonValueKind.Object, "(document)");
        OnlyKnownFields(root, "", Fields.Document);
        string format = String(root, "format", "");
        if (format != Format) throw new NetworkFormatException("format", $"expected \"{Format}\", got \"{format}\"");
        string? name = OptionalString(root, "name");
        string? source = OptionalString(root, "source");
        int inputs = Count(root, "inputs", "", Validation.MaxWidth);

        JsonElement layersJson = Required(root, "layers", "");
        Expect(layersJson, JsonValueKind.Array, "layers");
        if (layersJson.GetArrayLength() == 0) throw new NetworkFormatException("layers", "the network is empty: at least one layer is needed");
        Validation.CheckCount("layers", layersJson.GetArrayLength(), 1, Validation.MaxDepth, "layers");
        var layers = new List<Layer>();
        int fanIn = inputs;
        int l = 0;
        foreach (JsonElement layerJson in layersJson.EnumerateArray())
        {
            string where = $"layers[{l}]";
            Expect(layerJson, JsonValueKind.Object, where);
            OnlyKnownFields(layerJson, where, Fields.Layer);
            int units = Count(layerJson, "units", where, Validation.MaxWidth);
            Activation activation = ParseActivation(String(layerJson, "activation", where), $"{where}.activation");
            BiasMode bias = ParseBias(OptionalString(layerJson, "bias", where) ?? "none", $"{where}.bias");
            double[,] w = Matrix(Required(layerJson, "weights", where), $"{where}.weights", units, fanIn, $"units of layer {l}", Validation.FanInName(l));
            double[]? b = null;
            if (layerJson.TryGetProperty("biases", out JsonElement biasesJson) && biasesJson.ValueKind != JsonValueKind.Null)
            {
                if (bias == BiasMode.None) throw new NetworkFormatException($"{where}.biases", "must be absent when bias is 'none'");
                b = Vector(biasesJson, $"{where}.biases", units, $"units of layer {l}");
            }
            layers.Add(new Layer(activation, w, b, bias));
            fanIn = units;
            l++;
        }

        LossKind loss = ParseLoss(String(root, "loss", ""), "loss");
        double learningRate = Number(Required(root, "learningRate", ""), "learningRate");
        JsonElement batch = Required(root, "batch", "");
        Expect(batch, JsonValueKind.Object, "batch");
        OnlyKnownFields(batch, "batch", Fields.Batch);
        double[][] x = Rows(Required(batch, "inputs", "batch"), "batch.inputs", inputs, "inputs");
        double[][] t = Rows(Required(batch, "targets", "batch"), "batch.targets", fanIn, "units of the output layer");
        return Network.Create(inputs, layers, loss, learningRate, x, t, name, source);
    }

    /// <summary>The network as an indented document; doubles round-trip exactly.</summary>
    public static string Write(Network network) => Pretty(w => Write(w, network));

    /// <summary>Writes with <paramref name="write"/>, then lays the document out for people:
    /// indented objects, and every array of numbers on one line (a weight row reads as a row).
    /// <paramref name="encoder"/> decides which characters of strings are escaped (by default
    /// also ' + &lt; &gt; &amp; and non-ASCII, as \uXXXX).</summary>
    public static string Pretty(Action<Utf8JsonWriter> write, JavaScriptEncoder? encoder = null)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder })) write(w);
        using JsonDocument doc = JsonDocument.Parse(buffer.ToArray());
        var sb = new StringBuilder();
        Layout(doc.RootElement, sb, 0);
        return sb.ToString();
    }

    static void Layout(JsonElement e, StringBuilder sb, int depth)
    {
        string pad = new(' ', 2 * (depth + 1)), close = new(' ', 2 * depth);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                sb.Append("{\n");
                int n = 0, count = e.EnumerateObject().Count();
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    sb.Append(pad).Append(JsonSerializer.Serialize(p.Name)).Append(": ");
                    Layout(p.Value, sb, depth + 1);
                    sb.Append(++n < count ? ",\n" : "\n");
                }
                sb.Append(close).Append('}');
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is JsonValueKind.Number or JsonValueKind.Null):
                sb.Append('[').Append(string.Join(", ", e.EnumerateArray().Select(x => x.GetRawText()))).Append(']');
                break;
            case JsonValueKind.Array:
                if (e.GetArrayLength() == 0) { sb.Append("[]"); break; }
                sb.Append("[\n");
                int k = 0, length = e.GetArrayLength();
                foreach (JsonElement x in e.EnumerateArray())
                {
                    sb.Append(pad);
                    Layout(x, sb, depth + 1);
                    sb.Append(++k < length ? ",\n" : "\n");
                }
                sb.Append(close).Append(']');
                break;
            default:
                sb.Append(e.GetRawText());
                break;
        }
    }

    public static void Write(Utf8JsonWriter w, Network network)
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        if (network.Name is not null) w.WriteString("name", network.Name);
        if (network.Source is not null) w.WriteString("source", network.Source);
        w.WriteNumber("inputs", network.Inputs);
        w.WriteStartArray("layers");
        foreach (Layer layer in network.Layers)
        {
            w.WriteStartObject();
            w.WriteNumber("units", layer.Units);
            w.WriteString("activation", Activations.Name(layer.Activation));
            w.WriteString("bias", Validation.BiasName(layer.Bias));
            w.WritePropertyName("weights");
            WriteMatrix(w, layer.W);
            if (layer.B is not null) { w.WritePropertyName("biases"); WriteRow(w, layer.B); }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("loss", Loss.Name(network.Loss));
        w.WritePropertyName("learningRate");
        WriteNumber(w, network.LearningRate);
        w.WriteStartObject("batch");
        w.WritePropertyName("inputs");
        WriteRows(w, network.X);
        w.WritePropertyName("targets");
        WriteRows(w, network.T);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A double as a JSON number with the shortest text that reads back to the same bits.</summary>
    public static void WriteNumber(Utf8JsonWriter w, double value) => w.WriteNumberValue(value);

    public static void WriteRow(Utf8JsonWriter w, IEnumerable<double> row)
    {
        w.WriteStartArray();
        foreach (double v in row) WriteNumber(w, v);
        w.WriteEndArray();
    }

    public static void WriteRows(Utf8JsonWriter w, IEnumerable<double[]> rows)
    {
        w.WriteStartArray();
        foreach (double[] row in rows) WriteRow(w, row);
        w.WriteEndArray();
    }

    public static void WriteMatrix(Utf8JsonWriter w, double[,] m)
    {
        w.WriteStartArray();
        for (int j = 0; j < m.GetLength(0); j++)
            WriteRow(w, Enumerable.Range(0, m.GetLength(1)).Select(i => m[j, i]));
        w.WriteEndArray();
    }

    // The parsers are the inverses of the name tables (Activations.Name, Loss.Name,
    // Validation.BiasName), so reading and writing can never disagree.

    public static Activation ParseActivation(string s, string path) => ParseName(s, path, "activation", Activations.All, Activations.Name);

    public static LossKind ParseLoss(string s, string path) => ParseName(s, path, "loss", Loss.All, Loss.Name);

    static BiasMode ParseBias(string s, string path) => ParseName(s, path, "bias mode", Enum.GetValues<BiasMode>(), Validation.BiasName);

    static T ParseName<T>(string s, string path, string what, IReadOnlyList<T> all, Func<T, string> name) where T : struct
    {
        foreach (T value in all)
            if (name(value) == s) return value;
        throw new NetworkFormatException(path, $"unknown {what} \"{s}\"; expected one of {string.Join(", ", all.Select(name))}");
    }

    /// <summary>The fields of each object of the format: every name the reader knows, and those it
    /// requires. golden/network.schema.json states the same lists (a test crosses them).</summary>
    public static class Fields
    {
        public static readonly ObjectFields Document = new("a network document",
            ["format", "name", "source", "inputs", "layers", "loss", "learningRate", "batch"],
            ["format", "inputs", "layers", "loss", "learningRate", "batch"]);
        public static readonly ObjectFields Layer = new("a layer",
            ["units", "activation", "bias", "weights", "biases"],
            ["units", "activation", "weights"]);
        public static readonly ObjectFields Batch = new("a batch",
            ["inputs", "targets"],
            ["inputs", "targets"]);
    }

    /// <summary>The known and required field names of one kind of object.</summary>
    public sealed record ObjectFields(string What, IReadOnlyList<string> Known, IReadOnlyList<string> Required);

    /// <summary>Refuses a field the format does not define (a typo such as "bais" would otherwise be
    /// ignored and silently change the network), naming it and the nearest known name, and a field
    /// that appears twice.</summary>
    static void OnlyKnownFields(JsonElement obj, string parent, ObjectFields fields)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            bool plain = IsIdentifier(p.Name);
            string path = plain ? Join(parent, p.Name) : parent.Length == 0 ? "(document)" : parent;
            string quoted = JsonSerializer.Serialize(p.Name);
            if (!fields.Known.Contains(p.Name))
            {
                string? near = Nearest(p.Name, fields.Known);
                throw new NetworkFormatException(path,
                    $"unknown field {quoted}{(near is null ? "." : $"; did you mean \"{near}\"?")} The fields of {fields.What} are {string.Join(", ", fields.Known)}");
            }
            if (!seen.Add(p.Name)) throw new NetworkFormatException(path, $"the field {quoted} appears more than once");
        }
    }

    static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The known name closest to <paramref name="name"/> (edit distance with transpositions,
    /// ignoring case), when it is close enough to be a typo of it.</summary>
    public static string? Nearest(string name, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string k in known)
        {
            int d = EditDistance(name.ToLowerInvariant(), k.ToLowerInvariant());
            if (d < bestDistance) { best = k; bestDistance = d; }
        }
        return best is not null && bestDistance <= Math.Max(2, best.Length / 3) && bestDistance < name.Length ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// two neighbours each cost 1 ("bais" is 1 from "bias").</summary>
    static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    // ---- small readers that name the path of what they reject ----

    static string Join(string parent, string field) => parent.Length == 0 ? field : $"{parent}.{field}";

    static JsonElement Required(JsonElement obj, string field, string parent) =>
        obj.TryGetProperty(field, out JsonElement e) ? e : throw new NetworkFormatException(Join(parent, field), "missing");

    static void Expect(JsonElement e, JsonValueKind kind, string path)
    {
        if (e.ValueKind != kind)
            throw new NetworkFormatException(path, $"expected {KindName(kind)}, got {KindName(e.ValueKind)}");
    }

    static string String(JsonElement obj, string field, string parent)
    {
        JsonElement e = Required(obj, field, parent);
        Expect(e, JsonValueKind.String, Join(parent, field));
        return e.GetString()!;
    }

    /// <summary>An optional string field: absent is null; present, it must be a string (not null), as the schema says.</summary>
    static string? OptionalString(JsonElement obj, string field, string parent = "")
    {
        if (!obj.TryGetProperty(field, out JsonElement e)) return null;
        Expect(e, JsonValueKind.String, Join(parent, field));
        return e.GetString();
    }

    static int Count(JsonElement obj, string field, string parent, int max)
    {
        string path = Join(parent, field);
        JsonElement e = Required(obj, field, parent);
        Expect(e, JsonValueKind.Number, path);
        if (!e.TryGetDouble(out double d) || d != Math.Floor(d))
            throw new NetworkFormatException(path, $"expected a whole number, got {e.GetRawText()}");
        Validation.CheckCount(path, d > long.MaxValue ? long.MaxValue : (long)d, 1, max);
        return (int)d;
    }

    static double Number(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.String && e.GetString() is "NaN" or "Infinity" or "-Infinity" or "+Infinity")
            throw new NetworkFormatException(path, $"{e.GetString()} is not allowed");
        Expect(e, JsonValueKind.Number, path);
        double v = e.GetDouble();   // a literal beyond ±1.8e308 reads as ±Infinity
        Validation.CheckFinite(path, v);
        return v;
    }

    static double[] Vector(JsonElement e, string path, int length, string lengthName)
    {
        Expect(e, JsonValueKind.Array, path);
        if (e.GetArrayLength() != length)
            throw new NetworkFormatException(path, $"expected {length} numbers ({lengthName}), got {e.GetArrayLength()}");
        var v = new double[length];
        int i = 0;
        foreach (JsonElement item in e.EnumerateArray()) { v[i] = Number(item, $"{path}[{i}]"); i++; }
        return v;
    }

    static double[,] Matrix(JsonElement e, string path, int rows, int cols, string rowsName, string colsName)
    {
        Expect(e, JsonValueKind.Array, path);
        if (e.GetArrayLength() != rows)
            throw new NetworkFormatException(path, $"expected {rows} rows ({rowsName}), got {e.GetArrayLength()}");
        var m = new double[rows, cols];
        int j = 0;
        foreach (JsonElement row in e.EnumerateArray())
        {
            double[] r = Vector(row, $"{path}[{j}]", cols, colsName);
            for (int i = 0; i < cols; i++) m[j, i] = r[i];
            j++;
        }
        return m;
    }

    static double[][] Rows(JsonElement e, string path, int cols, string colsName)
    {
        Expect(e, JsonValueKind.Array, path);
        if (e.GetArrayLength() == 0) throw new NetworkFormatException(path, "the batch is empty: at least one example is needed");
        Validation.CheckCount(path, e.GetArrayLength(), 1, Validation.MaxBatch, "examples");
        var rows = new double[e.GetArrayLength()][];
        int n = 0;
        foreach (JsonElement row in e.EnumerateArray()) { rows[n] = Vector(row, $"{path}[{n}]", cols, colsName); n++; }
        return rows;
    }

    static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
