using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// The accuracy contract: a FAIL means a bug. A correct implementation written the textbook way
/// (<see cref="TextbookBackprop"/>), in float64 or in float32, is never called wrong; where it loses
/// digits that careful arithmetic keeps it gets accuracy findings, and where it cannot represent an
/// answer at all, range findings. A bug in it is still wrong.
/// </summary>
public class AccuracyContractTests(ITestOutputHelper output) : PropertyTests(output)
{
    [NetworkProperty]
    public Property A_textbook_float64_implementation_is_never_called_wrong(NetworkFor<TextbookFloat64> n) => NeverWrong(new TextbookFloat64(), n);

    [NetworkProperty]
    public Property A_textbook_float32_implementation_is_never_called_wrong(NetworkFor<TextbookFloat32> n) => NeverWrong(new TextbookFloat32(), n);

    /// <summary>Written from the definitions: tanh from exponentials (it cancels near 0, and overflows
    /// to ∞/∞ past |net| = ln(max)), σ′ = e^−net/(1 + e^−net)² (0 once the square overflows, NaN once
    /// e^−net does), and the softmax Jacobian as a matrix (its products out_j·out_k may underflow).
    /// Each once drew a FAIL or a "broken protocol" from `check` on an implementation written from
    /// PROTOCOL.md alone (random:168 of seed 31337 for tanh, random:5078 of seed 90210 and random:1815
    /// of seed 4242 for the Jacobian, random:113 of seed 31337 in float32 for σ′).</summary>
    [NetworkProperty]
    public Property A_textbook_implementation_from_the_definitions_is_never_called_wrong_in_float64(NetworkFor<TextbookDefinitionsFloat64> n) => NeverWrong(new TextbookDefinitionsFloat64(), n);

    [NetworkProperty]
    public Property A_textbook_implementation_from_the_definitions_is_never_called_wrong_in_float32(NetworkFor<TextbookDefinitionsFloat32> n) => NeverWrong(new TextbookDefinitionsFloat32(), n);

    /// <summary>Binary cross-entropy as PyTorch's nn.BCELoss computes it: ln clamped at −100, ∂E/∂o divided by
    /// max(o(1 − o), 1e-12). Run through `check` (examples/torch/backprop.py --probs) it was called wrong
    /// within 81 networks in float64 and 241 in float32 at seed 24117: the clamp's answer is not the
    /// derivative's (<see cref="Formulation.ClampedProbabilities"/>).</summary>
    [NetworkProperty]
    public Property A_textbook_implementation_with_pytorchs_cross_entropy_clamps_is_never_called_wrong_in_float64(NetworkFor<TextbookPyTorchClampsFloat64> n) =>
        NeverWrong(new TextbookPyTorchClampsFloat64(), n);

    [NetworkProperty]
    public Property A_textbook_implementation_with_pytorchs_cross_entropy_clamps_is_never_called_wrong_in_float32(NetworkFor<TextbookPyTorchClampsFloat32> n) =>
        NeverWrong(new TextbookPyTorchClampsFloat32(), n);

    /// <summary>The cross-entropies as TensorFlow.js's layers losses ('binaryCrossentropy' and
    /// 'categoricalCrossentropy' in model.compile) and Keras compute them from probabilities: o clipped to
    /// [1e-7, 1 − 1e-7], the clip's derivative 0 outside. TensorFlow.js's own categoricalCrossentropy was
    /// called wrong at random:295 of seed 24117: 0 for a gradient of −1.77, its softmax output 7.6e-10
    /// under a target of 0.66.</summary>
    [NetworkProperty]
    public Property A_textbook_implementation_with_the_layers_apis_clip_is_never_called_wrong_in_float32(NetworkFor<TextbookClippedFloat32> n) =>
        NeverWrong(new TextbookClippedFloat32(), n);

    [NetworkProperty]
    public Property A_textbook_implementation_with_the_layers_apis_clip_is_never_called_wrong_in_float64(NetworkFor<TextbookClippedFloat64> n) =>
        NeverWrong(new TextbookClippedFloat64(), n);

    /// <summary>The cross-entropies with an ε added inside the logarithm, ln(o + 1e-7), and in its derivative,
    /// −t/(o + 1e-7): tf.losses.logLoss's form and many tutorials'. Written from the textbook's own code
    /// (examples/textbook/backprop.py with "+ 1e-7" in its two logarithms), it was called wrong on the fifth
    /// network it met, the golden 004-batched-relu, shrunk to one sigmoid unit at z = 0, t = 0, whose loss
    /// ln 2 it answered 2e-7 low: every cross-entropy moves by about t·ε/o.</summary>
    [NetworkProperty]
    public Property A_textbook_implementation_with_an_epsilon_inside_the_logarithm_is_never_called_wrong_in_float64(NetworkFor<TextbookEpsilonFloat64> n) =>
        NeverWrong(new TextbookEpsilonFloat64(), n);

    [NetworkProperty]
    public Property A_textbook_implementation_with_an_epsilon_inside_the_logarithm_is_never_called_wrong_in_float32(NetworkFor<TextbookEpsilonFloat32> n) =>
        NeverWrong(new TextbookEpsilonFloat32(), n);

