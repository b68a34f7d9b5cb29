using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Diagnosing;

/// <summary>
/// The matching half of the diagnosis (Diagnosis.cs, Diagnosis.Classes.cs, Diagnosis.Observation.cs,
/// Diagnosis.Probes.cs), one decision per test: which class is named for which planted bug, which
/// wrong answers a class explains or leaves open, when the probes are asked and what they show, and
/// the thresholds one step either side. The answers are built by hand and given to
/// <see cref="Diagnosis.Explain"/> (no property run), so the whole class takes about a second; only
/// the tests of <see cref="Diagnosis.Diagnose"/> itself run an implementation.
/// The networks are the diagnosis's own probes (two hidden layers of two units, biases trainable,
/// frozen, trainable, η = 0.1), with a third example where a factor must not coincide: m = 3, K = 2.
/// </summary>
public class DiagnosisMatchingTests(ITestOutputHelper output)
{
    static readonly Capabilities Smooth = new([Activation.Tanh, Activation.Sigmoid, Activation.Identity, Activation.Softmax], Loss.All);

    static Network Probe(LossKind loss) => Diagnosis.Probes(Smooth with { Losses = [loss] }).Single();

    /// <summary>The probe with a third example: m = 3 differs from 2 and from K = 2.</summary>
    static Network ThreeExamples(LossKind loss)
    {
        Network p = Probe(loss);
        double[] t = loss switch { LossKind.SoftmaxCrossEntropy => [0.5, 0.5], LossKind.BinaryCrossEntropy => [0, 0.6], _ => [0.4, 0.6] };
        return p.WithBatch([.. p.X, [0.5, 0.2]], [.. p.T, t]);
    }

    static double[] Exact(Network n, Precision precision = Precision.Float64)
    {
        Truth truth = Truth.For(n, precision);
        return truth.Exact.Gradient.Select((hi, k) => hi + truth.Exact.GradientLo[k]).ToArray();
    }

    static double[] Before(Network n) => Parameters.Of(n).Flatten();

    /// <summary>From the parameter names, not from the diagnosis's own bookkeeping.</summary>
    static bool IsBias(Network n, int k) => ParameterIndex.Names(n)[k].Contains(".biases[");

    static bool IsFrozen(Network n, int k)
    {
        string name = ParameterIndex.Names(n)[k];
        int layer = int.Parse(name["layers[".Length..name.IndexOf(']')]);
        return IsBias(n, k) && n.Layers[layer].Bias == BiasMode.Frozen;
    }

    static Evaluation Correct(Network n) => new ReferenceBackprop().Forward(n);

    static Diagnosis.Answer GradientsAnswer(Network n, double[] g, double? loss = null, double[][]? outputs = null)
    {
        Evaluation e = Correct(n);
        Parameters p = Expected.Reshape(n, g);
        return new(n, new Gradients(outputs ?? e.Outputs, loss ?? e.Loss, p.W, p.B));
    }

    static Diagnosis.Answer StepAnswer(Network n, double[] after) => new(n, Expected.Reshape(n, after));

    /// <summary>W − rate·g for trainable entries; a frozen bias − frozenRate·g (0: unchanged).</summary>
    static double[] StepBy(Network n, double[] g, double rate, double frozenRate = 0) =>
        Before(n).Select((w, k) => w - (IsFrozen(n, k) ? frozenRate : rate) * g[k]).ToArray();

    /// <summary>The gradients g and a step (by default the right one for g) on one network.</summary>
    Diagnosis.Result Explain(Network n, double[] g, double[]? after = null, Precision precision = Precision.Float64, double? loss = null)
    {
        Diagnosis.Result d = Diagnosis.Explain([GradientsAnswer(n, g, loss), StepAnswer(n, after ?? StepBy(n, g, n.LearningRate))], precision);
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        return d;
    }

    Diagnosis.Result Explain(params Diagnosis.Answer[] answers) => Explain(answers, null);

    Diagnosis.Result Explain(Diagnosis.Answer[] answers, Diagnosis.Answer[]? probes, Precision precision = Precision.Float64)
    {
        Diagnosis.Result d = Diagnosis.Explain(answers, precision, probes);
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        return d;
    }

    /// <summary>The class is named alone and leaves no wrong answer unexplained.</summary>
    static void NamedAloneExplainingAll(Bug bug, Diagnosis.Result d)
    {
        Assert.Equal([bug], d.Classes);
        Assert.DoesNotContain("unexplained", d.Pattern);
    }

    static double[] Times(double[] g, Func<int, double> factor) => g.Select((x, k) => factor(k) * x).ToArray();

    // ---------------------------------------------------------------- structural classes: the mutant's answers

    public static TheoryData<Bug, LossKind> StructuralBugs => new()
    {
        { Bug.MissingActivationDerivative, LossKind.HalfSse },
        { Bug.TransposedWeights, LossKind.HalfMse },
        { Bug.BiasNotSummed, LossKind.HalfSse },
        { Bug.UpdatedWeightsInBackprop, LossKind.HalfMse },
        { Bug.SoftmaxJacobianTwice, LossKind.SoftmaxCrossEntropy },
        { Bug.ErrorTimesError, LossKind.HalfSse },
        { Bug.ElementwiseInputWeights, LossKind.BinaryCrossEntropy },
        { Bug.MissingOutputDerivative, LossKind.HalfMse },
        { Bug.DerivativeOfOutput, LossKind.BinaryCrossEntropy },
        { Bug.SigmoidDerivativeEverywhere, LossKind.SoftmaxCrossEntropy },
        { Bug.PropagationWithoutWeights, LossKind.HalfSse },
        { Bug.PropagatesBeforeDerivative, LossKind.BinaryCrossEntropy },
        { Bug.GradientNotAccumulated, LossKind.HalfMse },
        { Bug.UsesNetNotOut, LossKind.SoftmaxCrossEntropy },
        { Bug.CrossEntropyDerivativeTwice, LossKind.BinaryCrossEntropy },
    };

    /// <summary>Gradient-not-accumulated also contains bias-not-summed's answers (its biases are the last
    /// example's too): the class that explains more is named, not both.</summary>
    [Theory]
    [MemberData(nameof(StructuralBugs))]
    public void The_mutants_answers_on_a_probe_are_named_as_its_class_alone(Bug bug, LossKind loss)
    {
        Network n = ThreeExamples(loss);
        var mutant = new Mutant(bug);
        NamedAloneExplainingAll(bug, Explain(GradientsAnswer(n, mutant.Gradients(n).Flatten()), StepAnswer(n, mutant.Step(n).Flatten())));
    }

