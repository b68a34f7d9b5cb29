using System.Text.Json.Nodes;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Cli;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>Fields the format does not define are refused, naming the path and the nearest known name,
/// as golden/network.schema.json's additionalProperties: false says.</summary>
public class StrictDocumentTests
{
    static string With(Action<JsonObject> change)
    {
        JsonObject doc = JsonNode.Parse(Examples.Text("002"))!.AsObject();
        change(doc);
        return doc.ToJsonString();
    }

    static NetworkFormatException Refused(string json) => Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(json));

    [Fact]
    public void A_misspelt_bias_is_refused_instead_of_silently_making_a_network_without_biases()
    {
        string json = With(d =>
        {
            JsonObject layer = d["layers"]![0]!.AsObject();
            layer.Remove("bias");
            layer.Remove("biases");
            layer["bais"] = "trainable";
        });
        NetworkFormatException e = Refused(json);
        Assert.Equal("layers[0].bais", e.Path);
        Assert.Contains("unknown field \"bais\"; did you mean \"bias\"?", e.Message);
        Assert.Contains("units, activation, bias, weights, biases", e.Message);
    }

    [Theory]
    [InlineData("learningrate", "learningRate")]
    [InlineData("los", "loss")]
    [InlineData("layer", "layers")]
    [InlineData("input", "inputs")]
    public void A_misspelt_top_level_field_names_the_nearest_known_one(string typo, string meant)
    {
        NetworkFormatException e = Refused(With(d => d[typo] = 1));
        Assert.Equal(typo, e.Path);
        Assert.Contains($"did you mean \"{meant}\"?", e.Message);
    }

    [Fact]
    public void A_misspelt_batch_field_is_refused_with_its_path()
    {
        NetworkFormatException e = Refused(With(d => d["batch"]!["target"] = new JsonArray()));
        Assert.Equal("batch.target", e.Path);
        Assert.Contains("did you mean \"targets\"?", e.Message);
    }

    [Fact]
    public void A_field_far_from_every_known_name_is_refused_with_the_list_of_fields()
    {
        NetworkFormatException e = Refused(With(d => d["comment"] = "made by hand"));
        Assert.Equal("comment", e.Path);
        Assert.DoesNotContain("did you mean", e.Message);
        Assert.Contains("The fields of a network document are format, name, source, inputs, layers, loss, learningRate, batch", e.Message);
    }

    [Fact]
    public void A_name_that_is_not_an_identifier_is_reported_at_its_object()
    {
        NetworkFormatException e = Refused(With(d => d["layers"]![1]!["we ights"] = 1));
        Assert.Equal("layers[1]", e.Path);
        Assert.Contains("unknown field \"we ights\"; did you mean \"weights\"?", e.Message);
    }

    [Fact]
    public void A_field_given_twice_is_refused()
    {
        string json = Examples.Text("002").Replace("\"loss\": \"half-sse\"", "\"loss\": \"half-sse\", \"loss\": \"half-mse\"");
        Assert.Contains("\"loss\": \"half-mse\"", json);
        NetworkFormatException e = Refused(json);
        Assert.Equal("loss", e.Path);
        Assert.Contains("appears more than once", e.Message);
    }

    [Fact]
    public void The_trace_command_refuses_the_misspelt_document_naming_the_file_and_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bais-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, With(d => d["layers"]![0]!["bais"] = "frozen"));
        try
        {
            var (exit, stdout, stderr) = CommandLineTests.Cli("trace", path);
            Assert.Equal(2, exit);
            Assert.Equal("", stdout);
            Assert.Contains($"{path}: layers[0].bais: unknown field \"bais\"; did you mean \"bias\"?", stderr);
        }
        finally { File.Delete(path); }
    }
}