    /// <summary>σ and the softmax from log space, exp(−softplus(−net)) and exp(net_j − logsumexp(net)) (SciPy 1.2's
    /// softmax, exp of a log-softmax): a Java implementation written from PROTOCOL.md alone was called wrong at
    /// random:10181 of seed 20261207, a softmax over nets 35 and 2 whose output 0.9999999999999929 is 2.4e-15 from
    /// the exact: lse = 35 + 4.7e-15 rounds by u·35, which exp makes a relative error of the output.</summary>
    [NetworkProperty]
    public Property A_textbook_implementation_from_log_space_is_never_called_wrong_in_float64(NetworkFor<TextbookLogSpaceFloat64> n) =>
        NeverWrong(new TextbookLogSpaceFloat64(), n);

    [NetworkProperty]
    public Property A_textbook_implementation_from_log_space_is_never_called_wrong_in_float32(NetworkFor<TextbookLogSpaceFloat32> n) =>
        NeverWrong(new TextbookLogSpaceFloat32(), n);

    /// <summary>A float32 program writes the shortest decimal that reads back as its float (numpy,
    /// .NET, Java do): not the float's exact value. Judged as the float it is, it is never wrong.
    /// Before answers were read back to float, this failed within the first 30 networks (a frozen
    /// bias "moved" by the decimal's 0.6 ulp).</summary>
    [NetworkProperty]
    public Property A_float32_implementation_printing_the_shortest_float_form_is_never_called_wrong(NetworkFor<TextbookFloat32Shortest> n) =>
        NeverWrong(new TextbookFloat32Shortest(), n);

    /// <summary>A step computed as one fused multiply-add per parameter (one rounding, not two) is
    /// never wrong: the judge compares it with W − η·g exactly, not with its own double rounding.</summary>
    [NetworkProperty]
    public Property A_float64_implementation_whose_step_is_a_fused_multiply_add_is_never_called_wrong(NetworkFor<FusedStepBackprop> n) =>
        NeverWrong(new FusedStepBackprop(), n);

