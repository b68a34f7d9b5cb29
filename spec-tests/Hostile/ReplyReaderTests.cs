using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>
/// The words of every refusal of a reply, field by field, on one small network: what an implementer
/// reads when `check` stops with PROTOCOL ERROR. <see cref="HostileReplyTests"/> checks that damaged
/// replies are refused with the right kind; these pin where the refusal points and what it says, one
/// field and one damage per case, read exactly as the live client reads (<see cref="ProcessBackprop.ReadReply"/>).
/// The network: 2 inputs, a tanh layer of 2 units with trainable biases, an identity layer of 1 unit
/// with no bias, a batch of 2.
/// </summary>
public class ReplyReaderTests
{
    const long Id = 7;

    static readonly Network Net = Network.Create(2,
        [
            new Layer(Activation.Tanh, new[,] { { 0.5, -0.5 }, { 0.25, 0.75 } }, [0.1, -0.1], BiasMode.Trainable),
            new Layer(Activation.Identity, new[,] { { 1.0, -1.0 } }, null, BiasMode.None),
        ],
        LossKind.HalfSse, 0.1, [[1, 2], [3, 4]], [[0.5], [0.25]]);

    const string Outputs = "[[0.5],[0.25]]";
    const string Layer0 = """{"weights":[[1,2],[3,4]],"biases":[5,6]}""";
    const string Layer1 = """{"weights":[[7,8]],"biases":null}""";
    const string Layers = $"[{Layer0},{Layer1}]";

    static string GradientsReply(string outputs = Outputs, string loss = "0.125", string gradients = Layers) =>
        $$"""{"id":7,"ok":true,"outputs":{{outputs}},"loss":{{loss}},"gradients":{{gradients}}}""";

    static ProtocolException Refused(string op, string line)
    {
        var e = Assert.Throws<ProtocolException>(() => ProcessBackprop.ReadReply(op, line, Id, Net));
        Assert.Equal(op, e.Op);
        Assert.Equal(Id, e.Id);
        return e;
    }

    static void RefusedAs(string op, string line, ProtocolFailure kind, string where, string problem)
    {
        ProtocolException e = Refused(op, line);
        Assert.Equal($"the reply to `{op}` (id 7): {where}: {problem}", e.Message);
        Assert.Equal(kind, e.Kind);
    }

