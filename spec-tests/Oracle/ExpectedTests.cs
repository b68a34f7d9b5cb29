using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// Expected.Of on networks small enough to work out by hand, and Expected.Check against an
/// implementation whose answers are planted: each wrong answer, wrong shape or exception must come
/// back as one finding naming the quantity, never as a crash of the check.
/// </summary>
public class ExpectedTests
{
    /// <summary>An implementation that answers as the reference does, unless told otherwise.</summary>
    sealed class Planted : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        public string Name => "planted";
        public Func<Evaluation, Evaluation> OnForward { get; init; } = e => e;
        public Func<Gradients, Gradients> OnGradients { get; init; } = g => g;
        public Func<Parameters, Parameters> OnStep { get; init; } = p => p;
        public Evaluation Forward(Network n) => OnForward(reference.Forward(n));
        public Gradients Gradients(Network n) => OnGradients(reference.Gradients(n));
        public Parameters Step(Network n) => OnStep(reference.Step(n));
    }

    /// <summary>One identity unit, m = 1, ½SSE: o = w·x + b, ∂E/∂w = (o − t)·x, ∂E/∂b = o − t.</summary>
    static Network Unit(double w, double x, double b, double t, double eta = 0.5, BiasMode bias = BiasMode.Trainable) =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { w } }, bias == BiasMode.None ? null : [b], bias)],
            LossKind.HalfSse, eta, [[x]], [[t]]);

    /// <summary>Two examples, one identity unit with a bias: m = 2 rows of 1 output.</summary>
    static Network TwoExamples(BiasMode bias = BiasMode.Trainable) =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, bias == BiasMode.None ? null : [0.25], bias)],
            LossKind.HalfSse, 0.5, [[1.0], [2.0]], [[0.0], [1.0]]);

    /// <summary>w = 0.5, x = 2, b = 0.25, t = 0, η = 0.5: every value a short binary fraction, so exact
    /// in float32 too. o = 1.25, E = 1.25²/2 = 0.78125, ∂E/∂w = 2.5, ∂E/∂b = 1.25,
    /// stepped w = 0.5 − 1.25 = −0.75, stepped b = 0.25 − 0.625 = −0.375.</summary>
    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void A_unit_with_short_binary_values_has_its_answers_worked_out_by_hand(Precision precision)
    {
        Expected e = Expected.Of(Unit(0.5, 2, 0.25, 0), precision);
        Assert.Equal(1.25, e.Outputs.Single().Single());
        Assert.Equal(0.78125, e.Loss);
        Assert.Equal(2.5, e.Gradient.W[0][0, 0]);
        Assert.Equal(1.25, e.Gradient.B[0]![0]);
        Assert.Equal(-0.75, e.Step.W[0][0, 0]);
        Assert.Equal(-0.375, e.Step.B[0]![0]);
        Assert.Empty(e.Range);
        Assert.Empty(e.Check(new Planted()));
    }

    /// <summary>b = 3·2⁻⁵⁵, w = x = 1, t = 0: the exact o = 1 + 3·2⁻⁵⁵ is no double (hi 1, lo 3·2⁻⁵⁵),
    /// and so are both exact gradients. Rounded once they are 1 (0.75 ulp of 1 lies below the half
    /// ulp 2⁻⁵³ above 1); hi − lo instead would round to 1 − 2⁻⁵³. The loss: (1 + 3·2⁻⁵⁵)²/2 =
    /// 0.5 + 0.75·2⁻⁵³ + …, nearest double 0.5 + 2⁻⁵³. The step from the rounded gradient:
    /// 1 − 0.5·1 = 0.5 and 3·2⁻⁵⁵ − 0.5 = −(0.5 − 1.5·2⁻⁵⁴), halfway between −(0.5 − 2⁻⁵⁴) and −(0.5 − 2⁻⁵³)
    /// (the doubles below 0.5 are 2⁻⁵⁴ apart): the tie goes to the even significand, −(0.5 − 2⁻⁵³).
    /// From the exact gradient instead, 3·2⁻⁵⁵ − 0.5·(1 + 3·2⁻⁵⁵) = −(0.5 − 0.75·2⁻⁵⁴) would round to −(0.5 − 2⁻⁵⁴).</summary>
    [Fact]
    public void A_gradient_that_is_no_double_is_published_rounded_once_from_its_double_double()
    {
        double b = 3 * Math.ScaleB(1, -55);
        Expected e = Expected.Of(Unit(1, 1, b, 0));
        Assert.Equal(1.0, e.Gradient.W[0][0, 0]);
        Assert.Equal(1.0, e.Gradient.B[0]![0]);
        Assert.Equal(0.5 + Math.ScaleB(1, -53), e.Loss);
        Assert.Equal(0.5, e.Step.W[0][0, 0]);
        Assert.Equal(-(0.5 - Math.ScaleB(1, -53)), e.Step.B[0]![0]);
    }

    /// <summary>W − η·g rounded once: with η = 0.1 (the double nearest 0.1) and g = 3 the product is no
    /// double; fl(W − fl(η·g)) rounds twice. FusedMultiplyAdd computes −η·g + W exactly and rounds
    /// once, which is what the step must publish. At W = 0.5 the two roundings differ (from 1 upwards they agree for a long way: W − fl(η·g) is then a tie or exact, which the search this replaces never left).</summary>
    [Fact]
    public void The_step_rounds_w_minus_eta_g_once_where_rounding_the_product_first_would_differ()
    {
        // o = w·x + b − t with x = 1, t = 0, b = 3 − w: ∂E/∂w = ∂E/∂b = 3 exactly.
        double w = 0.5;                                                        // 0.5 − 0.3: once 0.19999999999999998, twice 0.19999999999999996
        Network n = Unit(w, 1, 3 - w, 0, eta: 0.1);
        Assert.Equal(3.0, w + (3 - w));                                        // o = 3 exactly
        Expected e = Expected.Of(n);
        Assert.Equal(3.0, e.Gradient.W[0][0, 0]);
        double once = Math.FusedMultiplyAdd(-0.1, 3, w), twice = w - 0.1 * 3;
        Assert.NotEqual(twice, once);
        Assert.Equal(once, e.Step.W[0][0, 0]);
    }

    static Finding Single(IReadOnlyList<Finding> found) => Assert.Single(found);

    [Fact]
    public void Check_names_a_wrong_output_a_wrong_loss_a_wrong_gradient_and_a_wrong_step()
    {
        Expected e = Expected.Of(TwoExamples());
        Finding f = Single(e.Check(new Planted { OnForward = v => v with { Outputs = [v.Outputs[0], [v.Outputs[1][0] + 1]] } }));
        Assert.Equal(("outputs[1][0]", Zone.Wrong), (f.Quantity, f.Zone));
        Assert.Equal(e.Outputs[1][0] + 1, f.Actual);

        f = Single(e.Check(new Planted { OnForward = v => v with { Loss = v.Loss * 2 } }));
        Assert.Equal(("loss", Zone.Wrong), (f.Quantity, f.Zone));

        f = Single(e.Check(new Planted { OnGradients = g => g with { dE_dW = [new[,] { { g.dE_dW[0][0, 0] + 1 } }] } }));
        Assert.Equal(("gradients[0].weights[0][0]", Zone.Wrong), (f.Quantity, f.Zone));

        f = Single(e.Check(new Planted { OnGradients = g => g with { dE_db = [[g.dE_db[0]![0] + 1]] } }));
        Assert.Equal(("gradients[0].biases[0]", Zone.Wrong), (f.Quantity, f.Zone));

        f = Single(e.Check(new Planted { OnStep = p => p with { B = [[p.B[0]![0] - 1]] } }));
        Assert.Equal(("step[0].biases[0]", Zone.Wrong), (f.Quantity, f.Zone));
    }

    [Fact]
    public void Check_turns_an_exception_into_a_wrong_finding_of_that_stage()
    {
        Expected e = Expected.Of(TwoExamples());
        foreach (string stage in new[] { "forward", "gradients", "step" })
        {
            Func<string, Exception> boom = s => new InvalidOperationException("boom " + s);
            var impl = new Planted
            {
                OnForward = v => stage == "forward" ? throw boom(stage) : v,
                OnGradients = g => stage == "gradients" ? throw boom(stage) : g,
                OnStep = p => stage == "step" ? throw boom(stage) : p,
            };
            Finding f = Single(e.Check(impl));
            Assert.Equal((stage, Zone.Wrong), (f.Quantity, f.Zone));
            Assert.Equal($"threw InvalidOperationException: boom {stage}", f.Note);
        }
    }

    public static TheoryData<string> BadOutputShapes => ["null", "one row", "a null row", "a long row"];

    /// <summary>Expected: 2 rows of 1. Each bad shape is one wrong-shape finding on "outputs".</summary>
    [Theory]
    [MemberData(nameof(BadOutputShapes))]
    public void Check_reports_outputs_of_the_wrong_shape_as_one_shape_finding(string bad)
    {
        Expected e = Expected.Of(TwoExamples());
        double[][] Bad(double[][] o) => bad switch
        {
            "null" => null!,
            "one row" => [o[0]],
            "a null row" => [o[0], null!],
            _ => [o[0], [o[1][0], 0]],
        };
        Finding f = Single(e.Check(new Planted { OnForward = v => v with { Outputs = Bad(v.Outputs) } }));
        Assert.Equal(("outputs", Zone.Wrong), (f.Quantity, f.Zone));
        Assert.Equal("has the wrong shape (expected 2 rows of 1)", f.Note);
    }

    public static TheoryData<string, string, string> BadParameterShapes => new()
    {
        { "W null", "gradients", "has the wrong shape (expected 1 layers)" },
        { "B null", "gradients", "has the wrong shape (expected 1 layers)" },
        { "W two layers", "gradients", "has the wrong shape (expected 1 layers)" },
        { "B two layers", "gradients", "has the wrong shape (expected 1 layers)" },
        { "W[0] null", "gradients[0].weights", "has the wrong shape (expected 1 x 1)" },
        { "W[0] 2 x 1", "gradients[0].weights", "has the wrong shape (expected 1 x 1)" },
        { "W[0] 1 x 2", "gradients[0].weights", "has the wrong shape (expected 1 x 1)" },
        { "B[0] null", "gradients[0].biases", "has the wrong shape (missing or of the wrong length, expected 1)" },
        { "B[0] long", "gradients[0].biases", "has the wrong shape (missing or of the wrong length, expected 1)" },
    };

    [Theory]
    [MemberData(nameof(BadParameterShapes))]
    public void Check_reports_gradients_of_the_wrong_shape_as_one_shape_finding(string bad, string quantity, string note)
    {
        Expected e = Expected.Of(TwoExamples());
        Gradients Bad(Gradients g) => bad switch
        {
            "W null" => g with { dE_dW = null! },
            "B null" => g with { dE_db = null! },
            "W two layers" => g with { dE_dW = [g.dE_dW[0], g.dE_dW[0]] },
            "B two layers" => g with { dE_db = [g.dE_db[0], g.dE_db[0]] },
            "W[0] null" => g with { dE_dW = [null!] },
            "W[0] 2 x 1" => g with { dE_dW = [new[,] { { g.dE_dW[0][0, 0] }, { 0 } }] },
            "W[0] 1 x 2" => g with { dE_dW = [new[,] { { g.dE_dW[0][0, 0], 0 } }] },
            "B[0] null" => g with { dE_db = [null] },
            _ => g with { dE_db = [[g.dE_db[0]![0], 0]] },
        };
        Finding f = Single(e.Check(new Planted { OnGradients = g => Bad(g) }));
        Assert.Equal((quantity, Zone.Wrong, note), (f.Quantity, f.Zone, f.Note));
    }

    [Fact]
    public void Check_reports_biases_returned_for_a_layer_without_bias()
    {
        Expected e = Expected.Of(TwoExamples(BiasMode.None));
        Finding f = Single(e.Check(new Planted { OnStep = p => p with { B = [[0.25]] } }));
        Assert.Equal(("step[0].biases", "has the wrong shape (the layer has no bias, but biases came back)"), (f.Quantity, f.Note));
    }

    /// <summary>Softmax of nets 709.5 and 709.4: the unshifted sum overflows, so Range is not empty
    /// (as in AccuracyContractTests). There a non-finite answer or an exception is the formulation's
    /// range. Where Range is empty, a NaN is wrong.</summary>
    [Fact]
    public void Check_calls_a_non_finite_answer_range_only_where_the_textbook_cannot_represent_it()
    {
        Network overflow = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 709.5 }, { 709.4 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        Expected e = Expected.Of(overflow);
        Assert.NotEmpty(e.Range);
        Finding f = Single(e.Check(new Planted { OnForward = v => v with { Outputs = [[double.NaN, v.Outputs[0][1]]] } }));
        Assert.Equal(("outputs[0][0]", Zone.Range), (f.Quantity, f.Zone));
        f = Single(e.Check(new Planted { OnStep = _ => throw new InvalidOperationException("x") }));
        Assert.Equal(("step", Zone.Range), (f.Quantity, f.Zone));

        Expected plain = Expected.Of(TwoExamples());
        Assert.Empty(plain.Range);
        f = Single(plain.Check(new Planted { OnForward = v => v with { Loss = double.NaN } }));
        Assert.Equal(("loss", Zone.Wrong), (f.Quantity, f.Zone));
    }

    /// <summary>Where the textbook cannot represent some answer (example 0's unshifted softmax overflows),
    /// a non-finite answer is range even for a quantity whose own textbook value is finite: example 1
    /// (x = 0, nets 0 and 0, outputs ½ and ½). Zones.Of alone would call that NaN wrong, its textbook
    /// bound being finite; the check stays with range, as it does for an exception on such a network.</summary>
    [Fact]
    public void A_non_finite_answer_on_a_network_out_of_the_textbook_range_is_range_even_where_that_entry_is_finite()
    {
        Network overflow = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 709.5 }, { 709.4 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.0], [0.0]], [[1.0, 0.0], [0.5, 0.5]]);
        Expected e = Expected.Of(overflow);
        Assert.NotEmpty(e.Range);
        Assert.Equal(0.5, e.Outputs[1][0]);
        Assert.True(double.IsFinite(e.Textbook.Outputs[1][0]), $"textbook bound {e.Textbook.Outputs[1][0]}");
        Finding f = Single(e.Check(new Planted { OnForward = v => v with { Outputs = [v.Outputs[0], [double.NaN, v.Outputs[1][1]]] } }));
        Assert.Equal(("outputs[1][0]", Zone.Range), (f.Quantity, f.Zone));
    }

    /// <summary>A float32 implementation's answers are read as floats: 1.25 + 1e-9 is the float 1.25
    /// and agrees; 1.25 + 1e-3 does not.</summary>
    [Fact]
    public void Float32_answers_are_judged_as_floats()
    {
        Expected e = Expected.Of(Unit(0.5, 2, 0.25, 0), Precision.Float32);
        Assert.Empty(e.Check(new Planted { OnForward = v => v with { Outputs = [[1.25 + 1e-9]] } }));
        Finding f = Single(e.Check(new Planted { OnForward = v => v with { Outputs = [[1.25 + 1e-3]] } }));
        Assert.Equal(("outputs[0][0]", Zone.Wrong), (f.Quantity, f.Zone));
    }
}