/// <summary>Valid documents whose computation leaves the doubles: refused with where it happened,
/// never with a serializer's message or a complaint about a weight the document does not have.</summary>
public class OverflowTests
{
    /// <summary>One identity layer of one unit: out = w0·x0 + w1·x1.</summary>
    static string Network(double w0, double w1, double x0, double x1, double learningRate = 0.5, double target = 0)
    {
        static string R(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return "{\"format\":\"backprop-spec/network@1\",\"inputs\":2,"
             + $"\"layers\":[{{\"units\":1,\"activation\":\"identity\",\"weights\":[[{R(w0)}, {R(w1)}]]}}],"
             + $"\"loss\":\"half-sse\",\"learningRate\":{R(learningRate)},"
             + $"\"batch\":{{\"inputs\":[[{R(x0)}, {R(x1)}]],\"targets\":[[{R(target)}]]}}}}";
    }

    static (int Exit, string Stdout, string Stderr) Trace(string json, bool asJson)
    {
        string path = Path.Combine(Path.GetTempPath(), $"overflow-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try { return CommandLineTests.Cli(asJson ? ["trace", path, "--json"] : ["trace", path]); }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_forward_pass_that_overflows_names_the_layer_unit_and_example(bool asJson)
    {
        var (exit, stdout, stderr) = Trace(Network(0.1, 1e308, 1, 1e308), asJson);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("the forward pass overflows at layer 0, unit 0, example 0: net = Infinity", stderr);
        Assert.DoesNotContain("NaN is not allowed", stderr);             // not about weight 0.1
        Assert.DoesNotContain("cannot be written as valid JSON", stderr); // not the serializer's words
    }

    [Fact]
    public void The_library_step_names_the_forward_overflow_too()
    {
        Network n = NetworkJson.Parse(Network(0.1, 1e308, 1, 1e308));
        var e = Assert.Throws<NumericOverflowException>(() => Train.Step(n));
        Assert.Equal("examples[0].layers[0].net[0]", e.Where);
    }

    [Fact]
    public void A_step_that_overflows_names_the_updated_weight()
    {
        // out = 1e154, dE/dw0 = out·x0 = 1e154: finite; w0 − 1e200·1e154 is not
        Network n = NetworkJson.Parse(Network(1e154, 0, 1, 0, learningRate: 1e200));
        var e = Assert.Throws<NumericOverflowException>(() => Train.Step(n));
        Assert.Equal("updated.layers[0].weights[0][0]", e.Where);
        Assert.Contains("the step overflows at layer 0, unit 0", e.Message);
        var (exit, _, stderr) = Trace(Network(1e154, 0, 1, 0, learningRate: 1e200), asJson: true);
        Assert.Equal(2, exit);
        Assert.Contains("the step overflows at layer 0, unit 0: the updated weights[0][0]", stderr);
    }

    [Fact]
    public void A_step_that_overflows_a_trainable_bias_names_the_bias()
    {
        // o = 0, t = 1e150: E = 5e299 and dE/db = -1e150 are finite; b + 1e200 * 1e150 is not
        Network n = NetworkJson.Parse("""
            {"format":"backprop-spec/network@1","inputs":1,
             "layers":[{"units":1,"activation":"identity","bias":"trainable","weights":[[0]],"biases":[0]}],
             "loss":"half-sse","learningRate":1e200,"batch":{"inputs":[[0]],"targets":[[1e150]]}}
            """);
        var e = Assert.Throws<NumericOverflowException>(() => Train.Step(n));
        Assert.Equal("updated.layers[0].biases[0]", e.Where);
        Assert.Contains("the updated biases[0] = 0 - 1E+200 * -1E+150 = Infinity", e.Message);
    }

    [Fact]
    public void A_loss_that_overflows_with_finite_outputs_says_so()
    {
        // out = 1e300 is finite; ½(0 − 1e300)² is not
        var (exit, _, stderr) = Trace(Network(1e300, 0, 1, 0), asJson: true);
        Assert.Equal(2, exit);
        Assert.Contains("overflows in the loss: E = Infinity", stderr);
        Assert.Contains("output 0 of example 0", stderr);
    }
}