    [Fact]
    public void A_right_gradients_reply_reads_every_number_where_it_belongs()
    {
        var g = (Gradients)ProcessBackprop.ReadReply("gradients", GradientsReply(), Id, Net);
        Assert.Equal([[0.5], [0.25]], g.Outputs);
        Assert.Equal(0.125, g.Loss);
        Assert.Equal(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } }, g.dE_dW[0]);
        Assert.Equal(new[,] { { 7.0, 8.0 } }, g.dE_dW[1]);
        Assert.Equal([5.0, 6.0], g.dE_db[0]!);
        Assert.Null(g.dE_db[1]);
    }

    [Fact]
    public void Biases_left_out_of_a_layer_without_bias_read_as_none()
    {
        var g = (Gradients)ProcessBackprop.ReadReply("gradients", GradientsReply(gradients: $$"""[{{Layer0}},{"weights":[[7,8]]}]"""), Id, Net);
        Assert.Null(g.dE_db[1]);
    }

    [Fact]
    public void A_forward_reply_reads_outputs_and_loss_and_ignores_other_fields()
    {
        var e = (Evaluation)ProcessBackprop.ReadReply("forward", """{"id":7,"ok":true,"outputs":[[1],[2]],"loss":3,"gradients":"not read"}""", Id, Net);
        Assert.Equal([[1.0], [2.0]], e.Outputs);
        Assert.Equal(3, e.Loss);
    }

    [Fact]
    public void A_step_reply_reads_the_layers()
    {
        var p = (Parameters)ProcessBackprop.ReadReply("step", $$"""{"id":7,"ok":true,"layers":{{Layers}}}""", Id, Net);
        Assert.Equal(new[,] { { 7.0, 8.0 } }, p.W[1]);
        Assert.Equal([5.0, 6.0], p.B[0]!);
    }

    // ---------------------------------------------------------------- outputs

    [Fact]
    public void Outputs_missing_are_named() =>
        RefusedAs("gradients", """{"id":7,"ok":true,"loss":1,"gradients":[]}""", ProtocolFailure.WrongShape, "outputs", "missing");

    [Theory]
    [InlineData("""{"a":1}""", "outputs", "expected an array of 2 (one row per example of the batch), got an object")]
    [InlineData("[[1]]", "outputs", "expected 2 entries (one row per example of the batch), got 1")]
    [InlineData("[[1],5]", "outputs[1]", "expected an array of 1 numbers (units of the output layer), got the number 5")]
    [InlineData("[[1],[1,2]]", "outputs[1]", "expected 1 numbers (units of the output layer), got 2")]
    [InlineData("""[[1],["abc"]]""", "outputs[1][0]", "expected a number, got the string \"abc\"")]
    [InlineData("[[1],[true]]", "outputs[1][0]", "expected a number, got true")]
    [InlineData("[[false],[1]]", "outputs[0][0]", "expected a number, got false")]
    [InlineData("[[1],[[]]]", "outputs[1][0]", "expected a number, got an array of 0")]
    public void Outputs_of_the_wrong_shape_say_where_and_what_came(string outputs, string where, string problem) =>
        RefusedAs("gradients", GradientsReply(outputs: outputs), ProtocolFailure.WrongShape, where, problem);

    // ---------------------------------------------------------------- numbers that are not finite

    [Theory]
    [InlineData("\"NaN\"", "NaN is not a finite number")]
    [InlineData("\"Infinity\"", "Infinity is not a finite number")]
    [InlineData("\"-Infinity\"", "-Infinity is not a finite number")]
    [InlineData("\"+Infinity\"", "+Infinity is not a finite number")]
    [InlineData("null", "null where a number belongs (JavaScript's JSON.stringify writes NaN and Infinity as null)")]
    [InlineData("1e400", "1e400 overflows a double")]
    [InlineData("-1e400", "-1e400 overflows a double")]
    public void A_loss_that_is_not_finite_is_non_finite_and_says_what_it_was(string loss, string problem) =>
        RefusedAs("gradients", GradientsReply(loss: loss), ProtocolFailure.NonFinite, "loss", problem);

    /// <summary>Only the four spellings of a non-finite number are non-finite; any other string is the wrong shape.</summary>
    [Theory]
    [InlineData("\"nan\"")]
    [InlineData("\"1.5\"")]
    [InlineData("\"\"")]
    public void A_loss_that_is_another_string_is_the_wrong_shape(string loss) =>
        RefusedAs("gradients", GradientsReply(loss: loss), ProtocolFailure.WrongShape, "loss", $"expected a number, got the string {loss}");

    /// <summary>A literal is shown whole up to 40 characters, and cut at 40 with an ellipsis beyond.</summary>
    [Fact]
    public void A_long_literal_is_shown_up_to_40_characters()
    {
        string forty = "1" + new string('0', 35) + "e400", fortyOne = "1" + new string('0', 36) + "e400";
        Assert.Equal(40, forty.Length);
        RefusedAs("gradients", GradientsReply(loss: forty), ProtocolFailure.NonFinite, "loss", $"{forty} overflows a double");
        RefusedAs("gradients", GradientsReply(loss: fortyOne), ProtocolFailure.NonFinite, "loss", $"{fortyOne[..40]}… overflows a double");
        string longString = "\"" + new string('x', 50) + "\"";
        RefusedAs("gradients", GradientsReply(loss: longString), ProtocolFailure.WrongShape, "loss", $"expected a number, got the string {longString[..40]}…");
    }

    [Fact]
    public void A_non_finite_entry_deep_in_the_gradients_is_named_by_its_path() =>
        RefusedAs("gradients", GradientsReply(gradients: $$"""[{"weights":[[1,2],[3,"Infinity"]],"biases":[5,6]},{{Layer1}}]"""),
                  ProtocolFailure.NonFinite, "gradients[0].weights[1][1]", "Infinity is not a finite number");

    // ---------------------------------------------------------------- the loss and the layer list

    [Theory]
    [InlineData("[1,2]", "an array of 2")]
    [InlineData("{}", "an object")]
    public void A_loss_that_is_not_a_number_is_the_wrong_shape(string loss, string got) =>
        RefusedAs("gradients", GradientsReply(loss: loss), ProtocolFailure.WrongShape, "loss", $"expected a number, got {got}");

    [Fact]
    public void A_loss_missing_is_named() =>
        RefusedAs("forward", $$"""{"id":7,"ok":true,"outputs":{{Outputs}}}""", ProtocolFailure.WrongShape, "loss", "missing");

    [Fact]
    public void Gradients_missing_are_named() =>
        RefusedAs("gradients", $$"""{"id":7,"ok":true,"outputs":{{Outputs}},"loss":1}""", ProtocolFailure.WrongShape, "gradients", "missing");

    [Fact]
    public void Layers_of_a_step_missing_are_named() =>
        RefusedAs("step", """{"id":7,"ok":true,"gradients":[]}""", ProtocolFailure.WrongShape, "layers", "missing");

    [Theory]
    [InlineData("3", "gradients", "expected an array of 2 (one entry per layer), got the number 3")]
    [InlineData($"[{Layer0}]", "gradients", "expected 2 entries (one entry per layer), got 1")]
    [InlineData($"[5,{Layer1}]", "gradients[0]", "expected an object with weights and biases, got the number 5")]
    [InlineData($$"""[{"biases":[5,6]},{{Layer1}}]""", "gradients[0].weights", "missing")]
    [InlineData($$"""[{"weights":[[1,2]],"biases":[5,6]},{{Layer1}}]""", "gradients[0].weights", "expected 2 entries (units of layer 0), got 1")]
    [InlineData($$"""[{{Layer0}},{"weights":null}]""", "gradients[1].weights", "expected an array of 1 (units of layer 1), got null")]
    [InlineData($$"""[{"weights":[[1,2],[3,4,5]],"biases":[5,6]},{{Layer1}}]""", "gradients[0].weights[1]", "expected 2 numbers (inputs), got 3")]
    [InlineData($$"""[{"weights":[[1,2],{}],"biases":[5,6]},{{Layer1}}]""", "gradients[0].weights[1]", "expected an array of 2 numbers (inputs), got an object")]
    [InlineData($$"""[{{Layer0}},{"weights":[[7]]}]""", "gradients[1].weights[0]", "expected 2 numbers (units of layer 0), got 1")]
    [InlineData($$"""[{{Layer0}},{"weights":[[7,8]],"biases":[1]}]""", "gradients[1].biases", "expected null (layer 1 has bias: none), got an array of 1")]
    [InlineData($$"""[{"weights":[[1,2],[3,4]]},{{Layer1}}]""", "gradients[0].biases", "missing or null, but layer 0 has bias: trainable")]
    [InlineData($$"""[{"weights":[[1,2],[3,4]],"biases":null},{{Layer1}}]""", "gradients[0].biases", "missing or null, but layer 0 has bias: trainable")]
    [InlineData($$"""[{"weights":[[1,2],[3,4]],"biases":[5]},{{Layer1}}]""", "gradients[0].biases", "expected 2 numbers (units of layer 0), got 1")]
    [InlineData($$"""[{"weights":[[1,2],[3,4]],"biases":"b"},{{Layer1}}]""", "gradients[0].biases", "expected an array of 2 numbers (units of layer 0), got the string \"b\"")]
    public void Gradients_of_the_wrong_shape_say_which_layer_and_field(string gradients, string where, string problem) =>
        RefusedAs("gradients", GradientsReply(gradients: gradients), ProtocolFailure.WrongShape, where, problem);

    [Fact]
    public void A_step_reply_of_the_wrong_shape_is_named_under_layers() =>
        RefusedAs("step", $$"""{"id":7,"ok":true,"layers":[{{Layer0}},{"weights":[[7,8]],"biases":[1]}]}""",
                  ProtocolFailure.WrongShape, "layers[1].biases", "expected null (layer 1 has bias: none), got an array of 1");

    // ---------------------------------------------------------------- bare NaN and Infinity (not JSON)

    /// <summary>A bare NaN is not JSON, but where it stands in a field the op reads, that field is named;
    /// each op reads its own fields only (forward: outputs and loss; gradients: those and the gradients;
    /// step: the layers).</summary>
    [Theory]
    [InlineData("forward", """{"id":7,"ok":true,"outputs":[[1],[2]],"loss":NaN}""", "loss", "NaN is not a finite number")]
    [InlineData("forward", """{"id":7,"ok":true,"outputs":[[1],[-Infinity]],"loss":1}""", "outputs[1][0]", "-Infinity is not a finite number")]
    [InlineData("gradients", """{"id":7,"ok":true,"outputs":[[1],[2]],"loss":NaN,"gradients":[]}""", "loss", "NaN is not a finite number")]
    [InlineData("gradients", $$"""{"id":7,"ok":true,"outputs":[[1],[2]],"loss":1,"gradients":[{"weights":[[1,2],[3,4]],"biases":[5,nan]},{{Layer1}}]}""", "gradients[0].biases[1]", "NaN is not a finite number")]
    [InlineData("step", $$"""{"id":7,"ok":true,"layers":[{{Layer0}},{"weights":[[Infinity,8]]}]}""", "layers[1].weights[0][0]", "Infinity is not a finite number")]
    public void A_bare_non_finite_token_in_a_field_the_op_reads_names_the_field(string op, string line, string where, string problem) =>
        RefusedAs(op, line, ProtocolFailure.NonFinite, where, problem);

    /// <summary>Outside the fields the op reads, the whole line is refused as not JSON: forward does not
    /// read gradients, gradients does not read layers, step reads neither outputs nor loss.</summary>
    [Theory]
    [InlineData("forward", """{"id":7,"ok":true,"outputs":[[1],[2]],"loss":1,"gradients":[NaN]}""")]
    [InlineData("gradients", $$"""{"id":7,"ok":true,"outputs":[[1],[2]],"loss":1,"gradients":{{Layers}},"layers":[NaN]}""")]
    [InlineData("step", $$"""{"id":7,"ok":true,"layers":{{Layers}},"loss":NaN}""")]
    public void A_bare_non_finite_token_elsewhere_refuses_the_line_as_not_json(string op, string line)
    {
        ProtocolException e = Refused(op, line);
        Assert.Equal(ProtocolFailure.NonFinite, e.Kind);
        Assert.Equal($"replied to `{op}` (id 7) with a bare NaN or Infinity, which is not JSON: {line}", e.Message);
    }
}