    /// <summary>The diagnosis compares answers with the exact gradient rounded once, hi + lo of its double-double: at
    /// an identity unit whose exact gradient is 1 + 2⁻⁵⁴ + 2⁻⁶⁰ (net = w·x + b with b = 2⁻⁵⁴ + 2⁻⁶⁰, t = 0) that is 1,
    /// the nearest double; hi − lo would be 1 − 2⁻⁵³, one ulp off, where 1 is a power of two.</summary>
    [Fact]
    public void The_exact_gradient_the_diagnosis_compares_with_is_the_double_nearest_it()
    {
        double b = Math.ScaleB(1, -54) + Math.ScaleB(1, -60);
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, [b], BiasMode.Trainable)], LossKind.HalfSse, 0.5, [[1.0]], [[0.0]]);
        Truth truth = Truth.For(n);
        Assert.Equal((1.0, b), (truth.Exact.Gradient[0], truth.Exact.GradientLo[0]));   // the double-double, exact
        var o = new Diagnosis.Observation(0, n, truth, null, null, null);
        Assert.Equal([1.0, 1.0], o.ExactGradient);
    }

    /// <summary>The same for the loss the classes predict from: at b = 2⁻⁵⁵ + 2⁻⁶⁰ the exact loss ½(1 + b)² is ½ + δ with
    /// δ just above 2⁻⁵⁵, whose nearest double is ½; hi − lo would be ½ − 2⁻⁵⁴, one ulp below the power of two.</summary>
    [Fact]
    public void The_exact_loss_the_diagnosis_compares_with_is_the_double_nearest_it()
    {
        double b = Math.ScaleB(1, -55) + Math.ScaleB(1, -60);
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, [b], BiasMode.Trainable)], LossKind.HalfSse, 0.5, [[1.0]], [[0.0]]);
        Truth truth = Truth.For(n);
        Assert.Equal(0.5, truth.Exact.Loss);
        Assert.InRange(truth.Exact.LossLo, Math.ScaleB(1, -55), Math.ScaleB(1, -54));
        Assert.Equal(0.5, new Diagnosis.Observation(0, n, truth, null, null, null).ExactLoss);
    }

    /// <summary>004 has nets of exactly 0 at its ReLUs: relu′(0) = 1 shows there and nowhere on the (kink-free) probes.</summary>
    [Fact]
    public void Relu_derivative_one_at_zero_is_named_on_the_worked_example_with_exact_zeros()
    {
        Network n = Examples.Load("004");
        var mutant = new Mutant(Bug.ReluDerivativeOneAtZero);
        NamedAloneExplainingAll(Bug.ReluDerivativeOneAtZero, Explain(GradientsAnswer(n, mutant.Gradients(n).Flatten()), StepAnswer(n, mutant.Step(n).Flatten())));
    }

    /// <summary>The variant of a detail real code differs in: the gradients op updating as it goes too
    /// (its wrong gradients explained as well), the Jacobian's diagonal alone.</summary>
    [Fact]
    public void The_variants_of_a_class_are_named_as_the_class_and_explain_every_answer()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        var shared = new Mutant(Bug.UpdatedWeightsInBackprop) { UpdatesInGradients = true };
        Diagnosis.Result updating = Explain(GradientsAnswer(n, shared.Gradients(n).Flatten()), StepAnswer(n, shared.Step(n).Flatten()));
        Assert.Contains("the gradients of layers[0] are wrong", updating.Pattern);
        NamedAloneExplainingAll(Bug.UpdatedWeightsInBackprop, updating);

        Network s = ThreeExamples(LossKind.SoftmaxCrossEntropy);
        var diagonal = new Mutant(Bug.SoftmaxJacobianTwice) { DiagonalJacobian = true };
        NamedAloneExplainingAll(Bug.SoftmaxJacobianTwice, Explain(GradientsAnswer(s, diagonal.Gradients(s).Flatten()), StepAnswer(s, diagonal.Step(s).Flatten())));
    }

    /// <summary>2 inputs, 3 tanh units, 2 sigmoid units, 2 sigmoid outputs: W of layer 1 is 2×3, so a
    /// transposition reads W[2][j], which does not exist, for layer 0's unit 2.</summary>
    static Network NotSquare() => Network.Create(2,
        [
            new Layer(Activation.Tanh, new[,] { { 0.61, -0.42 }, { 0.35, 0.78 }, { -0.2, 0.5 } }, [0.13, -0.27, 0.05], BiasMode.Trainable),
            new Layer(Activation.Sigmoid, new[,] { { -0.53, 0.91, 0.3 }, { 0.72, 0.26, -0.6 } }, [0.18, -0.09], BiasMode.Trainable),
            new Layer(Activation.Sigmoid, new[,] { { 0.47, -0.66 }, { -0.31, 0.84 } }, [-0.11, 0.23], BiasMode.Trainable),
        ], LossKind.HalfSse, 0.1, [[0.9, -0.4], [-0.3, 0.7], [0.5, 0.2]], [[0.2, 0.9], [0.7, 0.1], [0.4, 0.6]]);

    /// <summary>
    /// A transposition that reads 0.7 where W[i][j] does not exist: the zoos' variant (0 there) is
    /// contradicted, the open variant names the class and leaves the entries the fill decides open
    /// (explained in kind): nothing is unexplained. One more wrong entry the transposition does not
    /// touch (an output-layer weight, 3×) is the one answer left unexplained.
    /// </summary>
    [Fact]
    public void Entries_a_transposition_fill_decides_are_left_open_not_unexplained()
    {
        Network n = NotSquare();
        double[] g = new Mutant(Bug.TransposedWeights) { TransposedFill = 0.7 }.Gradients(n).Flatten();
        Assert.NotEqual(g, new Mutant(Bug.TransposedWeights).Gradients(n).Flatten());
        NamedAloneExplainingAll(Bug.TransposedWeights, Explain(n, g));

        int output = Array.IndexOf(ParameterIndex.Names(n), "layers[2].weights[0][0]");
        g[output] *= 3;
        Diagnosis.Result d = Explain(n, g);
        Assert.Equal([Bug.TransposedWeights], d.Classes);
        Assert.Contains("the named classes leave 1 wrong answer unexplained (1 gradient entry)", d.Pattern);
    }

    // ---------------------------------------------------------------- factor classes: the exact gradient times a factor

    [Theory]
    [InlineData(LossKind.HalfSse)]
    [InlineData(LossKind.HalfMse)]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    public void Minus_the_exact_gradient_is_sign_flip_under_every_loss(LossKind loss)
    {
        Network n = ThreeExamples(loss);
        NamedAloneExplainingAll(Bug.SignFlip, Explain(n, Times(Exact(n), _ => -1)));
    }

    [Theory]
    [InlineData(LossKind.HalfSse)]
    [InlineData(LossKind.HalfMse)]
    public void Twice_the_exact_gradient_is_gradient_factor_two_under_a_squared_loss(LossKind loss)
    {
        Network n = ThreeExamples(loss);
        NamedAloneExplainingAll(Bug.GradientFactorTwo, Explain(n, Times(Exact(n), _ => 2)));
    }

    /// <summary>A cross-entropy's fused δ has no ½ to drop: gradient-factor-two predicts nothing there.</summary>
    [Theory]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    public void Twice_the_exact_gradient_under_a_cross_entropy_names_no_class(LossKind loss)
    {
        Network n = ThreeExamples(loss);
        Diagnosis.Result d = Explain(n, Times(Exact(n), _ => 2));
        Assert.Empty(d.Classes);
        Assert.Contains("2x the exact values", d.Pattern);
    }

    [Theory]
    [InlineData(LossKind.HalfMse)]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    public void M_times_the_exact_gradient_is_missing_one_over_m_under_a_mean_loss(LossKind loss)
    {
        Network n = ThreeExamples(loss);
        NamedAloneExplainingAll(Bug.MissingOneOverM, Explain(n, Times(Exact(n), _ => 3)));
    }

    /// <summary>A newcomer's fused cross-entropy δ = o − t without its /m, the squared losses right: m times the
    /// exact gradient under the cross-entropies and the exact one under half-mse is the same class, left out in the
    /// fused delta only (before this variant, the half-mse network contradicted the class and none was named).</summary>
    [Theory]
    [InlineData(LossKind.BinaryCrossEntropy)]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    public void M_times_the_exact_gradient_under_a_cross_entropy_only_is_missing_one_over_m_in_its_fused_delta(LossKind loss)
    {
        Network ce = ThreeExamples(loss), mse = ThreeExamples(LossKind.HalfMse);
        double[] g = Times(Exact(ce), _ => 3), right = Exact(mse);
        Diagnosis.Result d = Explain(GradientsAnswer(ce, g), StepAnswer(ce, StepBy(ce, g, ce.LearningRate)),
            GradientsAnswer(mse, right), StepAnswer(mse, StepBy(mse, right, mse.LearningRate)));
        Assert.Equal([Bug.MissingOneOverM], d.Classes);
    }

    [Fact]
    public void M_times_the_exact_gradient_under_half_sse_names_no_class()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Assert.Empty(Explain(n, Times(Exact(n), _ => 3)).Classes);
    }

    [Fact]
    public void One_mth_of_the_exact_gradient_is_extra_one_over_m_under_half_sse()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        NamedAloneExplainingAll(Bug.ExtraOneOverM, Explain(n, Times(Exact(n), _ => 1.0 / 3)));
    }

    [Fact]
    public void One_mth_of_the_exact_gradient_under_half_mse_names_no_class()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        Assert.Empty(Explain(n, Times(Exact(n), _ => 1.0 / 3)).Classes);
    }

    /// <summary>K = 2 outputs: the loss and every gradient halved.</summary>
    [Fact]
    public void Loss_and_gradient_over_k_is_mean_over_outputs_too_under_half_mse()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        NamedAloneExplainingAll(Bug.MeanOverOutputsToo, Explain(n, Times(Exact(n), _ => 0.5), loss: Correct(n).Loss / 2));
    }

    /// <summary>The class changes the loss too: a right loss contradicts it.</summary>
    [Fact]
    public void Gradient_over_k_with_the_loss_right_is_not_mean_over_outputs_too()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        Assert.Empty(Explain(n, Times(Exact(n), _ => 0.5)).Classes);
    }

    [Fact]
    public void Loss_and_gradient_over_k_under_half_sse_names_no_class()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Assert.Empty(Explain(n, Times(Exact(n), _ => 0.5), loss: Correct(n).Loss / 2).Classes);
    }

    /// <summary>Only the forward pass asked: the loss alone is what the class explains.</summary>
    [Fact]
    public void A_loss_over_k_alone_is_mean_over_outputs_too()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        Evaluation e = Correct(n);
        Diagnosis.Result d = Explain(new Diagnosis.Answer(n, e with { Loss = e.Loss / 2 }));
        Assert.Equal([Bug.MeanOverOutputsToo], d.Classes);
        Assert.Contains("the loss is wrong on 1 of 1 networks", d.Pattern);
    }

    /// <summary>Every bias, the frozen one too (its gradient is still asked), reported 0.</summary>
    [Fact]
    public void Every_bias_gradient_zero_is_bias_gradient_zero()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Diagnosis.Result d = Explain(n, Times(Exact(n), k => IsBias(n, k) ? 0 : 1));
        Assert.Equal([Bug.BiasGradientZero], d.Classes);
        Assert.DoesNotContain("unexplained", d.Pattern);
    }

    [Fact]
    public void Zero_trainable_bias_gradients_with_the_frozen_ones_right_are_not_bias_gradient_zero()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Assert.Empty(Explain(n, Times(Exact(n), k => IsBias(n, k) && !IsFrozen(n, k) ? 0 : 1)).Classes);
    }

    [Fact]
    public void Zero_weight_gradients_are_not_bias_gradient_zero()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Assert.Empty(Explain(n, Times(Exact(n), k => IsBias(n, k) ? 1 : 0)).Classes);
    }

    // ---------------------------------------------------------------- step rules: on the implementation's own gradient

    [Fact]
    public void A_step_that_adds_eta_g_is_step_climbs()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        NamedAloneExplainingAll(Bug.StepClimbs, Explain(n, Exact(n), StepBy(n, Exact(n), -n.LearningRate)));
    }

    [Fact]
    public void A_step_of_minus_g_is_learning_rate_ignored()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        NamedAloneExplainingAll(Bug.LearningRateIgnored, Explain(n, Exact(n), StepBy(n, Exact(n), 1)));
    }

    [Fact]
    public void A_step_with_the_last_examples_first_output_as_rate_is_learning_rate_is_output()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double rate = Correct(n).Outputs[2][0];
        NamedAloneExplainingAll(Bug.LearningRateIsOutput, Explain(n, Exact(n), StepBy(n, Exact(n), rate)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 1)]
    public void A_step_with_another_output_as_rate_names_no_class(int example, int unit)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double rate = Correct(n).Outputs[example][unit];
        Assert.Empty(Explain(n, Exact(n), StepBy(n, Exact(n), rate)).Classes);
    }

    /// <summary>Without outputs of the network's shape the rate of learning-rate-is-output is unknown (NaN): nothing is compared.</summary>
    [Fact]
    public void Learning_rate_is_output_is_not_named_when_the_outputs_came_back_malformed()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[][] outputs = Correct(n).Outputs;
        Diagnosis.Result d = Explain(GradientsAnswer(n, Exact(n), outputs: outputs[..2]), StepAnswer(n, StepBy(n, Exact(n), outputs[2][0])));
        Assert.Empty(d.Classes);
        Assert.Contains("the step does not follow", d.Pattern);
        Assert.Contains("no outputs of the right shape came back: the forward pass could not be judged", d.Pattern);
    }

    [Fact]
    public void Frozen_biases_moved_by_minus_eta_g_are_frozen_bias_moved()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Diagnosis.Result d = Explain(n, Exact(n), StepBy(n, Exact(n), n.LearningRate, frozenRate: n.LearningRate));
        Assert.Equal([Bug.FrozenBiasMoved], d.Classes);
        Assert.Contains("2 frozen biases moved", d.Pattern);
    }

    [Fact]
    public void Frozen_biases_moved_by_minus_g_are_not_frozen_bias_moved()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Assert.Empty(Explain(n, Exact(n), StepBy(n, Exact(n), n.LearningRate, frozenRate: 1)).Classes);
    }

    /// <summary>Step-climbs keeps the frozen biases, as the right step does: it predicts nothing there, so
    /// frozen biases that climb too neither confirm nor contradict it, and stay unexplained.</summary>
    [Fact]
    public void A_climbing_step_that_moves_the_frozen_biases_too_is_step_climbs_with_the_frozen_ones_unexplained()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Diagnosis.Result d = Explain(n, Exact(n), StepBy(n, Exact(n), -n.LearningRate, frozenRate: -n.LearningRate));
        Assert.Equal([Bug.StepClimbs], d.Classes);
        Assert.Contains("the named classes leave 2 wrong answers unexplained (2 step entries)", d.Pattern);
    }

    /// <summary>A step rule is judged on the implementation's own gradient (2× here), so the gradient bug and
    /// the step bug are seen apart; 18 gradient entries explained before 16 step entries.</summary>
    [Fact]
    public void A_climbing_step_on_a_doubled_gradient_names_both_the_class_that_explains_more_first()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] doubled = Times(Exact(n), _ => 2);
        Assert.Equal([Bug.GradientFactorTwo, Bug.StepClimbs], Explain(n, doubled, StepBy(n, doubled, -n.LearningRate)).Classes);
    }

    /// <summary>A wrong gradient reported while the step follows the exact one: no step entry is wrong.</summary>
    [Fact]
    public void A_step_that_follows_the_exact_gradient_is_not_wrong_while_the_reported_gradient_is()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Diagnosis.Result d = Explain(n, Times(Exact(n), _ => -1), StepBy(n, Exact(n), n.LearningRate));
        Assert.Equal([Bug.SignFlip], d.Classes);
        Assert.Contains("the step is right: it follows the exact gradient", d.Pattern);
    }

    // ---------------------------------------------------------------- ordering and containment of the named classes

    /// <summary>m = 2 under half-mse: ×m and ×2 are the same answers, explained equally: both named, in the order of the bug list.</summary>
    [Fact]
    public void Two_classes_that_explain_the_same_answers_are_both_named_in_the_order_of_the_bug_list()
    {
        Network n = Probe(LossKind.HalfMse);
        Assert.Equal([Bug.MissingOneOverM, Bug.GradientFactorTwo], Explain(n, Times(Exact(n), _ => 2)).Classes);
    }

    [Fact]
    public void Bias_not_summed_alone_is_named_when_only_the_biases_are_the_last_examples()
    {
        Network n = ThreeExamples(LossKind.HalfMse);
        double[] g = new Mutant(Bug.GradientNotAccumulated).Gradients(n).Flatten(), exact = Exact(n);
        NamedAloneExplainingAll(Bug.BiasNotSummed, Explain(n, g.Select((x, k) => IsBias(n, k) ? x : exact[k]).ToArray()));
    }

    /// <summary>
    /// Two classes that explain as many answers: the one whose predictions were put to the test more
    /// often comes first. On a half-sse network with every bias trainable the gradients are doubled and
    /// the step climbs on them (18 gradient and 18 step entries); on a cross-entropy network, where
    /// gradient-factor-two predicts nothing, the gradients are sign-flipped and the step is the right one:
    /// step-climbs predicts it (W + η·(−g)), so it is tested there 16 more times without explaining more.
    /// </summary>
    [Fact]
    public void Of_two_classes_that_explain_as_much_the_one_tested_more_comes_first()
    {
        Network sse = ThreeExamples(LossKind.HalfSse);
        sse = sse.WithLayers(sse.Layers.Select(l => new Layer(l.Activation, l.W, l.B, BiasMode.Trainable)).ToArray());
        Network bce = ThreeExamples(LossKind.BinaryCrossEntropy);
        double[] doubled = Times(Exact(sse), _ => 2), flipped = Times(Exact(bce), _ => -1);
        Diagnosis.Result d = Explain(
            GradientsAnswer(sse, doubled), StepAnswer(sse, StepBy(sse, doubled, -sse.LearningRate)),
            GradientsAnswer(bce, flipped), StepAnswer(bce, StepBy(bce, Exact(bce), bce.LearningRate)));
        Assert.Equal([Bug.StepClimbs, Bug.GradientFactorTwo], d.Classes);
        Assert.Contains("the named classes leave 18 wrong answers unexplained (18 gradient entries)", d.Pattern);
    }

    static Network AllTrainable(Network n) => n.WithLayers(n.Layers.Select(l => new Layer(l.Activation, l.W, l.B, BiasMode.Trainable)).ToArray());

    /// <summary>Every bias trainable: the doubled gradients (18 entries) and the climbing step on them
    /// (18 entries) are explained equally and tested equally, so the order of the bug list decides.</summary>
    [Fact]
    public void Of_two_classes_that_explain_as_much_and_were_tested_as_often_the_first_in_the_bug_list_comes_first()
    {
        Network n = AllTrainable(ThreeExamples(LossKind.HalfSse));
        double[] doubled = Times(Exact(n), _ => 2);
        Diagnosis.Result d = Explain(n, doubled, StepBy(n, doubled, -n.LearningRate));
        Assert.Equal([Bug.GradientFactorTwo, Bug.StepClimbs], d.Classes);
        Assert.DoesNotContain("unexplained", d.Pattern);
    }

    /// <summary>
    /// A step rule is tested only where it predicts something other than the right step: frozen-bias-moved
    /// predicts the trainable entries as W − η·g, so it is tested on the 2 frozen biases it explains and
    /// nowhere else. Gradient-factor-two explains the 2 entries of a one-unit half-sse network (a weight
    /// and a bias, tested there only; under cross-entropy it predicts nothing). Equal: the bug list decides.
    /// </summary>
    [Fact]
    public void A_step_rule_is_tested_only_where_it_predicts_another_step_than_the_right_one()
    {
        Network tiny = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 0.8 } }, [0.3], BiasMode.Trainable)],
                                      LossKind.HalfSse, 0.1, [[0.5], [-0.7]], [[0.1], [0.9]]);
        Network bce = ThreeExamples(LossKind.BinaryCrossEntropy);
        double[] doubled = Times(Exact(tiny), _ => 2);
        Diagnosis.Result d = Explain(
            GradientsAnswer(tiny, doubled), StepAnswer(tiny, StepBy(tiny, doubled, tiny.LearningRate)),
            GradientsAnswer(bce, Exact(bce)), StepAnswer(bce, StepBy(bce, Exact(bce), bce.LearningRate, frozenRate: bce.LearningRate)));
        Assert.Equal([Bug.GradientFactorTwo, Bug.FrozenBiasMoved], d.Classes);
    }

    /// <summary>Each step rule compares only the entries it changes: step-climbs the trainable ones,
    /// frozen-bias-moved the frozen ones, so a step that does both is both.</summary>
    [Fact]
    public void A_climbing_step_that_also_moves_the_frozen_biases_by_minus_eta_g_is_both_step_classes()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Diagnosis.Result d = Explain(n, Exact(n), StepBy(n, Exact(n), -n.LearningRate, frozenRate: n.LearningRate));
        Assert.Equal([Bug.StepClimbs, Bug.FrozenBiasMoved], d.Classes);
        Assert.DoesNotContain("unexplained", d.Pattern);
    }

    /// <summary>
    /// Bias gradients reported as 5e-7·S (S the largest gradient) instead of 0: within the normwise part
    /// 1e-6·S of the tolerance (S over the prediction and the exact gradient together, here the output
    /// bias's exact value), so still bias-gradient-zero; at 2e-6·S they are not 0.
    /// </summary>
    [Theory]
    [InlineData(5e-7, true)]
    [InlineData(2e-6, false)]
    public void Bias_gradients_within_the_normwise_tolerance_of_zero_are_bias_gradient_zero(double times, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] exact = Exact(n);
        double largest = exact.Max(Math.Abs);
        Diagnosis.Result d = Explain(n, exact.Select((x, k) => IsBias(n, k) ? times * largest : x).ToArray());
        Assert.Equal(named, d.Classes.SequenceEqual([Bug.BiasGradientZero]));
    }

    // ---------------------------------------------------------------- the loose tolerance of a comparison

    /// <summary>
    /// A sign flip whose largest entry e is off by ε·|e|: |a − g| = ε|e| against the tolerance
    /// 1e-4·(|a| + |g|) + 1e-6·S + 2m·B = (1e-4·(2 + ε) + 1e-6)·|e| + 2m·B, with S = |e| the largest
    /// number and B (~1e-13·|e|) negligible: the edge is at ε = 2.01e-4/(1 − 1e-4) ≈ 2.01020e-4. Two
    /// hundred-thousandths of it either side.
    /// </summary>
    [Theory]
    [InlineData(2.0098e-4, true)]
    [InlineData(2.0106e-4, false)]
    public void A_sign_flip_is_named_up_to_the_loose_tolerance_and_no_further(double epsilon, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] exact = Exact(n), g = Times(exact, _ => -1);
        int largest = Array.IndexOf(exact, exact.MaxBy(Math.Abs));
        g[largest] *= 1 + epsilon;
        Assert.Equal(named, Explain(n, g).Classes.SequenceEqual([Bug.SignFlip]));
    }

    /// <summary>
    /// The same on the smallest entry e (a few percent of the largest, S): off by d = 2e-4·|e| + c·1e-6·S,
    /// against the tolerance 1e-4·(2|e| + d) + 1e-6·S + 2m·B, whose 1e-4·d (~1e-10·S) and 2m·B
    /// (~1e-15·S) are negligible: the normwise part decides, inside at c = 0.95, outside at c = 1.05.
    /// </summary>
    [Theory]
    [InlineData(0.95, true)]
    [InlineData(1.05, false)]
    public void A_small_entry_of_a_sign_flip_is_held_to_the_normwise_part_of_the_tolerance(double c, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] exact = Exact(n), g = Times(exact, _ => -1);
        double largest = exact.Max(Math.Abs);
        int small = Enumerable.Range(0, exact.Length).MinBy(k => Math.Abs(exact[k]));
        Assert.True(Math.Abs(exact[small]) < 0.2 * largest, $"the smallest entry is {exact[small]}, the largest {largest}");
        g[small] += (2e-4 * Math.Abs(exact[small]) + c * 1e-6 * largest) * Math.Sign(g[small]);
        Assert.Equal(named, Explain(n, g).Classes.SequenceEqual([Bug.SignFlip]));
    }

    /// <summary>
    /// In float32 the textbook bound B of a small entry e (about 2e-4, B about 5e-7) dominates the
    /// tolerance 1e-4·(|a| + |g|) + 1e-6·S + 2m·B (S the largest entry, about 0.07, m = 3): off by
    /// c times it (the 1e-4·d it adds is a relative 1e-4, far inside the 2 % step), the sign flip is named
    /// at c = 0.98 and contradicted at c = 1.02.
    /// </summary>
    [Theory]
    [InlineData(0.98, true)]
    [InlineData(1.02, false)]
    public void A_small_entry_in_float32_is_held_to_twice_m_times_its_textbook_bound(double c, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] exact = Exact(n, Precision.Float32), g = Times(exact, _ => -1);
        double[] textbook = Truth.For(n, Precision.Float32).Textbook.Gradient;
        int small = Enumerable.Range(0, exact.Length).MinBy(k => Math.Abs(exact[k]));
        double tolerance = 1e-4 * 2 * Math.Abs(g[small]) + 1e-6 * exact.Max(Math.Abs) + 2 * n.BatchSize * textbook[small];
        Assert.True(2 * n.BatchSize * textbook[small] > 0.9 * tolerance, $"the bound is {textbook[small]} of a tolerance {tolerance}");
        g[small] += c * tolerance * Math.Sign(g[small]);
        Diagnosis.Result d = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, StepBy(n, g, n.LearningRate))], Precision.Float32);
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        Assert.Equal(named, d.Classes.SequenceEqual([Bug.SignFlip]));
    }

    /// <summary>
    /// The step counterpart in float32: a climbing step whose entry of the smallest gradient moves by
    /// η·g + c·(tolerance), the tolerance 1e-4·(|a| + |p|) + 1e-6·S + 2m·(step bound), the step bound
    /// u·(|η·g| + |W⁺|) + u·(|W| + |η·g|) + 2·(smallest normal) + 2η·(textbook bound of g), u = 2⁻²⁴,
    /// S the largest predicted or right movement. 2m times the step bound is most of it (asserted).
    /// </summary>
    [Theory]
    [InlineData(0.98, true)]
    [InlineData(1.02, false)]
    public void A_step_entry_in_float32_is_held_to_twice_m_times_its_step_bound(double c, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] g = Exact(n, Precision.Float32), before = Before(n), after = StepBy(n, g, -n.LearningRate);
        double[] textbook = Truth.For(n, Precision.Float32).Textbook.Gradient;
        double u = Math.ScaleB(1, -24), eta = n.LearningRate;
        int k = Enumerable.Range(0, g.Length).Where(i => !IsFrozen(n, i)).MinBy(i => Math.Abs(g[i]));
        double largestMove = Enumerable.Range(0, g.Length).Where(i => !IsFrozen(n, i)).Max(i => Math.Abs(eta * g[i]));
        double p = after[k] - before[k];
        double stepBound = u * (Math.Abs(eta * g[k]) + Math.Abs(after[k])) + u * (Math.Abs(before[k]) + Math.Abs(eta * g[k]))
                           + 2 * Math.ScaleB(1, -126) + 2 * eta * textbook[k];
        double tolerance = 1e-4 * 2 * Math.Abs(p) + 1e-6 * largestMove + 2 * n.BatchSize * stepBound;
        Assert.True(2 * n.BatchSize * stepBound > 0.9 * tolerance, $"the step bound is {stepBound} of a tolerance {tolerance}");
        after[k] += c * tolerance * Math.Sign(p);
        Diagnosis.Result d = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, after)], Precision.Float32);
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        Assert.Equal(named, d.Classes.SequenceEqual([Bug.StepClimbs]));
    }

    /// <summary>
    /// Float64, every trainable entry moved 1, 2, … ulps off W − η·g (g exact) until it is wrong: wrong exactly when the
    /// distance exceeds the step bound u·(|η·g| + |W⁺|) + 2·(smallest normal) + 2η·(textbook bound of g),
    /// u = 2⁻⁵³, W⁺ the returned value (float64 stores W and η·g as given: no storage term). The bound is
    /// a few ulps (more where W⁺ is small), so each entry crosses it within 200 (asserted).
    /// </summary>
    [Fact]
    public void A_trainable_step_entry_in_float64_is_wrong_from_the_first_ulp_beyond_the_step_bound()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] g = Exact(n), rule = StepBy(n, g, n.LearningRate), textbook = Truth.For(n).Textbook.Gradient;
        double u = Math.ScaleB(1, -53), eta = n.LearningRate;
        int crossings = 0;
        for (int k = 0; k < g.Length; k++)
        {
            if (IsFrozen(n, k)) continue;
            double[] after = (double[])rule.Clone();
            bool wasWrong = false;
            for (int ulps = 1; ulps <= 200 && !wasWrong; ulps++)
            {
                after[k] = Math.BitIncrement(after[k]);
                double bound = u * (Math.Abs(eta * g[k]) + Math.Abs(after[k])) + 2 * Math.ScaleB(1, -1022) + 2 * eta * textbook[k];
                bool expected = Math.Abs(after[k] - rule[k]) > bound;
                string pattern = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, after)]).Pattern;
                Assert.True(expected == pattern.Contains("in 1 of 16 trainable entries"), $"entry {k}, {ulps} ulps: expected wrong = {expected}; {pattern}");
                if (expected && !wasWrong) crossings++;
                wasWrong = expected;
            }
        }
        Assert.Equal(16, crossings);
    }

    /// <summary>
    /// The step bound of a comparison is taken at the returned W⁺, not at W − η·g: learning-rate-ignored
    /// on float32, its largest entry (g ≈ 0.068 on a bias of 0.23, so W⁺ = W − g and W − η·g differ
    /// by 0.06) moved off W − g by c times the tolerance 1e-4·(|a| + |p|) + 1e-6·S + 2m·(step bound at
    /// W⁺). Taken at W − η·g the bound would be larger by 2m·u·0.06, 0.14 % of the tolerance, so
    /// c = 1 ± 5e-4 tells the two apart.
    /// </summary>
    [Theory]
    [InlineData(1 - 5e-4, true)]
    [InlineData(1 + 5e-4, false)]
    public void The_step_bound_of_a_comparison_is_taken_at_the_returned_value(double c, bool named)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] g = Exact(n, Precision.Float32), before = Before(n), after = StepBy(n, g, 1);
        double[] textbook = Truth.For(n, Precision.Float32).Textbook.Gradient;
        double u = Math.ScaleB(1, -24), eta = n.LearningRate;
        int k = Enumerable.Range(0, g.Length).Where(i => !IsFrozen(n, i)).MaxBy(i => Math.Abs(g[i]));
        Assert.True(Math.Abs(Math.Abs(after[k]) - Math.Abs(before[k] - eta * g[k])) > 0.05, "W+ and W - eta*g must differ");
        double p = after[k] - before[k];
        double largestMove = Enumerable.Range(0, g.Length).Where(i => !IsFrozen(n, i)).Max(i => Math.Abs(g[i]));
        double stepBound = u * (Math.Abs(eta * g[k]) + Math.Abs(after[k])) + u * (Math.Abs(before[k]) + Math.Abs(eta * g[k]))
                           + 2 * Math.ScaleB(1, -126) + 2 * eta * textbook[k];
        double tolerance = 1e-4 * 2 * Math.Abs(p) + 1e-6 * largestMove + 2 * n.BatchSize * stepBound;
        after[k] += c * tolerance * Math.Sign(p);
        Diagnosis.Result d = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, after)], Precision.Float32);
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        Assert.Equal(named, d.Classes.SequenceEqual([Bug.LearningRateIgnored]));
    }

    /// <summary>
    /// A step entry exactly at its step bound is not wrong (the bound is inclusive). The entry is a weight of
    /// 0 from an input that is 0 in every example, so its exact gradient is 0 and its textbook bound B is
    /// a floor of about 1e-308: there the numbers are multiples of the smallest subnormal, a − b is exact,
    /// and a returned value at exactly the bound is found by iterating W⁺ = r ± bound(W⁺) to its fixed
    /// point, with the float64 bound u·(|η·g| + |W⁺|) + 2·(smallest normal) + 2η·B (u = 2⁻⁵³) evaluated as
    /// the oracle does. The reported gradient of the entry is set so that the other of the two distances
    /// (from W − η·g with the own g, and from W − η·g with the exact g) is far beyond its bound.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_step_entry_exactly_at_the_step_bound_is_not_wrong(bool atTheOwnGradientsBound)
    {
        Network n = Network.Create(2, [new Layer(Activation.Sigmoid, new[,] { { 0.8, 0 } }, [0.3], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[0.5, 0], [-0.7, 0]], [[0.1], [0.9]]);
        const int k = 1;
        double[] exact = Exact(n);
        double textbook = Truth.For(n).Textbook.Gradient[k], eta = n.LearningRate, u = Math.ScaleB(1, -53), floor = Math.ScaleB(1, -1022);
        Assert.Equal(0, exact[k]);
        Assert.InRange(textbook, double.Epsilon, 1e-300);
        double Bound(double g, double after) => u * (Math.Abs(eta * g) + Math.Abs(after)) + 0 + 2 * floor + 2 * eta * textbook;

        // the own gradient puts W − η·g 1e-307 away, on the side opposite to the returned value
        double own = atTheOwnGradientsBound ? -1e-306 : 1e-306;
        double rule = 0 - eta * own, at = atTheOwnGradientsBound ? rule : 0 - eta * exact[k], gAt = atTheOwnGradientsBound ? own : exact[k];
        double after = at;
        for (int i = 0; i < 50 && Math.Abs(after - at) != Bound(gAt, after); i++) after = at + Bound(gAt, after);
        Assert.Equal(Bound(gAt, after), Math.Abs(after - at));
        double other = atTheOwnGradientsBound ? 0 - eta * exact[k] : rule;
        Assert.True(Math.Abs(after - other) > 2 * Bound(atTheOwnGradientsBound ? exact[k] : own, after));

        double[] g = (double[])exact.Clone();
        g[k] = own;
        double[] step = StepBy(n, g, eta);
        step[k] = after;
        string pattern = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, step)]).Pattern;
        output.WriteLine(pattern);
        Assert.DoesNotContain("does not follow", pattern);
        Assert.Contains(atTheOwnGradientsBound ? "the step agrees with W - eta*g" : "the step is right: it follows the exact gradient", pattern);
    }

    /// <summary>
    /// Two numbers exactly the loose tolerance apart agree (the tolerance is inclusive). Built where every
    /// number is a multiple of the smallest subnormal and sums are exact: the tiny network's zero weight
    /// (exact gradient 0, textbook bound B ≈ 4e-308), every other reported gradient 0, and the zero weight's
    /// reported g ≈ 4e-307 (so that −g and −η·g differ by more than the tolerance, about 2e-307), stepped by learning-rate-ignored: its movement p = −g is compared with the
    /// returned movement a under 1e-4·(|a| + |p|) + 1e-6·S + 2m·(step bound at W⁺ = a), S = |g| the largest
    /// movement. a = p − tolerance(a) is iterated to its fixed point, evaluated as the oracle does (the
    /// returned W⁺ = a is then far from W − η·g and from W, so the entry is wrong and explained).
    /// </summary>
    [Fact]
    public void A_movement_exactly_the_loose_tolerance_from_the_prediction_still_matches()
    {
        Network n = Network.Create(2, [new Layer(Activation.Sigmoid, new[,] { { 0.8, 0 } }, [0.3], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[0.5, 0], [-0.7, 0]], [[0.1], [0.9]]);
        const int k = 1;
        double textbook = Truth.For(n).Textbook.Gradient[k], eta = n.LearningRate, u = Math.ScaleB(1, -53), floor = Math.ScaleB(1, -1022);
        Assert.Equal(0, Exact(n)[k]);
        double StepBound(double own, double after) => u * (Math.Abs(eta * own) + Math.Abs(after)) + 0 + 2 * floor + 2 * eta * textbook;
        double Tolerance(double own, double a) => 1e-4 * (Math.Abs(a) + Math.Abs(own)) + 1e-6 * Math.Abs(own) + 2 * n.BatchSize * StepBound(own, a);
        // a fixed point needs a − p to land on the tolerance exactly: the first g from 4e-307 up (in steps of 1/64) that has one
        (double own, double a) = Enumerable.Range(0, 1000).Select(i => 4e-307 * (1 + i / 64.0)).Select(own =>
        {
            double p = 0 - 1 * own - 0, a = p;
            for (int i = 0; i < 50 && Math.Abs(a - p) != Tolerance(own, a); i++) a = p - Tolerance(own, a);
            return (own, a);
        }).First(x => Math.Abs(x.a + x.own) == Tolerance(x.own, x.a));
        output.WriteLine($"g = {own:R}, a = {a:R}, tolerance = {Tolerance(own, a):R}");

        double[] g = new double[n.ParameterCount], step = Before(n);
        g[k] = own;
        step[k] = a;
        Diagnosis.Result d = Explain(GradientsAnswer(n, g), StepAnswer(n, step));
        Assert.Contains(Bug.LearningRateIgnored, d.Classes);
    }

    /// <summary>Every entry off by 1.5 times its careful bound, within the textbook bound: an accuracy
    /// finding at most, not wrong, and judged (the textbook bound is defined), so nothing is said of it.</summary>
    [Fact]
    public void A_gradient_between_the_careful_and_the_textbook_bound_is_neither_wrong_nor_unjudged()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Truth truth = Truth.For(n);
        double[] g = Exact(n).Select((x, k) => x + 1.5 * truth.Careful.Gradient[k]).ToArray();
        Assert.All(Enumerable.Range(0, g.Length), k => Assert.Equal(Zone.Accuracy, truth.GradientZone(k, g[k])));
        Diagnosis.Result d = Explain(n, g);
        Assert.Empty(d.Classes);
        Assert.Equal("on the 1 network asked, no answer is wrong", d.Pattern);
    }

    // ---------------------------------------------------------------- the network at the implementation's own outputs

    /// <summary>The targets set to the outputs: every gradient is rounding noise there, so a step rule is
    /// neither confirmed nor contradicted by a gradient of 1e-3 and the step W − η·g.</summary>
    [Fact]
    public void A_network_whose_targets_are_the_own_outputs_contradicts_no_class()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Network atOwn = n.WithBatch(n.X, Correct(n).Outputs);
        double[] noise = Enumerable.Repeat(1e-3, n.ParameterCount).ToArray();
        Diagnosis.Result d = Explain(
            GradientsAnswer(n, Exact(n)), StepAnswer(n, StepBy(n, Exact(n), -n.LearningRate)),
            GradientsAnswer(atOwn, noise), StepAnswer(atOwn, StepBy(atOwn, noise, n.LearningRate)));
        Assert.Equal([Bug.StepClimbs], d.Classes);
        Assert.Contains("where every target is the implementation's own output", d.Pattern);
    }

    [Fact]
    public void A_network_where_only_some_targets_are_the_own_outputs_contradicts_a_class()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[][] outputs = Correct(n).Outputs;
        Network partly = n.WithBatch(n.X, [outputs[0], outputs[1], [0.4, 0.6]]);
        double[] noise = Enumerable.Repeat(1e-3, n.ParameterCount).ToArray();
        Diagnosis.Result d = Explain(
            GradientsAnswer(n, Exact(n)), StepAnswer(n, StepBy(n, Exact(n), -n.LearningRate)),
            GradientsAnswer(partly, noise), StepAnswer(partly, StepBy(partly, noise, n.LearningRate)));
        Assert.Empty(d.Classes);
    }

    // ---------------------------------------------------------------- what an observation calls wrong

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 1)]
    public void One_wrong_output_is_one_wrong_entry_of_six(int example, int unit)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[][] outputs = Correct(n).Outputs.Select(r => r.ToArray()).ToArray();
        outputs[example][unit] *= 2;
        Diagnosis.Result d = Explain(new Diagnosis.Answer(n, new Evaluation(outputs, Correct(n).Loss)));
        Assert.Contains("the outputs are wrong (1 of 6 entries, 2x the exact values)", d.Pattern);
        Assert.Contains("the loss agrees", d.Pattern);
    }

    /// <summary>With a sign-flipped gradient, so that something is wrong and the pattern is said.</summary>
    [Fact]
    public void Outputs_with_a_row_missing_or_short_are_not_judged()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[][] outputs = Correct(n).Outputs;
        double[] flipped = Times(Exact(n), _ => -1);
        Diagnosis.Result missing = Explain(GradientsAnswer(n, flipped, loss: 3, outputs: outputs[..2]));
        Assert.Contains("no outputs of the right shape came back: the forward pass could not be judged", missing.Pattern);
        Assert.Equal([Bug.SignFlip], missing.Classes);
        Diagnosis.Result shortRow = Explain(GradientsAnswer(n, flipped, loss: 3, outputs: [outputs[0], outputs[1], outputs[2][..1]]));
        Assert.Contains("no outputs of the right shape came back: the forward pass could not be judged", shortRow.Pattern);
        Diagnosis.Result whole = Explain(GradientsAnswer(n, flipped, loss: 3, outputs: outputs));
        Assert.Contains("the loss is wrong on 1 of 1 networks", whole.Pattern);
    }

    [Fact]
    public void A_gradient_of_the_wrong_length_is_not_judged()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Gradients g = new ReferenceBackprop().Gradients(n);
        Gradients shortOne = g with { dE_db = [g.dE_db[0], g.dE_db[1], null] };
        Diagnosis.Result d = Explain(new Diagnosis.Answer(n, shortOne with { Loss = 2 * g.Loss }));
        Assert.Contains("no gradient was asked", d.Pattern);
        Assert.Contains("the step was not asked", d.Pattern);
    }

    [Fact]
    public void A_step_of_the_wrong_length_or_without_a_gradient_is_not_judged()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        Parameters p = Expected.Reshape(n, StepBy(n, Exact(n), 1));
        Diagnosis.Result noGradient = Explain(new Diagnosis.Answer(n, new Evaluation(Correct(n).Outputs, 2 * Correct(n).Loss)), new Diagnosis.Answer(n, p));
        Assert.Contains("the step was not asked", noGradient.Pattern);
        Diagnosis.Result shortStep = Explain(GradientsAnswer(n, Times(Exact(n), _ => -1)), new Diagnosis.Answer(n, p with { B = [p.B[0], p.B[1], null] }));
        Assert.Contains("the step was not asked", shortStep.Pattern);
        Assert.Equal([Bug.SignFlip], shortStep.Classes);
    }

    /// <summary>In float64 the frozen biases are stored exactly, so a frozen bias that moves by one ulp has moved.</summary>
    [Fact]
    public void A_frozen_bias_moved_by_one_ulp_in_float64_has_moved()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] after = StepBy(n, Exact(n), n.LearningRate);
        int frozen = Enumerable.Range(0, after.Length).First(k => IsFrozen(n, k));
        after[frozen] = Math.BitIncrement(after[frozen]);
        Assert.Contains("1 frozen bias moved", Explain(n, Exact(n), after).Pattern);
    }

    /// <summary>
    /// In float32 a frozen bias b that float32 cannot hold (0.18) may come back as stored, within u·|b|
    /// (u = 2⁻²⁴): moved by (1 ∓ 1e-6)·u·|b| it has not moved, or has.
    /// </summary>
    [Theory]
    [InlineData(1 - 1e-6, false)]
    [InlineData(1 + 1e-6, true)]
    public void A_frozen_bias_in_float32_may_move_by_its_storage_error_and_no_more(double times, bool moved)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] exact = Exact(n, Precision.Float32), after = StepBy(n, exact, n.LearningRate);
        int frozen = Enumerable.Range(0, after.Length).First(k => IsFrozen(n, k));
        Assert.NotEqual(after[frozen], (double)(float)after[frozen]);
        after[frozen] += times * Math.ScaleB(1, -24) * Math.Abs(after[frozen]);
        Assert.Equal(moved, Explain(n, exact, after, Precision.Float32).Pattern.Contains("1 frozen bias moved"));
    }

    /// <summary>
    /// A trainable step entry in float32 off W − η·g by (1 ∓ 1e-6) times the step property's bound,
    /// u·(|η·g| + |W⁺|) + u·(|W| + |η·g|) + 2·(smallest normal) + 2η·(textbook bound of g) with u = 2⁻²⁴:
    /// inside it agrees, outside it is one wrong step entry. Every entry, each on its own.
    /// </summary>
    [Theory]
    [InlineData(1 - 1e-6, false)]
    [InlineData(1 + 1e-6, true)]
    public void A_trainable_step_entry_in_float32_is_wrong_beyond_the_step_bound_and_not_within(double times, bool wrong)
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        double[] g = Exact(n, Precision.Float32), before = Before(n), rule = StepBy(n, g, n.LearningRate);
        double[] textbook = Truth.For(n, Precision.Float32).Textbook.Gradient;
        double u = Math.ScaleB(1, -24), eta = n.LearningRate;
        var answers = new List<bool>();
        for (int k = 0; k < g.Length; k++)
        {
            if (IsFrozen(n, k)) continue;
            double bound = u * (Math.Abs(eta * g[k]) + Math.Abs(rule[k])) + u * (Math.Abs(before[k]) + Math.Abs(eta * g[k]))
                           + 2 * Math.ScaleB(1, -126) + 2 * eta * textbook[k];
            double[] after = (double[])rule.Clone();
            after[k] += times * bound;
            string pattern = Diagnosis.Explain([GradientsAnswer(n, g), StepAnswer(n, after)], Precision.Float32).Pattern;
            answers.Add(pattern.Contains("the step does not follow W - eta*g for the implementation's own gradient g in 1 of 16 trainable entries"));
        }
        Assert.Equal(16, answers.Count);
        Assert.All(answers, a => Assert.Equal(wrong, a));
    }

    // ---------------------------------------------------------------- failing networks, probes and observations

    [Fact]
    public void An_answer_of_an_unknown_kind_is_refused()
    {
        Network n = ThreeExamples(LossKind.HalfSse);
        ArgumentException e = Assert.Throws<ArgumentException>(() => Diagnosis.Explain([new Diagnosis.Answer(n, "gradients")]));
        Assert.Equal("unknown answer String", e.Message);
    }

    /// <summary>Asked three ways, one network is one network; the probe after it is a probe.</summary>
    [Fact]
    public void Right_answers_on_a_network_and_a_probe_are_two_networks_with_nothing_wrong()
    {
        Network n = ThreeExamples(LossKind.HalfSse), probe = Probe(LossKind.HalfMse);
        Diagnosis.Result d = Explain(
            [new Diagnosis.Answer(n, Correct(n)), GradientsAnswer(n, Exact(n)), StepAnswer(n, StepBy(n, Exact(n), n.LearningRate))],
            [GradientsAnswer(probe, Exact(probe)), StepAnswer(probe, StepBy(probe, Exact(probe), probe.LearningRate))]);
        Assert.Empty(d.Classes);
        Assert.Equal("on the 2 networks asked, no answer is wrong", d.Pattern);
    }

    /// <summary>The failing network's gradients are wrong in a way no class knows (3× in layer 0); the half-sse
    /// probe shows 1/m: extra-1-over-m is named from the probe, and the failing network's wrong answers stay unexplained.</summary>
    [Fact]
    public void A_class_seen_only_on_a_probe_is_named_and_said_to_be_recognised_there()
    {
        Network n = ThreeExamples(LossKind.HalfMse), probe = Probe(LossKind.HalfSse);
        double[] g = Times(Exact(n), k => ParameterIndex.Names(n)[k].StartsWith("layers[0]") ? 3 : 1), gp = Times(Exact(probe), _ => 0.5);
        Diagnosis.Result d = Explain(
            [new Diagnosis.Answer(n, Correct(n)), GradientsAnswer(n, g), StepAnswer(n, StepBy(n, g, n.LearningRate))],
            [GradientsAnswer(probe, gp), StepAnswer(probe, StepBy(probe, gp, probe.LearningRate))]);
        Assert.Equal([Bug.ExtraOneOverM], d.Classes);
        Assert.StartsWith("on the 1 network asked, ", d.Pattern);
        Assert.Contains("extra-1-over-m is recognised on the fixed probe networks (1 asked)", d.Pattern);
        Assert.Contains("the named classes leave 6 wrong answers unexplained (6 gradient entries)", d.Pattern);
    }

    /// <summary>Records every call and can refuse the probes.</summary>
    sealed class Asked(IBackprop inner, Func<Network, Exception?>? refuse = null) : IBackprop
    {
        public List<(Network Network, string Question)> Questions { get; } = [];
        public string Name => inner.Name;
        public Capabilities Capabilities => inner.Capabilities;
        public Evaluation Forward(Network n) { Ask(n, "forward"); return inner.Forward(n); }
        public Gradients Gradients(Network n) { Ask(n, "gradients"); return inner.Gradients(n); }
        public Parameters Step(Network n) { Ask(n, "step"); return inner.Step(n); }

        void Ask(Network n, string question)
        {
            Questions.Add((n, question));
            if (refuse?.Invoke(n) is { } e) throw e;
        }
    }

    static bool IsProbe(Network n) => n.Name?.StartsWith("diagnosis probe") == true;

    static readonly Capabilities TwoLosses = new([Activation.Tanh, Activation.Sigmoid], [LossKind.HalfSse, LossKind.BinaryCrossEntropy]);

    static Network Small() => NetworkJson.Parse("""
        {"format":"backprop-spec/network@1","inputs":1,
         "layers":[{"units":1,"activation":"tanh","bias":"trainable","weights":[[0.7]],"biases":[0.1]},
                   {"units":1,"activation":"sigmoid","bias":"none","weights":[[-0.4]]}],
         "loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[0.3],[-0.8]],"targets":[[0.2],[0.9]]}}
        """);

    [Fact]
    public void Diagnose_asks_the_gradients_and_then_the_step_of_every_probe_after_the_networks()
    {
        var asked = new Asked(new Capable(new ReferenceBackprop(), TwoLosses));
        Network n = Small();
        Diagnosis.Result d = Diagnosis.Diagnose(asked, Precision.Float64, n);
        Assert.Empty(d.Classes);
        var probes = asked.Questions.Where(q => IsProbe(q.Network)).ToArray();
        Assert.Equal(["gradients", "step", "gradients", "step"], probes.Select(q => q.Question));
        Assert.Equal(Diagnosis.Probes(TwoLosses).Select(p => p.Name), probes.Where(q => q.Question == "step").Select(q => q.Network.Name));
        int firstProbe = asked.Questions.FindIndex(q => IsProbe(q.Network));
        Assert.All(asked.Questions.Skip(firstProbe), q => Assert.True(IsProbe(q.Network)));
        Assert.Same(n, asked.Questions[0].Network);
        int recorded = Diagnosis.Record(new Capable(new ReferenceBackprop(), TwoLosses), Precision.Float64, n).Select(a => a.Network).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal($"on the {recorded + 2} networks asked, no answer is wrong", d.Pattern);
    }

    /// <summary>A probe the implementation refuses is left out; the others are still asked.</summary>
    [Fact]
    public void A_refused_probe_is_left_out_and_the_rest_are_judged()
    {
        Network n = Small();
        var refusing = new Asked(new Capable(new ReferenceBackprop(), TwoLosses),
            q => q.Name == "diagnosis probe (half-sse)" ? new InvalidOperationException("refused") : null);
        Diagnosis.Result d = Diagnosis.Diagnose(refusing, Precision.Float64, n);
        int recorded = Diagnosis.Record(new Capable(new ReferenceBackprop(), TwoLosses), Precision.Float64, n).Select(a => a.Network).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal($"on the {recorded + 1} networks asked, no answer is wrong", d.Pattern);
        Assert.Contains(refusing.Questions, q => q.Network.Name == "diagnosis probe (binary-cross-entropy)" && q.Question == "step");
    }

    [Fact]
    public void Running_out_of_memory_on_a_probe_is_not_a_refusal()
    {
        var starving = new Asked(new Capable(new ReferenceBackprop(), TwoLosses), q => IsProbe(q) ? new OutOfMemoryException() : null);
        Assert.Throws<OutOfMemoryException>(() => Diagnosis.Diagnose(starving, Precision.Float64, Small()));
    }

    /// <summary>extra-1-over-m changes nothing under half-mse; the half-sse probe shows it.</summary>
    [Fact]
    public void A_bug_the_failing_network_cannot_show_is_named_from_the_probes()
    {
        Network halfMse = NetworkJson.Parse(NetworkJson.Write(Small()).Replace("half-sse", "half-mse"));
        Assert.Equal([Bug.ExtraOneOverM], Diagnosis.Diagnose(new Mutant(Bug.ExtraOneOverM), Precision.Float64, halfMse).Classes);
    }

    [Fact]
    public void Record_asks_each_question_once_per_network_and_starts_with_the_networks_given()
    {
        var asked = new Asked(new ReferenceBackprop());
        Network first = Small(), second = ThreeExamples(LossKind.HalfSse);
        IReadOnlyList<Diagnosis.Answer> answers = Diagnosis.Record(asked, Precision.Float64, first, second);
        Assert.Equal(asked.Questions.Count, answers.Count);
        Assert.Same(first, answers[0].Network);
        Assert.Contains(answers, a => ReferenceEquals(a.Network, second));
        Assert.True(answers.Count > 2);
        var twice = answers.Where(a => a.Value is Gradients or Parameters).GroupBy(a => (RuntimeHelpers(a.Network), a.Value.GetType())).Where(g => g.Count() > 1);
        Assert.Empty(twice);
    }

    static int RuntimeHelpers(object o) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(o);

    sealed class Capable(IBackprop inner, Capabilities caps) : IBackprop
    {
        public string Name => inner.Name;
        public Capabilities Capabilities => caps;
        public Evaluation Forward(Network n) => inner.Forward(n);
        public Gradients Gradients(Network n) => inner.Gradients(n);
        public Parameters Step(Network n) => inner.Step(n);
    }

    [Fact]
    public void The_recorder_keeps_every_answer_in_order()
    {
        Network n = Small();
        var recorder = new Diagnosis.Recorder(new ReferenceBackprop());
        Evaluation e = recorder.Forward(n);
        Gradients g = recorder.Gradients(n);
        Parameters p = recorder.Step(n);
        Assert.Equal([e, g, p], recorder.Answers.Select(a => a.Value));
        Assert.All(recorder.Answers, a => Assert.Same(n, a.Network));
        Assert.Equal("reference", recorder.Name);
        Assert.Same(Capabilities.Everything, recorder.Capabilities);
    }

    // ---------------------------------------------------------------- the probes

    [Fact]
    public void Every_loss_gets_one_probe_of_the_documented_shape()
    {
        IReadOnlyList<Network> probes = Diagnosis.Probes(Capabilities.Everything);
        Assert.Equal(Loss.All, probes.Select(p => p.Loss));
        foreach (Network p in probes)
        {
            Assert.Equal($"diagnosis probe ({Loss.Name(p.Loss)})", p.Name);
            Assert.Equal(2, p.Inputs);
            Assert.Equal(2, p.BatchSize);
            Assert.NotEqual(p.X[0], p.X[1]);
            Assert.Equal(0.1, p.LearningRate);
            Assert.Equal([2, 2, 2], p.Layers.Select(l => l.Units));
            Assert.Equal([BiasMode.Trainable, BiasMode.Frozen, BiasMode.Trainable], p.Layers.Select(l => l.Bias));
            Assert.Equal([Activation.Tanh, Activation.Sigmoid], p.Layers.Take(2).Select(l => l.Activation));
            Assert.Equal(Loss.RequiredOutput(p.Loss) ?? Activation.Sigmoid, p.Output.Activation);
            // no saturation, no ReLU kink: every net input between −2 and 2, none 0
            Assert.All(BackpropSpec.Reference.Forward.Run(p).Net.SelectMany(l => l.SelectMany(r => r)), net => Assert.InRange(Math.Abs(net), 1e-3, 2));
        }
        Assert.Equal([[0.2, 0.9], [0.7, 0.1]], probes[0].T);
        Assert.Equal([[0.2, 0.9], [0.7, 0.1]], probes[1].T);
        Assert.Equal([[0, 1], [1, 0.3]], probes[2].T);
        Assert.Equal([[1, 0], [0.25, 0.75]], probes[3].T);
    }

    /// <summary>The probes are fixed networks: every diagnosis that rests on them changes when they do.</summary>
    [Fact]
    public void The_probe_values_are_the_documented_ones()
    {
        Network p = Diagnosis.Probes(Capabilities.Everything)[0];
        Assert.Equal([[0.61, -0.42], [0.35, 0.78]], Rows(p.Layers[0].W));
        Assert.Equal([[-0.53, 0.91], [0.72, 0.26]], Rows(p.Layers[1].W));
        Assert.Equal([[0.47, -0.66], [-0.31, 0.84]], Rows(p.Layers[2].W));
        Assert.Equal([[0.13, -0.27], [0.18, -0.09], [-0.11, 0.23]], p.Layers.Select(l => l.B!));
        Assert.Equal([[0.9, -0.4], [-0.3, 0.7]], p.X);
    }

    static double[][] Rows(double[,] w) => Enumerable.Range(0, w.GetLength(0)).Select(j => Enumerable.Range(0, w.GetLength(1)).Select(i => w[j, i]).ToArray()).ToArray();

    [Fact]
    public void Without_sigmoid_and_identity_a_squared_loss_probe_ends_in_tanh_and_a_loss_whose_output_is_missing_gets_none()
    {
        IReadOnlyList<Network> probes = Diagnosis.Probes(new Capabilities([Activation.Tanh], [LossKind.BinaryCrossEntropy, LossKind.HalfSse, LossKind.SoftmaxCrossEntropy]));
        Network p = Assert.Single(probes);
        Assert.Equal(LossKind.HalfSse, p.Loss);
        Assert.Equal([Activation.Tanh, Activation.Tanh, Activation.Tanh], p.Layers.Select(l => l.Activation));
    }

    [Fact]
    public void The_hidden_layers_take_the_first_two_supported_of_tanh_sigmoid_relu_identity()
    {
        Network p = Diagnosis.Probes(new Capabilities([Activation.Identity, Activation.Relu], [LossKind.HalfMse])).Single();
        Assert.Equal([Activation.Relu, Activation.Identity, Activation.Identity], p.Layers.Select(l => l.Activation));
        Network q = Diagnosis.Probes(new Capabilities([Activation.Relu], [LossKind.HalfMse])).Single();
        Assert.Equal([Activation.Relu, Activation.Relu, Activation.Relu], q.Layers.Select(l => l.Activation));
        Network s = Diagnosis.Probes(new Capabilities([Activation.Softmax, Activation.Sigmoid, Activation.Tanh], [LossKind.SoftmaxCrossEntropy])).Single();
        Assert.Equal([Activation.Tanh, Activation.Sigmoid, Activation.Softmax], s.Layers.Select(l => l.Activation));
    }

    [Fact]
    public void Without_a_hidden_activation_there_is_no_probe()
    {
        Assert.Empty(Diagnosis.Probes(new Capabilities([Activation.Softmax], [LossKind.SoftmaxCrossEntropy])));
        Assert.Empty(Diagnosis.Probes(new Capabilities([Activation.Tanh, Activation.Relu], [LossKind.SoftmaxCrossEntropy])));
    }
}
