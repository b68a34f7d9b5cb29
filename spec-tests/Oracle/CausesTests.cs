using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>
/// The causes named for an accuracy finding (Causes.cs) and the lines they print. A finding whose
/// answer equals the exact value lies within every formulation's bound, so every formulation that
/// applies to the network is named (and the library's ulps, which explain a finding only when no
/// formulation does, are dropped): that shows each cause's text and where it is placed. A finding
/// beyond every bound names the formulations that widen the bound most.
/// </summary>
public class CausesTests
{
    static string[] Explain(Network n, AnswerKind on, int index, double deviation = 0, Precision precision = Precision.Float64)
    {
        Truth truth = Truth.For(n, precision);
        double exact = on switch
        {
            AnswerKind.Loss => truth.Exact.Loss,
            AnswerKind.Output => truth.Exact.Outputs[index / n.Output.Units][index % n.Output.Units],
            _ => truth.Exact.Gradient[Math.Max(index, 0)],
        };
        var finding = new Finding(Zone.Accuracy, "q", exact + deviation, exact, 0, 0) { On = on, Index = index };
        return Causes.Explain(truth, finding).Select(c => $"{c.Key} | {c}").ToArray();
    }

    /// <summary>Sigmoid units in two layers (nets 3, −4.5 and −4, 6 in the first), binary cross-entropy:
    /// σ′ from out is placed at the largest net (6: out near 1), not the largest |net|; the loss at the
    /// output's largest logit (σ(3) + σ(−4.5) = 0.9636 against σ(−4) + σ(6) = 1.016); σ′ from
    /// exponentials at the most negative net (−4.5), where its square overflows first.</summary>
    [Fact]
    public void Sigmoid_units_under_binary_cross_entropy_name_sigma_prime_from_out_and_the_loss_from_the_probability()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Sigmoid, new[,] { { 2.0 }, { -3.0 } }, null, BiasMode.None),
                new Layer(Activation.Sigmoid, new[,] { { 1.0, 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.5], [-2.0]], [[1.0], [0.0]]);
        string[] both =
        [
            "sigmoid-derivative-from-out | sigma' computed as out*(1 - out): 1 - out cancels where out is near 1 (layers[0] unit 1, example 1, net = 6); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
            "cross-entropy-from-probabilities | binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away (output 0, example 1, z = 1.016); the standard fix: from the logit: E = softplus(z) - t*z, delta = (o - t)/m",
            "sigmoid-derivative-from-exponentials | sigma' computed as e^-net/(1 + e^-net)^2: (1 + e^-net)^2 overflows to infinity where net is very negative, and sigma' to 0 (layers[0] unit 1, example 0, net = -4.5); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
        ];
        Assert.Equal(both, Explain(n, AnswerKind.Gradient, 0));
        Assert.Equal(both, Explain(n, AnswerKind.Loss, 0));
        Assert.Equal(both, Explain(n, AnswerKind.Output, 1));
        Assert.Equal(both, Explain(n, AnswerKind.Gradient, 0, deviation: 1));   // beyond every bound: the widest
    }

    /// <summary>A tanh layer under a softmax with cross-entropy: tanh′ from out at the largest |net|
    /// (−4.5), the loss at the softmax's largest |net| (−2.995), the unshifted softmax, and tanh from
    /// exponentials at the smallest |net| (−1, the first of the nets 3, −4.5, −1, 1.5); the same
    /// causes in float32, and for a finding beyond every bound.</summary>
    [Fact]
    public void A_tanh_layer_under_a_softmax_with_cross_entropy_names_tanh_prime_the_loss_the_unshifted_softmax_and_tanh_from_exponentials()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 2.0 }, { -3.0 } }, null, BiasMode.None),
                new Layer(Activation.Softmax, new[,] { { 1.0, 0.5 }, { -1.0, 2.0 }, { 0.25, 0.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.5], [-0.5]], [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]);
        string[] four =
        [
            "tanh-derivative-from-out | tanh' computed as 1 - out^2: it cancels where |out| is near 1 (layers[0] unit 1, example 0, net = -4.5); the standard fix: tanh'(net) = 1/cosh(net)^2",
            "cross-entropy-from-probabilities | softmax cross-entropy (or its derivative) from the probabilities: ln o and t/o of a small softmax output (output 1, example 0, net = -2.995); the standard fix: from the logits: ln o_k = z_k - max z - ln sum e^(z - max z), delta = (o - t)/m",
            "unshifted-softmax | softmax as e^net/sum e^net, without subtracting the largest net input (the softmax layer); the standard fix: e^(net - max net)/sum e^(net - max net)",
            "tanh-from-exponentials | tanh computed from exponentials, (e^net - e^-net)/(e^net + e^-net): the difference cancels where net is near 0 (layers[0] unit 0, example 1, net = -1); the standard fix: the library's tanh(net)",
        ];
        Assert.Equal(four, Explain(n, AnswerKind.Gradient, 0));
        Assert.Equal(four, Explain(n, AnswerKind.Gradient, 0, precision: Precision.Float32));
        Assert.Equal(four, Explain(n, AnswerKind.Gradient, 0, deviation: 1));
    }

    /// <summary>A softmax layer alone, a squared loss: from out means its Jacobian; the loss is not
    /// fused, so probabilities play no part.</summary>
    [Fact]
    public void A_softmax_under_a_squared_loss_names_its_jacobian_from_out_and_the_unshifted_softmax()
    {
        Network n = Network.Create(2, [new Layer(Activation.Softmax, new[,] { { 1.0, 0.5 }, { -1.0, 2.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.5, 1.0]], [[1.0, 0.0]]);
        Assert.Equal(
        [
            "softmax-jacobian-from-out | the softmax Jacobian as out_j*(g_j - sum_k g_k*out_k), which cancels where out_j is near 1 (the softmax layer); the standard fix: out_j*(g_j*sum_{k!=j} out_k - sum_{k!=j} g_k*out_k)",
            "unshifted-softmax | softmax as e^net/sum e^net, without subtracting the largest net input (the softmax layer); the standard fix: e^(net - max net)/sum e^(net - max net)",
        ], Explain(n, AnswerKind.Gradient, 0));
    }

    /// <summary>No formulation applies to a ReLU unit under a squared loss: only the library's ulps and
    /// rounding beyond careful arithmetic explain a finding there, in the declared precision. A finding
    /// about no answer (Other, or no index) has no cause.</summary>
    [Fact]
    public void Where_no_formulation_applies_the_library_functions_are_named_in_the_declared_precision()
    {
        Network n = Network.Create(1, [new Layer(Activation.Relu, new[,] { { 0.3 } }, [0.1], BiasMode.Trainable)],
            LossKind.HalfMse, 0.5, [[0.7]], [[0.2]]);
        Assert.Equal(["library-functions | exp, ln or tanh in float64 less accurate than 1 ulp, or rounding beyond careful float64 arithmetic (throughout); the standard fix: correctly rounded library functions; sum in a fixed order"], Explain(n, AnswerKind.Gradient, 0));
        Assert.Equal(["library-functions | exp, ln or tanh in float32 less accurate than 1 ulp, or rounding beyond careful float32 arithmetic (throughout); the standard fix: correctly rounded library functions; sum in a fixed order"], Explain(n, AnswerKind.Gradient, 0, precision: Precision.Float32));
        Assert.Equal(["library-functions | exp, ln or tanh in float64 less accurate than 1 ulp, or rounding beyond careful float64 arithmetic (throughout); the standard fix: correctly rounded library functions; sum in a fixed order"], Explain(n, AnswerKind.Gradient, 1, deviation: 1));
        Assert.Empty(Explain(n, AnswerKind.Other, 0));
        Assert.Empty(Explain(n, AnswerKind.Gradient, -1));
    }

    /// <summary>All sigmoid nets below −1 (−3, −4.5 in the first layer, −2.058 in the second, the same
    /// for both examples): the largest is still found (the search starts from no unit, not from a net
    /// of −1 or layer 1), and of two equal nets the first example is named (σ′ from exponentials at
    /// the smallest, −4.5, of example 0).</summary>
    [Fact]
    public void The_most_saturated_unit_is_found_among_negative_nets_and_the_first_of_equals_is_named()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Sigmoid, new[,] { { -2.0 }, { -3.0 } }, null, BiasMode.None),
                new Layer(Activation.Sigmoid, new[,] { { -1.0, -1.0 } }, [-2.0], BiasMode.Trainable)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.5], [1.5]], [[1.0], [0.0]]);
        Assert.Equal(
        [
            "sigmoid-derivative-from-out | sigma' computed as out*(1 - out): 1 - out cancels where out is near 1 (layers[1] unit 0, example 0, net = -2.058); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
            "cross-entropy-from-probabilities | binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away (output 0, example 0, z = -2.058); the standard fix: from the logit: E = softplus(z) - t*z, delta = (o - t)/m",
            "sigmoid-derivative-from-exponentials | sigma' computed as e^-net/(1 + e^-net)^2: (1 + e^-net)^2 overflows to infinity where net is very negative, and sigma' to 0 (layers[0] unit 1, example 0, net = -4.5); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
        ], Explain(n, AnswerKind.Gradient, 0));
    }
    /// <summary>A sigmoid output under binary cross-entropy from probabilities loses digits in ln(1 − o)
    /// where o is near 1: the largest logit (1, example 1), not the largest |logit| (−3, example 0).</summary>
    [Fact]
    public void The_loss_from_the_probability_is_placed_at_the_largest_logit_not_the_largest_magnitude()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[-3.0], [1.0]], [[0.0], [1.0]]);
        Assert.Contains("cross-entropy-from-probabilities | binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away (output 0, example 1, z = 1); the standard fix: from the logit: E = softplus(z) - t*z, delta = (o - t)/m",
            Explain(n, AnswerKind.Loss, 0));
    }

    /// <summary>An output finding on a network of three outputs and two examples: output index 5 is
    /// example 1, output 2 (5 = 1·3 + 2); every formulation's bound covers a deviation of 0, so all
    /// four that apply are named (tanh from exponentials at the smallest |net|, the first −0.25). Nets of the tanh layer: 0.5, −0.25 (x = 1) and −0.5, 0.25 (x = −1);
    /// of the softmax (weights 4, −4, 0 on the first tanh output): ±4·tanh(0.5) = ±1.848 and 0.</summary>
    [Fact]
    public void An_output_finding_on_a_network_of_several_outputs_reads_the_example_and_output_of_its_index()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 0.5 }, { -0.25 } }, null, BiasMode.None),
                new Layer(Activation.Softmax, new[,] { { 4.0, 0.0 }, { -4.0, 0.0 }, { 0.0, 0.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0], [-1.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        Assert.Equal(
        [
            "tanh-derivative-from-out | tanh' computed as 1 - out^2: it cancels where |out| is near 1 (layers[0] unit 0, example 0, net = 0.5); the standard fix: tanh'(net) = 1/cosh(net)^2",
            "cross-entropy-from-probabilities | softmax cross-entropy (or its derivative) from the probabilities: ln o and t/o of a small softmax output (output 0, example 0, net = 1.848); the standard fix: from the logits: ln o_k = z_k - max z - ln sum e^(z - max z), delta = (o - t)/m",
            "unshifted-softmax | softmax as e^net/sum e^net, without subtracting the largest net input (the softmax layer); the standard fix: e^(net - max net)/sum e^(net - max net)",
            "tanh-from-exponentials | tanh computed from exponentials, (e^net - e^-net)/(e^net + e^-net): the difference cancels where net is near 0 (layers[0] unit 1, example 0, net = -0.25); the standard fix: the library's tanh(net)",
        ], Explain(n, AnswerKind.Output, 5));
    }

    /// <summary>The most saturated unit for tanh′ from out is looked for in the tanh layer only: the
    /// softmax above it has larger |net| (±1.848 against 0.5), but its Jacobian is another cause.
    /// The same network as above, a gradient finding.</summary>
    [Fact]
    public void Tanh_prime_from_out_is_placed_in_the_tanh_layer_even_where_the_softmax_nets_are_larger()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 0.5 }, { -0.25 } }, null, BiasMode.None),
                new Layer(Activation.Softmax, new[,] { { 4.0, 0.0 }, { -4.0, 0.0 }, { 0.0, 0.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0], [-1.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        Assert.Equal("tanh-derivative-from-out | tanh' computed as 1 - out^2: it cancels where |out| is near 1 (layers[0] unit 0, example 0, net = 0.5); the standard fix: tanh'(net) = 1/cosh(net)^2",
            Explain(n, AnswerKind.Gradient, 0)[0]);
    }

    /// <summary>A ReLU layer under a sigmoid layer, binary cross-entropy: σ′ from out applies (one
    /// layer is a sigmoid, not all) and is placed at the sigmoid's largest net, 1.5 (ReLU nets 3, −1.5
    /// and −4, 2; sigmoid nets 0.5·3 = 1.5 and 0.25·2 = 0.5), not at the ReLU's largest |net| (4);
    /// σ′ from exponentials at the sigmoid's smallest net, 0.5, not the ReLU's −4.</summary>
    [Fact]
    public void A_relu_layer_under_a_sigmoid_layer_names_sigma_prime_from_out_at_the_sigmoid_unit()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Relu, new[,] { { 2.0 }, { -1.0 } }, null, BiasMode.None),
                new Layer(Activation.Sigmoid, new[,] { { 0.5, 0.25 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.5], [-2.0]], [[1.0], [0.0]]);
        Assert.Equal(
        [
            "sigmoid-derivative-from-out | sigma' computed as out*(1 - out): 1 - out cancels where out is near 1 (layers[1] unit 0, example 0, net = 1.5); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
            "cross-entropy-from-probabilities | binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away (output 0, example 0, z = 1.5); the standard fix: from the logit: E = softplus(z) - t*z, delta = (o - t)/m",
            "sigmoid-derivative-from-exponentials | sigma' computed as e^-net/(1 + e^-net)^2: (1 + e^-net)^2 overflows to infinity where net is very negative, and sigma' to 0 (layers[1] unit 0, example 1, net = 0.5); the standard fix: sigma'(net) = sigma(net)*sigma(-net)",
        ], Explain(n, AnswerKind.Gradient, 0));
    }
    /// <summary>Two sigmoid layers, one example (x = 4: nets 8 and −12, then σ(8) + σ(−12) = 0.9997),
    /// binary cross-entropy with t = 1. For the first weight's gradient σ′ from out at net 8 widens
    /// the bound far more than the loss from the probability does (by less than a tenth as much, as
    /// the library's ulps do).</summary>
    static Network SaturatedSigmoids() => Network.Create(1, [
            new Layer(Activation.Sigmoid, new[,] { { 2.0 }, { -3.0 } }, null, BiasMode.None),
            new Layer(Activation.Sigmoid, new[,] { { 1.0, 1.0 } }, null, BiasMode.None)],
        LossKind.BinaryCrossEntropy, 0.5, [[4.0]], [[1.0]]);

    const string SigmoidPrimeAt8 = "sigmoid-derivative-from-out | sigma' computed as out*(1 - out): 1 - out cancels where out is near 1 (layers[0] unit 0, example 0, net = 8); the standard fix: sigma'(net) = sigma(net)*sigma(-net)";
    const string LossFromProbabilityAt09997 = "cross-entropy-from-probabilities | binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away (output 0, example 0, z = 0.9997); the standard fix: from the logit: E = softplus(z) - t*z, delta = (o - t)/m";

    static string[] Explain(Truth truth, int gradient, double deviation) =>
        Causes.Explain(truth, new Finding(Zone.Accuracy, "q", deviation, 0, 0, 0) { On = AnswerKind.Gradient, Index = gradient })
            .Select(c => $"{c.Key} | {c}").ToArray();

    /// <summary>A deviation beyond every bound names the formulations that widen the bound by at least
    /// a tenth of the widest: σ′ from out alone, not the loss from the probability, which widens it a
    /// little. The same for the softmax under a squared loss (above): for the first weight's gradient
    /// its Jacobian from out widens the bound to several times the careful one, the unshifted softmax
    /// by less than a tenth of that, so only the Jacobian is named, though the careful bound itself is
    /// not small beside the widening.</summary>
    [Fact]
    public void Beyond_every_bound_a_formulation_that_barely_widens_it_is_not_named()
    {
        Truth truth = Truth.For(SaturatedSigmoids());
        Assert.Equal([SigmoidPrimeAt8], Explain(truth, 0, deviation: 1));
        Network softmax = Network.Create(2, [new Layer(Activation.Softmax, new[,] { { 1.0, 0.5 }, { -1.0, 2.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.5, 1.0]], [[1.0, 0.0]]);
        Assert.Equal(
        [
            "softmax-jacobian-from-out | the softmax Jacobian as out_j*(g_j - sum_k g_k*out_k), which cancels where out_j is near 1 (the softmax layer); the standard fix: out_j*(g_j*sum_{k!=j} out_k - sum_{k!=j} g_k*out_k)",
        ], Explain(Truth.For(softmax), 0, deviation: 1));
    }

    /// <summary>A formulation's bound includes its end: a deviation equal to the bound of the loss from
    /// the probability alone (the magnitude pass with that formulation only, as Causes runs it) is
    /// explained by it and by σ′ from out, whose bound is larger; one ulp more, by σ′ from out alone.</summary>
    [Fact]
    public void A_deviation_equal_to_a_formulations_bound_is_explained_by_it()
    {
        Truth truth = Truth.For(SaturatedSigmoids());
        double bound = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(Precision.Float64).Only(Formulation.LossesFromProbabilities)).Gradient[0];
        Assert.Equal([SigmoidPrimeAt8, LossFromProbabilityAt09997], Explain(truth, 0, bound));
        Assert.Equal([SigmoidPrimeAt8], Explain(truth, 0, Math.BitIncrement(bound)));
    }

    /// <summary>A sigmoid output at z = −30 under binary cross-entropy (t = 1): PyTorch's clamped derivative
    /// answers a tenth of the gradient −3, 2.7 off, which only the frameworks' clip explains, placed at the
    /// output of largest |z|; the same answer at z = −3, where no clip acts, names nothing of the clip (its
    /// bound alone is the library's there, and the clip is not named beside the others).</summary>
    [Fact]
    public void A_clamped_cross_entropy_is_named_where_the_clip_acts_and_only_there()
    {
        static Network Unit(double w, double x) => Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.0], [x]], [[1.0], [1.0]]);
        Assert.Equal(
        [
            Clamp("output 0, example 1, z = -30"),
        ], Explain(Unit(-10, 3), AnswerKind.Gradient, 0, deviation: 1.35));
        Assert.DoesNotContain(Explain(Unit(-1, 3), AnswerKind.Gradient, 0), c => c.StartsWith("probability-clamp"));
    }

    /// <summary>The probability-clamp cause as a user reads it, at <paramref name="place"/>.</summary>
    static string Clamp(string place) => $"probability-clamp | the cross-entropy from probabilities clamped away from 0 and 1, as frameworks do: TensorFlow.js's layers losses and Keras clip o to [1e-7, 1 - 1e-7] (derivative 0 outside), PyTorch's nn.BCELoss divides dE/do by max(o(1 - o), 1e-12); where o is within 1e-7 of 0 or 1 the gradient is cut; or an epsilon up to 1e-7 added inside the logarithm (ln(o + eps), as tf.losses.logLoss and many tutorials do), which moves the loss by t*ln(1 + eps/o) and the gradient by about t*eps/o ({place}); the standard fix: the loss from the logits: nn.BCEWithLogitsLoss or F.cross_entropy on z in PyTorch, tf.losses.sigmoidCrossEntropy or softmaxCrossEntropy in TensorFlow.js, from_logits=True in Keras";

    /// <summary>An ε inside the logarithm moves every cross-entropy a little, so its bound alone covers deviations the
    /// other formulations make together: it is named only beyond the bound of all the others (one sigmoid unit at
    /// z = 0, t = 0: the loss's bound without it is a few ulps, with it about 2e-7).</summary>
    [Fact]
    public void An_epsilon_inside_the_logarithm_is_named_only_beyond_every_other_formulations_bound()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 0.0 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5, [[1.0]], [[0.0]]);
        Truth truth = Truth.For(n);
        // the common formulations: all but the rare two, the clamp and the probabilities from log space
        double others = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(Precision.Float64).Only(Formulation.All & ~Formulation.ClampedProbabilities & ~Formulation.ProbabilitiesFromLogSpace)).Loss;
        // a finding about the loss whose deviation is exactly d (its value d, its exact value 0)
        string[] At(double d) => Causes.Explain(truth, new Finding(Zone.Accuracy, "loss", d, 0, 0, 0) { On = AnswerKind.Loss, Index = 0 }).Select(c => $"{c.Key} | {c}").ToArray();
        Assert.DoesNotContain(At(others), c => c.StartsWith("probability-clamp"));
        Assert.Equal([Clamp("output 0, example 0, z = 0")], At(Math.BitIncrement(others)));
        Assert.Equal([Clamp("output 0, example 0, z = 0")], Explain(n, AnswerKind.Loss, 0, deviation: -2e-7));
    }

    /// <summary>The clip is placed at the output layer, not at a hidden unit of the same activation with a larger
    /// |net| (a sigmoid hidden unit at net 50 under an output at z = −30, target 1: the output weight's gradient is
    /// σ(−30) − 1 = −1, which the clip may cut to 0); under a softmax the place names the output's net (nets 0
    /// and −20, targets 0 and 1: output 1, at −20, is clipped, and the first weight's gradient o_0 = 1 may be cut).</summary>
    [Fact]
    public void A_clamped_cross_entropy_is_placed_at_the_output_unit_it_cuts()
    {
        Network deep = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 50.0 } }, null, BiasMode.None), new Layer(Activation.Sigmoid, new[,] { { -30.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1.0]], [[1.0]]);
        Assert.Equal([Clamp("output 0, example 0, z = -30")], Explain(deep, AnswerKind.Gradient, 1, deviation: 0.9));
        Network softmax = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 0.0 }, { -20.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0]], [[0.0, 1.0]]);
        Assert.Equal([Clamp("output 1, example 0, net = -20")], Explain(softmax, AnswerKind.Gradient, 0, deviation: -0.9));
    }
    /// <summary>The probabilities from log space are named only beyond the common formulations' bound: the softmax over
    /// nets 35 and 2 of random:10181 (seed 20261207), whose output a Java implementation computed as exp(35 − lse) 2.4e-15
    /// off, and a sigmoid at net −33.375 (random:9068); within the common bound it is not named.</summary>
    [Fact]
    public void Probabilities_from_log_space_are_named_where_only_they_explain_the_output()
    {
        const string What = "probabilities-from-log-space | sigma or softmax computed from log space, exp(-softplus(-net)) or exp(net - logsumexp(net)): the exponent is rounded at the size of |net|, and exp makes that a relative error of the output";
        const string Fix = "; the standard fix: sigma(net) = 1/(1 + e^-net), softmax e^(net - max net)/sum e^(net - max net)";
        Network softmax = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 35.0 }, { 2.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        Assert.Equal([$"{What} (the softmax layer, example 0){Fix}"], Explain(softmax, AnswerKind.Output, 0, deviation: -2.4e-15));
        Assert.DoesNotContain(Explain(softmax, AnswerKind.Output, 0, deviation: -2e-16), c => c.StartsWith("probabilities-from-log-space"));
        Network sigmoid = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -33.375 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[0.0]]);
        // 3.2020024986373665E-15 for an exact 3.2020024986373563E-15: 1.0e-29 off, where careful arithmetic keeps 6u·σ = 2.1e-30
        Assert.Equal([$"{What} (layers[0] unit 0, example 0, net = -33.38){Fix}"],
            Explain(sigmoid, AnswerKind.Output, 0, deviation: 3.2020024986373665E-15 - 3.2020024986373563E-15));
    }
    /// <summary>Log space is named on a network with other layers too (an identity layer under the softmax over 35 and 2),
    /// and placed where it loses most: a sigmoid at its most negative net, a softmax at its largest |net|. Sigmoid hidden
    /// units at nets −5 and 8 under a softmax whose nets are 6.5·σ(8) ≈ 6.498 and −σ(8): the softmax (6.498 beyond 5)
    /// is the place, not the sigmoid at 8, whose σ keeps its digits.</summary>
    [Fact]
    public void Probabilities_from_log_space_are_placed_at_the_most_negative_sigmoid_or_the_largest_softmax_net()
    {
        Network deep = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None),
            new Layer(Activation.Softmax, new[,] { { 35.0 }, { 2.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        Assert.Contains(Explain(deep, AnswerKind.Output, 0, deviation: -2.4e-15), c => c.StartsWith("probabilities-from-log-space") && c.Contains("(the softmax layer, example 0)"));

        Network mixed = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -5.0 }, { 8.0 } }, null, BiasMode.None),
            new Layer(Activation.Softmax, new[,] { { 0.0, 6.5 }, { 0.0, -1.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        Truth truth = Truth.For(mixed);
        double logSpace = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(Precision.Float64).Only(Formulation.ProbabilitiesFromLogSpace)).Outputs[0][0];
        double common = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(Precision.Float64).Only(Formulation.All & ~Formulation.ClampedProbabilities & ~Formulation.ProbabilitiesFromLogSpace)).Outputs[0][0];
        Assert.True(logSpace > common, $"{logSpace} vs {common}");
        string[] causes = Causes.Explain(truth, new Finding(Zone.Accuracy, "outputs[0][0]", logSpace, 0, 0, 0) { On = AnswerKind.Output, Index = 0 })
            .Select(c => $"{c.Key} | {c}").ToArray();
        Assert.Contains(causes, c => c.StartsWith("probabilities-from-log-space") && c.Contains("(the softmax layer, example 0)"));
    }
    /// <summary>
    /// What a cross-entropy from probabilities may give where o may round to 0 or 1 and the answer still comes out
    /// finite (<see cref="Causes.FiniteLossFromProbabilities"/>), written out in its order, so that it compares
    /// exactly: a rounded o at least the least positive number (2u·MinNormal, 4 of them), a rounded 1 − o at least
    /// 4u, each term weighted by its target; the terms in range add nothing; the mean divides by m.
    /// </summary>
    [Fact]
    public void A_finite_loss_from_probabilities_is_bounded_by_the_least_numbers_a_rounded_o_and_1_minus_o_can_be()
    {
        // float32 softmax over nets 100, 100 and −131, targets 0, 0, 1: ln o₂ = −131 − lse, lse = 100 + ln(2 + e⁻²³¹)
        Network softmax = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 100.0 }, { 100.0 }, { -131.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0]], [[0.0, 0.0, 1.0]]);
        double[] z = Truth.For(softmax, Precision.Float32).Exact.Net[0][0];
        Assert.Equal([100.0, 100.0, -131.0], z);
        double lse = z.Max() + Math.Log(z.Sum(v => Math.Exp(v - z.Max())));
        double nearZero32 = Math.Log(4 * Math.ScaleB(1, -126) * 2 * Math.ScaleB(1, -24));
        Assert.Equal(1 * Math.Max(0, nearZero32 - (z[2] - lse)) / 1, Causes.FiniteLossFromProbabilities(Truth.For(softmax, Precision.Float32)));

        // float32 sigmoid, z = 16 with t = 0.25: ln(1 − o) = ln σ(16) − 16, 0.75·(ln 4u − that) with u = 2⁻²⁴ (ln σ(16)
        // itself, −1.1e-7, shows here); and z = −120 with t = 0.5: ln o = −120 − ln(1 + e⁻¹²⁰), 0.5·(ln 4·2⁻¹⁴⁹ − that)
        Network sigmoid = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[16.0], [-120.0]], [[0.25], [0.5]]);
        double lnO16 = -Math.Log(1 + Math.Exp(-16.0)), lnOMinus120 = -120.0 - Math.Log(1 + Math.Exp(-120.0));
        double nearOne32 = Math.Log(4 * Math.ScaleB(1, -24));
        double sum = 0;
        sum += 0.25 * Math.Max(0, nearZero32 - lnO16) + 0.75 * Math.Max(0, nearOne32 - (lnO16 - 16.0));
        sum += 0.5 * Math.Max(0, nearZero32 - lnOMinus120) + 0.5 * Math.Max(0, nearOne32 - (lnOMinus120 + 120.0));
        Assert.Equal(sum / 2, Causes.FiniteLossFromProbabilities(Truth.For(sigmoid, Precision.Float32)));
        Assert.True(0.75 * (nearOne32 - (lnO16 - 16.0)) > 0 && 0.5 * (nearZero32 - lnOMinus120) > 0);

        // float64, z = 800 with t = 0: ln(1 − o) = −800 (ln σ(800) = −ln(1 + e⁻⁸⁰⁰) = 0; the form for z < 0,
        // z − ln(1 + e^z), would be −∞ here), so 1·(ln 4u + 800)
        Network high = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[800.0]], [[0.0]]);
        Assert.Equal(Math.Log(4 * Math.ScaleB(1, -53)) + 800, Causes.FiniteLossFromProbabilities(Truth.For(high)));

        // float64, z = −800 with t = 0.75: ln o = −800, 0.75·(ln 4·2⁻¹⁰⁷⁴ + 800); in range (z = 2): nothing
        Network deep = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[-800.0]], [[0.75]]);
        Assert.Equal(0.75 * (Math.Log(4 * double.Epsilon) + 800), Causes.FiniteLossFromProbabilities(Truth.For(deep)), 12);
        Network inRange = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[2.0]], [[0.5]]);
        Assert.Equal(0, Causes.FiniteLossFromProbabilities(Truth.For(inRange)));
    }
}
