using System.Text.Json.Nodes;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>
/// Every kind of bad input is refused with a message naming the field and position, through the
/// JSON reader and through the library API alike, and nothing else is thrown.
/// </summary>
public class ValidationTests
{
    const string Valid = """
        {
          "format": "backprop-spec/network@1",
          "inputs": 2,
          "layers": [
            { "units": 2, "activation": "sigmoid", "bias": "trainable", "weights": [[0.15, 0.2], [0.25, 0.3]], "biases": [0.35, 0.35] },
            { "units": 2, "activation": "sigmoid", "bias": "none", "weights": [[0.4, 0.45], [0.5, 0.55]] }
          ],
          "loss": "half-sse",
          "learningRate": 0.5,
          "batch": { "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]] }
        }
        """;

    static string Mutate(Action<JsonObject> change)
    {
        var doc = JsonNode.Parse(Valid)!.AsObject();
        change(doc);
        return doc.ToJsonString();
    }

    static NetworkFormatException Refused(string json) => Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(json));

    static JsonObject Layer(JsonObject d, int l) => d["layers"]![l]!.AsObject();

    [Fact]
    public void The_valid_document_reads_and_writes_back_unchanged()
    {
        Network n = NetworkJson.Parse(Valid);
        Assert.Equal(2, n.Layers.Count);
        Assert.Equal(0.25, n.Layers[0].W[1, 0]);                       // weights[j][i] is W[j, i]
        string written = NetworkJson.Write(n);
        Assert.Equal(written, NetworkJson.Write(NetworkJson.Parse(written)));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Valid)!["layers"], JsonNode.Parse(written)!["layers"]));
    }

    [Theory]
    [InlineData("{\"format\": ", "(document): malformed JSON at line 1")]
    [InlineData("[1, 2", "(document): malformed JSON")]
    [InlineData("", "(document): malformed JSON")]
    [InlineData("42", "(document): expected an object, got a number")]
    public void Malformed_json_is_refused_with_its_position(string json, string expected)
    {
        Assert.StartsWith(expected, Refused(json).Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_as_malformed_json()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.StartsWith("(document): malformed JSON", Refused(deep).Message);
    }

    public static TheoryData<string, Action<JsonObject>> BadDocuments => new()
    {
        { "format: expected \"backprop-spec/network@1\", got \"v0\"", d => d["format"] = "v0" },
        { "layers[1].activation: unknown activation \"swish\"; expected one of identity, sigmoid, tanh, relu, softmax", d => Layer(d, 1)["activation"] = "swish" },
        { "loss: unknown loss \"hinge\"; expected one of half-sse, half-mse, binary-cross-entropy, softmax-cross-entropy", d => d["loss"] = "hinge" },
        { "layers[1].weights[0]: expected 2 numbers (units of layer 0), got 3", d => Layer(d, 1)["weights"]![0]!.AsArray().Add(0.1) },
        { "layers[0].weights: expected 2 rows (units of layer 0), got 1", d => Layer(d, 0)["weights"]!.AsArray().RemoveAt(1) },
        { "layers[0].weights[1]: expected 2 numbers (inputs), got 1", d => Layer(d, 0)["weights"]![1]!.AsArray().RemoveAt(1) },
        { "layers[0].biases: expected 2 numbers (units of layer 0), got 1", d => Layer(d, 0)["biases"]!.AsArray().RemoveAt(1) },
        { "layers[1].biases: must be absent when bias is 'none'", d => Layer(d, 1)["biases"] = new JsonArray(0.1, 0.2) },
        { "batch.inputs[0]: expected 2 numbers (inputs), got 3", d => d["batch"]!["inputs"]![0]!.AsArray().Add(1.0) },
        { "batch.targets[0]: expected 2 numbers (units of the output layer), got 1", d => d["batch"]!["targets"]![0]!.AsArray().RemoveAt(0) },
        { "batch.targets: expected 1 rows (one per example of batch.inputs), got 2", d => d["batch"]!["targets"]!.AsArray().Add(new JsonArray(0.1, 0.2)) },
        { "layers[0].weights[0][1]: NaN is not allowed", d => Layer(d, 0)["weights"]![0]![1] = "NaN" },
        { "batch.inputs[0][0]: Infinity is not allowed", d => d["batch"]!["inputs"]![0]![0] = "Infinity" },
        { "learningRate: -Infinity is not allowed", d => d["learningRate"] = "-Infinity" },
        { "layers: the network is empty: at least one layer is needed", d => d["layers"] = new JsonArray() },
        { "batch.inputs: the batch is empty: at least one example is needed", d => d["batch"]!["inputs"] = new JsonArray() },
        { "layers[0].activation: softmax is only allowed on the output layer (layer 1), not layer 0", d => Layer(d, 0)["activation"] = "softmax" },
        { "loss: binary-cross-entropy needs a sigmoid output layer, but layers[1].activation is relu", d => { d["loss"] = "binary-cross-entropy"; Layer(d, 1)["activation"] = "relu"; } },
        { "batch.targets[0][1]: 1.5 is outside [0, 1], as binary-cross-entropy needs", d => { d["loss"] = "binary-cross-entropy"; d["batch"]!["targets"]![0]![1] = 1.5; } },
        { "batch.targets[0][0]: -0.01 is outside [0, 1], as softmax-cross-entropy needs", d => { d["loss"] = "softmax-cross-entropy"; Layer(d, 1)["activation"] = "softmax"; d["batch"]!["targets"]![0]![0] = -0.01; } },
        { "batch.targets[0]: sums to 1.00000000000000", d => { d["loss"] = "softmax-cross-entropy"; Layer(d, 1)["activation"] = "softmax"; d["batch"]!["targets"] = new JsonArray(new JsonArray(0.5, 0.5000000000000011)); } },
        { "layers[0].units: 1000000000 is more than the 65536 this tool accepts", d => Layer(d, 0)["units"] = 1_000_000_000 },
        { "inputs: must be at least 1, got 0", d => d["inputs"] = 0 },
        { "layers[0].units: expected a whole number, got 1.5", d => Layer(d, 0)["units"] = 1.5 },
        { "learningRate: must be at least 0, got -0.5", d => d["learningRate"] = -0.5 },
        { "layers[0].bias: unknown bias mode \"sometimes\"; expected one of none, trainable, frozen", d => Layer(d, 0)["bias"] = "sometimes" },
        { "batch.inputs[0][1]: expected a number, got a string", d => d["batch"]!["inputs"]![0]![1] = "0.1" },
        { "layers[1]: expected an object, got an array", d => d["layers"]![1] = new JsonArray() },
        { "batch: missing", d => d.Remove("batch") },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void Bad_documents_are_refused_naming_field_and_position(string expected, Action<JsonObject> change)
    {
        Assert.StartsWith(expected, Refused(Mutate(change)).Message);
    }

    // ---- the same rules through the library API, with the same messages ----

    static Layer Hidden(double[,]? w = null, Activation f = Activation.Sigmoid) =>
        new(f, w ?? new[,] { { 0.15, 0.2 }, { 0.25, 0.3 } }, [0.35, 0.35], BiasMode.Trainable);

    static Layer Output(Activation f = Activation.Sigmoid, double[,]? w = null) =>
        new(f, w ?? new[,] { { 0.4, 0.45 }, { 0.5, 0.55 } }, null, BiasMode.None);

    static Network Create(Layer[]? layers = null, LossKind loss = LossKind.HalfSse, double[][]? x = null, double[][]? t = null, double eta = 0.5) =>
        Network.Create(2, layers ?? [Hidden(), Output()], loss, eta, x ?? [[0.05, 0.1]], t ?? [[0.01, 0.99]]);

    public static TheoryData<string, Func<Network>> BadApiCalls => new()
    {
        { "layers[1].weights: expected 2 columns (units of layer 0), got 3", () => Create([Hidden(), Output(w: new double[2, 3])]) },
        { "layers[0].weights[0][1]: NaN is not allowed", () => Create([Hidden(new[,] { { 0.1, double.NaN }, { 0, 0 } }), Output()]) },
        { "batch.inputs[0]: expected 2 numbers (inputs), got 3", () => Create(x: [[1, 2, 3]]) },
        { "batch.targets[0]: expected 2 numbers (units of the output layer), got 1", () => Create(t: [[1]]) },
        { "batch.inputs[0][0]: Infinity is not allowed", () => Create(x: [[double.PositiveInfinity, 0]]) },
        { "layers: the network is empty: at least one layer is needed", () => Create([]) },
        { "layers[0].activation: softmax is only allowed on the output layer (layer 1), not layer 0", () => Create([Hidden(f: Activation.Softmax), Output()]) },
        { "loss: binary-cross-entropy needs a sigmoid output layer, but layers[1].activation is relu", () => Create([Hidden(), Output(Activation.Relu)], LossKind.BinaryCrossEntropy) },
        { "batch.targets[0][1]: 1.5 is outside [0, 1], as binary-cross-entropy needs", () => Create(loss: LossKind.BinaryCrossEntropy, t: [[0.5, 1.5]]) },
        { "layers[1].activation: unknown activation 42", () => Create([Hidden(), Output((Activation)42)]) },
        { "loss: unknown loss 9", () => Create(loss: (LossKind)9) },
        { "learningRate: NaN is not allowed", () => Create(eta: double.NaN) },
        { "batch.inputs: the batch is empty: at least one example is needed", () => Create(x: [], t: []) },
    };

    [Theory]
    [MemberData(nameof(BadApiCalls))]
    public void Bad_api_calls_throw_argument_exceptions_with_the_same_messages(string expected, Func<Network> create)
    {
        ArgumentException e = Assert.Throws<NetworkFormatException>(create);
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Json_and_api_give_the_same_message_for_the_same_fault()
    {
        string fromJson = Refused(Mutate(d => Layer(d, 0)["weights"]![0]![1] = "NaN")).Message;
        string fromApi = Assert.Throws<NetworkFormatException>(() => Create([Hidden(new[,] { { 0.15, double.NaN }, { 0.25, 0.3 } }), Output()])).Message;
        Assert.Equal(fromJson, fromApi);
    }
}