    /// <summary>
    /// The false alarms a C user found (examples/c/RESULTS.md), pinned with the networks `check`
    /// shrank them to. FA-1: a float32 build printing "%.9g" stores the frozen bias 2.000514150623557 as
    /// the float 2.0005142688751221 (1.18e-7 away, the storing bound u·|b| is 1.19e-7) and writes it as
    /// 2.00051427, which is that float but 1.19376e-7 from the document's value as a double: it was
    /// judged "moved". The shortest form of a stepped weight (0.0005578378) lay 7.6e-11 from W − η·g
    /// against a bound of 6.65e-11.
    /// </summary>
    [Theory]
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":2,"activation":"softmax","bias":"frozen","weights":[[0],[0]],"biases":[2.000514150623557,0]}],"loss":"softmax-cross-entropy","learningRate":0.1,"batch":{"inputs":[[0]],"targets":[[0,1]]}}""", "G9")]
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","bias":"none","weights":[[0.0005578379214178146]]},{"units":2,"activation":"identity","bias":"none","weights":[[0.00011063267846325253],[0.0009655131533165142]]}],"loss":"half-sse","learningRate":0.01,"batch":{"inputs":[[-0.0005299785154441675]],"targets":[[-1.1387767651276626,0.16913568922936806]]}}""", "shortest")]
    // every operand a float and the answer exact (63/512 squared): its bounds are 0, and "%.9g" of it is not its exact value
    [InlineData("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","bias":"none","weights":[[0.123046875]]}],"loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[0.123046875]],"targets":[[0.5]]}}""", "G9")]
    public void A_float32_answer_is_judged_as_its_float_whatever_decimal_it_was_printed_as(string json, string form)
    {
        Network n = NetworkJson.Parse(json);
        IBackprop impl = new PrintedBackprop(new TextbookFloat32(), form == "G9" ? PrintedBackprop.NineDigits : PrintedBackprop.ShortestFloat);
        var verdicts = Oracle.Properties.Run(new CachingBackprop(impl), n, Precision.Float32);
        Assert.DoesNotContain(verdicts, v => v.Verdict.Zone == Zone.Wrong);
        // the decimal really is not the float's exact value: the case is the one that was misjudged
        Assert.Contains(impl.Gradients(n).Flatten().Concat(impl.Step(n).Flatten()).Append(impl.Forward(n).Loss),
                        x => (double)(float)x != x);
    }

    /// <summary>
    /// FA-2, pinned: W = −1, η = 0.01, g = 1.0641237281417415. W − η·g computed in double rounds
    /// twice to −1.0106412372814173; fma(−η, g, W) rounds once, to the correctly rounded
    /// −1.0106412372814175, one ulp (2.2e-16) away, against a bound of 1.56e-16: the fused step was
    /// judged wrong. Against the exact W − η·g both are within their roundings.
    /// </summary>
    [Fact]
    public void A_fused_multiply_add_step_at_a_near_tie_is_not_wrong()
    {
        Network n = NetworkJson.Parse("""{"format":"backprop-spec/network@1","inputs":1,"layers":[{"units":1,"activation":"identity","bias":"trainable","weights":[[-1]],"biases":[-1]}],"loss":"half-sse","learningRate":0.01,"batch":{"inputs":[[0.5],[-1.5]],"targets":[[0.8067759104931032],[1.978341122258862]]}}""");
        var fused = new FusedStepBackprop();
        double g = fused.Gradients(n).dE_dW[0][0, 0], w = fused.Step(n).W[0][0, 0];
        Assert.NotEqual(-1 - 0.01 * g, w);                                     // the two roundings and the one differ here
        PropertyVerdict v = Oracle.Properties.StepUsesOriginalWeights(fused, n, Precision.Float64);
        Assert.True(v.Zone == Zone.Agrees, v.Message);
        // and a step one more ulp off is still caught
        var off = new PrintedBackprop(fused, x => (x == w ? Math.BitDecrement(Math.BitDecrement(w)) : x).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual(Zone.Agrees, Oracle.Properties.StepUsesOriginalWeights(off, n, Precision.Float64).Zone);
    }

    /// <summary>No property calls <paramref name="impl"/> wrong on the network; FsCheck counts the
    /// accuracy and range findings.</summary>
    Property NeverWrong(IBackprop impl, Network n, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var verdicts = Oracle.Properties.Run(new CachingBackprop(impl), n, impl.Capabilities.Precision);
        string? wrong = verdicts.Where(v => v.Verdict.Zone == Zone.Wrong).Select(v => $"{v.Name}: {v.Verdict.Message}\n{v.Verdict.Table?.Table()}").FirstOrDefault();
        return Holds(n, wrong, test)
            .Classify(verdicts.Any(v => v.Verdict.Zone == Zone.Accuracy), "an accuracy finding")
            .Classify(verdicts.Any(v => v.Verdict.Zone == Zone.Range), "a range finding");
    }

    /// <summary>The textbook formulation really is weaker somewhere in the run, or the property above
    /// would prove nothing about the bounds: some network of the seeded run gets an accuracy finding.</summary>
    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void The_textbook_formulation_loses_digits_somewhere_in_the_run(Precision precision)
    {
        var impl = new TextbookBackprop(precision);
        int count = RunSettings.Count(NetworkPropertyAttribute.DefaultCount);
        for (int i = 0; i < count; i++)
        {
            Network n = NetworkGen.Sample(RunSettings.Seed, i, count, impl.Capabilities);
            if (Oracle.Properties.Run(new CachingBackprop(impl), n, precision).FirstOrDefault(v => v.Verdict.Zone == Zone.Accuracy) is { Name: { } name })
            {
                Output.WriteLine($"textbook {precision}: network {i} of seed {RunSettings.Seed} gets an accuracy finding from \"{name}\"");
                return;
            }
        }
        Assert.Fail($"the textbook formulation never lost a digit in {count} networks: the generator misses saturation");
    }

    static Network OneSigmoid(double w, double x, double t, LossKind loss) =>
        Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)], loss, 0.5, [[x]], [[t]]);

    /// <summary>The issue's first counterexample: BCE from probabilities at z = 10, t = 0 gives
    /// 10.000045398900186 where the exact loss is 10.000045398899218.</summary>
    [Fact]
    public void Cross_entropy_from_probabilities_at_z_10_is_an_accuracy_finding_not_a_bug()
    {
        Network n = OneSigmoid(2.5, 4, 0, LossKind.BinaryCrossEntropy);
        PropertyVerdict v = Oracle.Properties.ForwardAgreesWithExactValues(new TextbookBackprop(Precision.Float64), n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Assert.Contains("cross-entropy", Causes.Explain(Truth.For(n), v.Findings[0]).Single().Operation);
    }

    [Fact]
    public void Cross_entropy_from_probabilities_past_z_37_is_a_range_finding_ln_0()
    {
        Network n = OneSigmoid(10, 4, 0.5, LossKind.BinaryCrossEntropy);      // z = 40: σ(z) rounds to 1
        Truth truth = Truth.For(n);
        Assert.Contains(truth.Textbook.Range, r => r.Kind == "ln-of-zero");
        Assert.Equal(Zone.Range, Oracle.Properties.ForwardAgreesWithExactValues(new TextbookBackprop(Precision.Float64), n, Precision.Float64).Zone);
        Assert.Equal(Zone.Agrees, Oracle.Properties.ForwardAgreesWithExactValues(new ReferenceBackprop(), n, Precision.Float64).Zone);
    }

    /// <summary>Each e^net fits but their sum does not (709.5 and 709.4 in float64, 88.5 and 88.4 in
    /// float32): the unshifted softmax gives e^net/∞ = 0, a finite answer far from the exact 0.52.
    /// That is the formulation's range, not a bug; the careful (shifted) reference still agrees.</summary>
    [Theory]
    [InlineData(Precision.Float64, 709.5, 709.4)]
    [InlineData(Precision.Float32, 88.5, 88.4)]
    public void An_unshifted_softmax_whose_sum_overflows_is_a_range_finding_not_a_bug(Precision precision, double net0, double net1)
    {
        Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { net0 }, { net1 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.0]], [[1.0, 0.0]]);
        Assert.Contains(Truth.For(n, precision).Textbook.Range, r => r.Kind == "exp-overflow" && r.By == Formulation.UnshiftedSoftmax);
        var textbook = new TextbookBackprop(precision);
        Assert.All(textbook.Forward(n).Outputs[0], o => Assert.Equal(0.0, o));          // e^net/∞: finite, and far off
        Assert.Equal(Zone.Range, Oracle.Properties.ForwardAgreesWithExactValues(textbook, n, precision).Zone);
        Assert.Equal(Zone.Agrees, Oracle.Properties.ForwardAgreesWithExactValues(new ReferenceBackprop(), n, precision).Zone);
    }

    /// <summary>tanh from its definition near 0 (net = −1.76e-8, from random:168 of seed 31337, where
    /// `check` once called an implementation written from PROTOCOL.md alone wrong): e^net − e^−net
    /// cancels, and the answer is off by 4.8e-10 of itself, as that implementation's was (seven of the
    /// sixteen digits gone, half a million times the library's 8u·|tanh|); the finding names tanh from
    /// exponentials.</summary>
    [Fact]
    public void Tanh_from_exponentials_near_0_is_an_accuracy_finding_naming_the_cancellation()
    {
        Network n = Network.Create(1, [new Layer(Activation.Tanh, new[,] { { -1.7591516751705987e-08 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[1.0]], [[0.3]]);
        PropertyVerdict v = Oracle.Properties.ForwardAgreesWithExactValues(new TextbookDefinitionsFloat64(), n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Finding f = v.Findings.Single(x => x.Quantity == "outputs[0][0]");
        double u = Math.ScaleB(1, -53);
        Assert.InRange(f.Deviation, 1e5 * 8 * u * Math.Abs(f.Exact), 13 * u + 11 * u * Math.Abs(f.Exact));   // beyond 10⁵ times the library's 8u·|tanh|, within the textbook's 13u + 11u·|tanh|
        Assert.InRange(f.RelativeError, 4.7e-10, 4.9e-10);                                                       // the newcomer's program's 4.8e-10 at random:168
        Assert.Equal("tanh-from-exponentials", Causes.Explain(Truth.For(n), f).First().Key);
        Assert.Equal(Zone.Agrees, Oracle.Properties.ForwardAgreesWithExactValues(new TextbookFloat64(), n, Precision.Float64).Zone);   // the library's tanh
    }

    /// <summary>The softmax Jacobian formed as a matrix, on the network `check` shrank random:5078 of
    /// seed 90210 to (an implementation written from PROTOCOL.md alone was once called wrong there): the
    /// softmax nets are 0, 330, −150, so o_0 = e^{−330}, o_2 = e^{−480}, and the product o_2·o_0 = e^{−810}
    /// underflows to 0; with t_0 of the target on output 0, g_0 = −t_0/o_0, and δ_2 = o_2·o_0·(−g_0) + …
    /// loses t_0·o_2 (the rest, t_1 = 1 − t_0 through o_1 ≈ 1, survives). The exact ∂E/∂W[2][0] is
    /// −30·o_2 = −1.04e-207 either way; the matrix form answers (1 − t_0) of it. The textbook bound is
    /// what the underflowing product can lose, o_2·(o_0·|g_0|) = t_0·o_2, times the input 30 (and a few
    /// ulps of it): an accuracy finding, not a bug. (With t_0 = 1/2, o_0·|g_0| = 1/2 is not 1, so a
    /// bound that divided by it instead would be 4 times too large.)</summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void A_softmax_Jacobian_formed_as_a_matrix_whose_product_underflows_is_an_accuracy_finding_not_a_bug(double t0)
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Identity, new[,] { { -10.0 } }, null, BiasMode.None),
                new Layer(Activation.Softmax, new[,] { { 0.0 }, { -11.0 }, { 5.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[3.0]], [[t0, 1 - t0, 0.0]]);
        var matrix = new TextbookDefinitionsFloat64();
        const int k = 3;                                                        // layers[1].weights[2][0]
        const double exact = -1.0369789513765852E-207;
        Truth truth = Truth.For(n);
        Assert.Equal(exact, truth.Exact.Gradient[k]);
        Assert.Equal((1 - t0) * exact, matrix.Gradients(n).Flatten()[k], (1 - t0) * -exact * 1e-12);
        // the bound without the frameworks' clip (o_0 = e^−330 lies in it, which widens the bound further)
        RoundingBounds unclipped = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(Precision.Float64).Only(Formulation.All & ~Formulation.ClampedProbabilities));
        Assert.InRange(unclipped.Gradient[k], t0 * -exact, t0 * -exact * (1 + 1e-9));
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(matrix, n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Assert.Equal(Zone.Agrees, Oracle.Properties.GradientsAgreeWithExactValues(new TextbookFloat64(), n, Precision.Float64).Zone);   // from out: no product underflows
    }

    /// <summary>The issue's tanh counterexample: 1 − out² at net = −8 keeps only 10 digits.</summary>
    [Fact]
    public void Textbook_tanh_derivative_at_net_minus_8_is_an_accuracy_finding_naming_1_minus_out_squared()
    {
        Network n = Network.Create(1, [new Layer(Activation.Tanh, new[,] { { -2.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[4.0]], [[0.3]]);
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(new TextbookBackprop(Precision.Float64), n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Cause cause = Causes.Explain(Truth.For(n), v.Findings[0]).Single();
        Assert.Equal("tanh-derivative-from-out", cause.Key);
        Assert.Contains("1/cosh", cause.Fix);
    }

    [Fact]
    public void Textbook_sigmoid_derivative_at_net_30_is_an_accuracy_finding_naming_out_times_1_minus_out()
    {
        Network n = OneSigmoid(10, 3, 0.2, LossKind.HalfSse);
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(new TextbookBackprop(Precision.Float64), n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Assert.Equal("sigmoid-derivative-from-out", Causes.Explain(Truth.For(n), v.Findings[0]).Single().Key);
    }

    /// <summary>1 − out cancels only where out is near 1: with one unit at net = −170 (out·(1 − out)
    /// exact to an ulp there) and one at net = +30, the finding is placed at the +30 unit, not at the
    /// larger |net|.</summary>
    [Fact]
    public void Textbook_sigmoid_derivative_finding_is_placed_at_the_unit_whose_out_is_near_1()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -17.0 }, { 3.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[10.0]], [[0.2, 0.2]]);                 // net = −170 and +30
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(new TextbookBackprop(Precision.Float64), n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Cause cause = Causes.Explain(Truth.For(n), v.Findings[0]).Single();
        Assert.Equal("sigmoid-derivative-from-out", cause.Key);
        Assert.Equal("layers[0] unit 1, example 0, net = 30", cause.Where);
    }

    /// <summary>A float32 implementation judged as if it were float64 is wrong (its inputs alone are
    /// off by 6e-8): the declared precision is what makes it right.</summary>
    [Fact]
    public void A_float32_implementation_is_right_in_its_profile_and_wrong_judged_as_float64()
    {
        Network n = Examples.Load("002");
        var impl = new TextbookBackprop(Precision.Float32);
        Assert.NotEqual(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(impl, n, Precision.Float32).Zone);
        Assert.Equal(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(impl, n, Precision.Float64).Zone);
    }

    /// <summary>σ′ = e^−net/(1 + e^−net)² at net = −55 in float32 (random:113 of seed 31337, shrunk: `check`
    /// once called an implementation written from PROTOCOL.md alone wrong there): e^55 = 7.7e23 is a
    /// float32, its square is not, so σ′ = 0 where it is 1.3e-24, and the gradient −6.5e-25 is 0. Every
    /// digit of a tiny number lost to the form's overflow: an accuracy finding naming the form.</summary>
    [Fact]
    public void Sigma_prime_from_exponentials_whose_square_overflows_is_an_accuracy_finding_not_a_bug()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { -11.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[5.0]], [[0.1]]);
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(new TextbookDefinitionsFloat32(), n, Precision.Float32);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Finding f = v.Findings.Single();
        Assert.Equal(0.0, f.Actual);
        Assert.InRange(f.Exact, -6.6e-25, -6.4e-25);
        Assert.Equal("sigmoid-derivative-from-exponentials", Causes.Explain(Truth.For(n, Precision.Float32), f).First().Key);
        Assert.Equal(Zone.Agrees, Oracle.Properties.GradientsAgreeWithExactValues(new TextbookFloat32(), n, Precision.Float32).Zone);   // out·(1 − out) keeps it
    }

    /// <summary>tanh from exponentials at net = 960 in float64 (x = 8 through weights 12 and 10) is ∞/∞ = NaN,
    /// and a ReLU written `net > 0 ? net : 0` (as C's, or Python's max(0, net)) turns that NaN into 0: its
    /// output is 0 where it is 9, finite and far off. The first network the property over these forms
    /// shrank to, before the overflow was a range issue: a range finding of tanh from exponentials, not
    /// a bug; the library's tanh agrees.</summary>
    [Fact]
    public void Tanh_from_exponentials_that_overflows_into_a_relu_is_a_range_finding_not_a_bug()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Identity, new[,] { { 12.0 } }, null, BiasMode.None),
                new Layer(Activation.Tanh, new[,] { { 10.0 } }, null, BiasMode.None),
                new Layer(Activation.Relu, new[,] { { 0.0 } }, [9.0], BiasMode.Trainable)],
            LossKind.HalfMse, 1, [[8.0]], [[0.0]]);
        var definitions = new TextbookDefinitionsFloat64();
        Assert.Equal(0.0, definitions.Forward(n).Outputs[0][0]);                          // relu(NaN) = 0, exactly 9
        PropertyVerdict v = Oracle.Properties.ForwardAgreesWithExactValues(definitions, n, Precision.Float64);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Range, v.Zone);
        Truth truth = Truth.For(n, Precision.Float64);
        Assert.Equal(("tanh-exp-overflow", Formulation.TanhFromExponentials), (truth.RangeCause.Kind, truth.RangeCause.By));
        Assert.DoesNotContain(Oracle.Properties.Run(definitions, n, Precision.Float64), x => x.Verdict.Zone == Zone.Wrong);
        Assert.Empty(Oracle.Properties.Run(new TextbookFloat64(), n, Precision.Float64));   // the library's tanh: every property agrees
    }

    /// <summary>σ = e^net/(1 + e^net) at net = 100 in float32 is ∞/∞ = NaN: a range finding of the sigmoid
    /// from exponentials, not a bug (and not a broken protocol); 1/(1 + e^−net) answers 1 there.</summary>
    [Fact]
    public void Sigma_from_exponentials_that_overflows_is_a_range_finding_not_a_bug()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 20.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.5, [[5.0]], [[1.0]]);
        var definitions = new TextbookDefinitionsFloat32();
        Assert.True(double.IsNaN(definitions.Forward(n).Outputs[0][0]));
        Assert.Equal(Zone.Range, Oracle.Properties.ForwardAgreesWithExactValues(definitions, n, Precision.Float32).Zone);
        Truth truth = Truth.For(n, Precision.Float32);
        Assert.Equal(("sigmoid-exp-overflow", Formulation.SigmoidFromExponentials), (truth.RangeCause.Kind, truth.RangeCause.By));
        Assert.Equal(Zone.Agrees, Oracle.Properties.ForwardAgreesWithExactValues(new TextbookFloat32(), n, Precision.Float32).Zone);
    }

    /// <summary>PyTorch's nn.BCELoss after a sigmoid at z = −30, t = 1 (w = −10, x = 3): ∂E/∂o = (o − 1)/max(o(1 − o), 1e-12)
    /// is a tenth of what it should be, so the gradient is −0.28 where it is −3 (the first network `check`
    /// shrank PyTorch's BCELoss to was of this shape); at z = −120 its loss is 100 (ln o clamped at −100)
    /// where it is 120. Both are accuracy findings named for the clamp, not bugs. At z = −9 the clamp does
    /// not act: twice the gradient is wrong there; and where it acts, the gradient with its sign flipped
    /// (twice the whole δ away) is still wrong.</summary>
    [Theory]
    [InlineData(Precision.Float64)]
    [InlineData(Precision.Float32)]
    public void PyTorchs_binary_cross_entropy_where_its_clamp_acts_is_an_accuracy_finding_naming_it_not_a_bug(Precision precision)
    {
        static Network Unit(double w) => Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5, [[3.0]], [[1.0]]);
        var torch = new TextbookBackprop(precision, clamp: ProbabilityClamp.PyTorch);

        Network clamped = Unit(-10);
        double g = torch.Gradients(clamped).dE_dW[0][0, 0];
        Assert.InRange(g, -0.3, -0.25);                                                           // exactly −3·(1 − σ(−30)) ≈ −3
        Truth truth = Truth.For(clamped, precision);
        Assert.False(truth.OutOfRange);
        Assert.Equal(Zone.Accuracy, truth.GradientZone(0, g));
        var finding = new Finding(Zone.Accuracy, "g", g, truth.Exact.Gradient[0], truth.Careful.Gradient[0], truth.Textbook.Gradient[0]) { On = AnswerKind.Gradient, Index = 0 };
        Assert.Equal("probability-clamp", Tallies.CauseOf(truth, finding).Key);
        Assert.Equal(Zone.Wrong, truth.GradientZone(0, -truth.Exact.Gradient[0]));               // a sign flip is beyond what the clamp moves
        Assert.Equal(Zone.Agrees, truth.GradientZone(0, new TextbookBackprop(precision).Gradients(clamped).dE_dW[0][0, 0]));   // unclamped, o(1 − o) keeps it

        Network lnClamped = Unit(-40);
        double loss = torch.Forward(lnClamped).Loss;
        Assert.Equal(100, loss);                                                                  // exactly 120
        Assert.Equal(Zone.Accuracy, Truth.For(lnClamped, precision).LossZone(loss));

        Network unclamped = Unit(-3);
        Truth free = Truth.For(unclamped, precision);
        double right = torch.Gradients(unclamped).dE_dW[0][0, 0];
        Assert.NotEqual(Zone.Wrong, free.GradientZone(0, right));
        Assert.Equal(Zone.Wrong, free.GradientZone(0, 2 * right));
    }

    /// <summary>The network `check` shrank the ε-inside-the-logarithm implementation's first failure to: one sigmoid
    /// unit at z = 0, t = 0, whose loss ln 2 it answers as −ln(1 − ½ + 1e-7), 2e-7 low. That is an accuracy finding
    /// naming the ε in float64 (its bound: ln(1 + (ε + e)/o) for the term, about 2e-7; in float32 that is within
    /// careful arithmetic's few u of ln 2), and a loss 1e-5 off is still wrong; the
    /// same at z = −30, t = 1, where ln(o + ε) is ln 1e-7 and the gradient is nearly cut.</summary>
    [Theory]
    [InlineData(Precision.Float64, Zone.Accuracy)]
    [InlineData(Precision.Float32, Zone.Agrees)]      // 2e-7 of ln 2 is within careful float32 arithmetic's few u there
    public void A_cross_entropy_with_an_epsilon_inside_the_logarithm_is_an_accuracy_finding_naming_it_not_a_bug(Precision precision, Zone atHalf)
    {
        static Network Unit(double w, double t) => Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { w } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5, [[3.0]], [[t]]);
        var epsilon = new TextbookBackprop(precision, clamp: ProbabilityClamp.Epsilon);

        Network half = Unit(0, 0);
        double loss = epsilon.Forward(half).Loss;
        Truth truth = Truth.For(half, precision);
        Assert.InRange(Math.Log(2) - loss, 1.5e-7, 2.5e-7);                                    // −ln(½ + 1e-7) = ln 2 − 2e-7, give or take float32's 4e-8 of ln 2
        Assert.Equal(atHalf, truth.LossZone(loss));
        if (atHalf == Zone.Accuracy)
        {
            var finding = new Finding(Zone.Accuracy, "loss", loss, truth.Exact.Loss, truth.Careful.Loss, truth.Textbook.Loss) { On = AnswerKind.Loss, Index = 0 };
            Assert.Equal("probability-clamp", Tallies.CauseOf(truth, finding).Key);
        }
        Assert.Equal(Zone.Wrong, truth.LossZone(truth.Exact.Loss + 1e-5));

        Network saturated = Unit(-10, 1);
        Truth far = Truth.For(saturated, precision);
        double g = epsilon.Gradients(saturated).dE_dW[0][0, 0];
        Assert.InRange(g, -3e-6, 0);                                                           // −3·(1 − o)·o/(o + ε), o = 9.4e-14: nearly 0, exactly −3
        Assert.Equal(Zone.Accuracy, far.GradientZone(0, g));
        Assert.Equal(Zone.Wrong, far.GradientZone(0, -far.Exact.Gradient[0]));               // a sign flip is beyond what the ε moves
    }

    /// <summary>Found by a newcomer's float32 program with the softmax shifted and 1e-12 inside the logarithm (at
    /// random:4485 of seed 11, loss 27.63 for an exact 231.6): the unshifted softmax's overflow made the textbook
    /// bound infinite, and without that formulation ln o of the target's output (e^−231, 0 in float32) was a range
    /// issue of its own, hidden downstream of the first; so the answer was a range finding named after a softmax
    /// the program does not use. The in-range formulations are now found by dropping each one with an issue until
    /// none is left: here the answer is an accuracy finding of the ε. Its shape: nets 100 and −131, targets 0, 1.</summary>
    [Fact]
    public void An_epsilon_answer_beside_an_overflowing_unshifted_softmax_is_an_accuracy_finding_of_the_epsilon()
    {
        Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 100.0 }, { -131.0 } }, null, BiasMode.None)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.0]], [[0.0, 1.0]]);
        Truth truth = Truth.For(n, Precision.Float32);
        Assert.True(truth.OutOfRange);
        Assert.Equal(Formulation.All & ~(Formulation.UnshiftedSoftmax | Formulation.LossesFromProbabilities), truth.InRangeFormulations);
        float o1 = (float)Math.Exp(-231.0);                                   // the shifted softmax's e^−231/(1 + e^−231): 0 in float32
        double loss = (float)-Math.Log((float)(o1 + 1e-12f));                // −ln(0 + 1e-12) = 27.63
        Assert.Equal(Zone.Accuracy, truth.LossZone(loss));
        var finding = new Finding(Zone.Accuracy, "loss", loss, truth.Exact.Loss, truth.Careful.Loss, truth.Textbook.Loss) { On = AnswerKind.Loss, Index = 0 };
        Assert.Equal("probability-clamp", Tallies.CauseOf(truth, finding).Key);
        Assert.Equal(Zone.Range, truth.LossZone(1000));                       // beyond even the ε's move: a range finding still
    }

    /// <summary>Found by the Rust newcomer (random:720 of seed 20261207, plain float64): ln(1 − o) from the probability
    /// at z = 36.44, t = 0, where o = σ(z) rounds to 1 − 2⁻⁵², gives the loss −ln 2⁻⁵² = 36.04 for an exact 36.44. There
    /// o may round to 1 (ln 0), so the cross-entropy from probabilities has no finite bound and left the candidates,
    /// and the clamp's wide bound was the only one to cover the loss: it was named, in code with no clamp. A finite
    /// loss within what the form gives when its answer comes out finite (1 − o at least 2⁻⁵³, here up to 1.09 off) is
    /// now named after it; a loss 2 off is beyond that, and stays the clamp's (an ε's or a clip's).</summary>
    [Fact]
    public void A_rounded_probabilitys_loss_where_o_may_round_to_one_is_named_after_the_cross_entropy_from_probabilities_not_a_clamp()
    {
        Network n = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.5, [[36.44]], [[0.0]]);
        Truth truth = Truth.For(n);
        Assert.True(truth.OutOfRange);
        Assert.Equal(Formulation.LossesFromProbabilities, truth.RangeCause.By);
        double o = 1 / (1 + Math.Exp(-36.44)), loss = -Math.Log(1 - o);
        Assert.Equal(1 - Math.ScaleB(1, -52), o);
        Assert.Equal(52 * Math.Log(2), loss);
        Assert.Equal(Zone.Accuracy, truth.LossZone(loss));
        Finding At(double answer) => new(Zone.Accuracy, "loss", answer, truth.Exact.Loss, truth.Careful.Loss, truth.LossBound(Zone.Accuracy)) { On = AnswerKind.Loss, Index = 0 };
        Assert.Equal("cross-entropy-from-probabilities", Tallies.CauseOf(truth, At(loss)).Key);
        Assert.Equal(Math.Log(4 * Math.ScaleB(1, -53)) + truth.Exact.Loss, Causes.FiniteLossFromProbabilities(truth), 12);
        Assert.Equal(Zone.Accuracy, truth.LossZone(truth.Exact.Loss - 2));
        Assert.Equal("probability-clamp", Tallies.CauseOf(truth, At(truth.Exact.Loss - 2)).Key);
    }

    /// <summary>The same rule leaves a loss that a common formulation explains alone with that formulation: a tanh
    /// unit at net 10⁻⁶ (tanh from exponentials keeps about 10 digits there) feeds the sigmoid at z = 36.44, so z is
    /// known to about 36.44·5.5e-11 = 2e-9 and so is the loss; a loss 10⁻⁹ off is that tanh's, though the cross-
    /// entropy from probabilities would round it as far (and the clamp's bound covers it too).</summary>
    [Fact]
    public void A_loss_a_common_formulation_explains_keeps_its_cause_where_o_may_round_to_one()
    {
        Network n = Network.Create(1, [new Layer(Activation.Tanh, new[,] { { 1.0 } }, null, BiasMode.None),
                                       new Layer(Activation.Sigmoid, new[,] { { 3.644e7 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.5, [[1e-6]], [[0.0]]);
        Truth truth = Truth.For(n);
        Assert.Equal(Formulation.LossesFromProbabilities, truth.RangeCause.By);
        double answer = truth.Exact.Loss + 1e-9;
        Assert.True(truth.Careful.Loss < 1e-10);
        Assert.True(1e-9 < Causes.FiniteLossFromProbabilities(truth));
        var finding = new Finding(Zone.Accuracy, "loss", answer, truth.Exact.Loss, truth.Careful.Loss, truth.LossBound(Zone.Accuracy)) { On = AnswerKind.Loss, Index = 0 };
        Assert.Equal(Zone.Accuracy, truth.LossZone(answer));
        Assert.Equal("tanh-from-exponentials", Tallies.CauseOf(truth, finding).Key);
    }

    /// <summary>One tanh unit overflows tanh from exponentials in float32 (net 50: e^100 is no float32), so
    /// every bound downstream is infinite; the other (net 3) is computed by the textbook as 1 − out², which
    /// cancels. The finding is an accuracy finding of 1 − out² (within the bound of the formulations that
    /// stay in range), not a range finding of a form the implementation does not use.</summary>
    [Fact]
    public void Beside_a_unit_out_of_range_a_finding_within_the_other_forms_bounds_is_an_accuracy_finding_of_its_own_cause()
    {
        Network n = Network.Create(1, [
                new Layer(Activation.Tanh, new[,] { { 50.0 }, { 3.0 } }, null, BiasMode.None),
                new Layer(Activation.Identity, new[,] { { 1.0, 1.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.5, [[1.0]], [[0.0]]);
        Truth truth = Truth.For(n, Precision.Float32);
        Assert.True(truth.OutOfRange);
        Assert.True(double.IsInfinity(truth.Textbook.Gradient[1]) && double.IsFinite(truth.InRange.Gradient[1]));
        PropertyVerdict v = Oracle.Properties.GradientsAgreeWithExactValues(new TextbookFloat32(), n, Precision.Float32);
        Output.WriteLine(v.Message);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Finding f = v.Findings[0];
        Assert.Equal(truth.InRange.Gradient[f.Index], f.Textbook);                         // shown with the bound it was judged by
        Assert.Equal("tanh-derivative-from-out", Tallies.CauseOf(truth, f).Key);
        // the overflowing form's infinite bound covers any deviation: it is not named beside one that explains it
        Assert.DoesNotContain("tanh-from-exponentials", Causes.Explain(truth, f).Select(c => c.Key));
    }

    /// <summary>The wide textbook bound does not hide bugs: the textbook implementation with its gradient
    /// negated, or with a factor of two, is wrong on the first network that shows it.</summary>
    [Theory]
    [InlineData(Precision.Float64, -1.0)]
    [InlineData(Precision.Float32, -1.0)]
    [InlineData(Precision.Float64, 2.0)]
    [InlineData(Precision.Float32, 2.0)]
    public void A_bug_in_a_textbook_implementation_is_still_wrong(Precision precision, double factor)
    {
        var buggy = new Scaled(new TextbookBackprop(precision), factor);
        for (int i = 0; i < 50; i++)
        {
            Network n = NetworkGen.Sample(RunSettings.Seed, i, 50, buggy.Capabilities);
            if (Oracle.Properties.GradientsAgreeWithExactValues(buggy, n, precision).Zone == Zone.Wrong) return;
        }
        Assert.Fail($"a gradient scaled by {factor} was never called wrong in 50 networks");
    }

    sealed class Scaled(IBackprop inner, double factor) : IBackprop
    {
        public string Name => $"{inner.Name} x{factor}";
        public Capabilities Capabilities => inner.Capabilities;
        public Evaluation Forward(Network n) => inner.Forward(n);
        public Parameters Step(Network n) => inner.Step(n);
        public Gradients Gradients(Network n)
        {
            Gradients g = inner.Gradients(n);
            return g with
            {
                dE_dW = g.dE_dW.Select(w => { var c = (double[,])w.Clone(); for (int j = 0; j < c.GetLength(0); j++) for (int i = 0; i < c.GetLength(1); i++) c[j, i] *= factor; return c; }).ToArray(),
                dE_db = g.dE_db.Select(b => b?.Select(v => v * factor).ToArray()).ToArray(),
            };
        }
    }
}
