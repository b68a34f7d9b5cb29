using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Diagnosing;

/// <summary>
/// The pattern of the error in words (Diagnosis.Pattern.cs), sentence by sentence: what a user of
/// `check` reads. Each test plants answers by hand (the reference's, bent where the test says) and
/// asks <see cref="Diagnosis.Explain"/> for the words, so every count, factor and layer in the
/// expected sentence can be read off the planted answers.
/// </summary>
public class DiagnosisWordsTests(ITestOutputHelper output)
{
    // ---- networks ------------------------------------------------------------------------------

    /// <summary>One identity unit: out = 0.5·x + 0.25, x = 1, t = 0, half-sse, η = 0.1. Output 0.75,
    /// loss 0.28125, ∂E/∂w = ∂E/∂b = 0.75.</summary>
    static Network Unit(BiasMode bias = BiasMode.Trainable, LossKind loss = LossKind.HalfSse, int m = 1) =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, bias == BiasMode.None ? null : [0.25], bias)],
                       loss, 0.1, Enumerable.Repeat(new double[] { 1 }, m).ToArray(), Enumerable.Repeat(new double[] { 0 }, m).ToArray());

    /// <summary>The half-sse probe: three layers of two units (a trainable, a frozen and a trainable
    /// bias), two examples, two outputs, η = 0.1; 18 parameters, 16 of them trainable.</summary>
    static Network Deep(LossKind loss = LossKind.HalfSse) =>
        Diagnosis.Probes(new Capabilities([Activation.Tanh, Activation.Sigmoid, Activation.Identity], [loss])).Single();

    // ---- answers -------------------------------------------------------------------------------

    static readonly ReferenceBackprop Right = new();

    /// <summary>The reference's gradients reply with entry k bent by <paramref name="entry"/>(k, exact),
    /// outputs[e][k] by <paramref name="outputs"/>(e, k, exact), the loss by <paramref name="loss"/>.</summary>
    static Diagnosis.Answer Gradients(Network n, Func<int, double, double>? entry = null,
                                      Func<int, int, double, double>? outputs = null, Func<double, double>? loss = null)
    {
        Gradients g = Right.Gradients(n);
        double[] flat = g.Flatten().Select((v, k) => entry?.Invoke(k, v) ?? v).ToArray();
        double[][] o = g.Outputs.Select((row, e) => row.Select((v, k) => outputs?.Invoke(e, k, v) ?? v).ToArray()).ToArray();
        var (w, b) = Unflatten(n, flat);
        return new Diagnosis.Answer(n, new Gradients(o, loss?.Invoke(g.Loss) ?? g.Loss, w, b));
    }

    static Diagnosis.Answer Forward(Network n, Func<int, int, double, double>? outputs = null, Func<double, double>? loss = null)
    {
        Evaluation f = Right.Forward(n);
        double[][] o = f.Outputs.Select((row, e) => row.Select((v, k) => outputs?.Invoke(e, k, v) ?? v).ToArray()).ToArray();
        return new Diagnosis.Answer(n, new Evaluation(o, loss?.Invoke(f.Loss) ?? f.Loss));
    }

    /// <summary>A step reply: entry k after the step is <paramref name="after"/>(k, before, g) with g the
    /// gradient the implementation reported (<paramref name="reported"/>, a gradients answer).</summary>
    static Diagnosis.Answer Step(Diagnosis.Answer reported, Func<int, double, double, double> after)
    {
        Network n = reported.Network;
        double[] g = ((Gradients)reported.Value).Flatten(), before = Parameters.Of(n).Flatten();
        var (w, b) = Unflatten(n, before.Select((x, k) => after(k, x, g[k])).ToArray());
        return new Diagnosis.Answer(n, new Parameters(w, b));
    }

    /// <summary>W − η·g for the reported g, frozen biases kept: the step the rule asks for.</summary>
    static Diagnosis.Answer RightStep(Diagnosis.Answer reported)
    {
        bool[] frozen = Frozen(reported.Network);
        return Step(reported, (k, w, g) => frozen[k] ? w : w - reported.Network.LearningRate * g);
    }

    static bool[] Frozen(Network n) =>
        n.Layers.SelectMany(l => Enumerable.Repeat(false, l.Units * l.FanIn).Concat(Enumerable.Repeat(l.Bias == BiasMode.Frozen, l.B?.Length ?? 0))).ToArray();

    static (double[][,], double[]?[]) Unflatten(Network n, double[] flat)
    {
        int at = 0;
        var w = new double[n.Layers.Count][,];
        var b = new double[]?[n.Layers.Count];
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            w[l] = new double[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++) w[l][j, i] = flat[at++];
            if (layer.B is not null) b[l] = Enumerable.Range(0, layer.Units).Select(_ => flat[at++]).ToArray();
        }
        Assert.Equal(flat.Length, at);
        return (w, b);
    }

    string Pattern(params Diagnosis.Answer[] answers) => Said(Diagnosis.Explain(answers));

    string Said(Diagnosis.Result d)
    {
        output.WriteLine($"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        return d.Pattern;
    }

    /// <summary><see cref="Unit"/> with input x and target t (x = 0: ∂E/∂w = 0 exactly; t = 0.75: every
    /// target is the network's own output).</summary>
    static Network UnitAt(double x, double t) =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, [0.25], BiasMode.Trainable)], LossKind.HalfSse, 0.1, [[x]], [[t]]);

    /// <summary>One identity layer from one input to <paramref name="k"/> outputs, no bias, batch of
    /// <paramref name="m"/> (x = 1, t = 0), half-sse.</summary>
    static Network Wide(int k, int m = 1) =>
        Network.Create(1, [new Layer(Activation.Identity, Column(Enumerable.Range(0, k).Select(j => 0.5 + j).ToArray()), null, BiasMode.None)],
                       LossKind.HalfSse, 0.1, Enumerable.Repeat(new double[] { 1 }, m).ToArray(), Enumerable.Repeat(new double[k], m).ToArray());

    static double[,] Column(double[] v)
    {
        var w = new double[v.Length, 1];
        for (int j = 0; j < v.Length; j++) w[j, 0] = v[j];
        return w;
    }

    /// <summary>The words the probe half of a pattern says about <see cref="Deep"/> with every bias gradient 0.</summary>
    const string DeepBiasesZero =
        "the bias gradients of layers[0] are wrong (2 of 2 entries, 0 where the exact values are not), " +
        "the bias gradients of layers[1] are wrong (2 of 2 entries, 0 where the exact values are not), " +
        "the bias gradients of layers[2] (the output layer) are wrong (2 of 2 entries, 0 where the exact values are not), every other gradient agrees";

    static Diagnosis.Answer DeepWithBiasGradientsZero()
    {
        Network d = Deep();
        bool[] bias = d.Layers.SelectMany(l => Enumerable.Repeat(false, l.Units * l.FanIn).Concat(Enumerable.Repeat(true, l.Units))).ToArray();
        return Gradients(d, (k, g) => bias[k] ? 0 : g);
    }

    // ---- nothing wrong -------------------------------------------------------------------------

    [Fact]
    public void Every_answer_right_on_one_network_says_no_answer_is_wrong() =>
        Assert.Equal("on the 1 network asked, no answer is wrong", Pattern(Gradients(Unit())));

    [Fact]
    public void Every_answer_right_on_two_networks_says_networks_in_the_plural()
    {
        Diagnosis.Answer a = Gradients(Unit()), b = Gradients(Deep());
        Assert.Equal("on the 2 networks asked, no answer is wrong", Pattern(a, RightStep(a), b, RightStep(b)));
    }

    // ---- the forward pass ----------------------------------------------------------------------

    [Fact]
    public void Wrong_outputs_with_a_right_loss_say_every_later_answer_rests_on_them() =>
        Assert.Equal("on the 1 network asked, the outputs are wrong (1 of 1 entries, 2x the exact values): every later answer rests on a wrong forward pass, " +
                     "the loss agrees; every gradient agrees; the step was not asked",
                     Pattern(Gradients(Unit(), outputs: (e, k, o) => 2 * o)));

    [Fact]
    public void Wrong_outputs_are_counted_and_compared_entry_by_entry_across_examples_and_outputs() =>
        // outputs[1][0] is 3x, outputs[0][1] 2x: read at any other entry, a ratio would be 1
        Assert.Equal("on the 1 network asked, the outputs are wrong (2 of 4 entries, between 2x and 3x the exact values, no common factor): " +
                     "every later answer rests on a wrong forward pass, the loss agrees; every gradient agrees; the step was not asked",
                     Pattern(Gradients(Deep(), outputs: (e, k, o) => e == 1 && k == 0 ? 3 * o : e == 0 && k == 1 ? 2 * o : o)));

    [Fact]
    public void A_wrong_loss_alone_says_on_how_many_networks_and_that_no_gradient_was_asked() =>
        Assert.Equal("on the 2 networks asked, the outputs agree, the loss is wrong on 1 of 2 networks (about 3x the exact values); no gradient was asked; the step was not asked",
                     Pattern(Forward(Unit()), Forward(Unit(m: 2), loss: l => 3 * l)));

    [Fact]
    public void Wrong_outputs_and_a_wrong_loss_are_both_said() =>
        Assert.Equal("on the 1 network asked, the outputs are wrong (1 of 1 entries, 2x the exact values): every later answer rests on a wrong forward pass, " +
                     "the loss is wrong on 1 of 1 networks (about 4x the exact values); no gradient was asked; the step was not asked",
                     Pattern(Forward(Unit(), outputs: (e, k, o) => 2 * o, loss: l => 4 * l)));

    // ---- the gradients -------------------------------------------------------------------------

    [Fact]
    public void Weights_and_biases_both_wrong_say_the_gradients_in_every_layer() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, about 3x the exact values), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(Unit(), (k, g) => 3 * g)));

    [Fact]
    public void Only_the_weight_gradients_wrong_say_so_and_that_every_other_gradient_agrees() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the weight gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "every other gradient agrees; the step was not asked",
                     Pattern(Gradients(Unit(), (k, g) => k == 0 ? 3 * g : g)));

    [Fact]
    public void Only_the_bias_gradients_wrong_say_so_and_that_every_other_gradient_agrees() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the bias gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "every other gradient agrees; the step was not asked",
                     Pattern(Gradients(Unit(), (k, g) => k == 1 ? 3 * g : g)));

    [Fact]
    public void A_layer_without_biases_whose_weight_gradients_are_all_wrong_is_wrong_in_every_layer() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(Unit(BiasMode.None), (k, g) => 3 * g)));

    /// <summary>One identity unit with ∂E/∂w = ∂E/∂b = 1 exactly (w = b = ½, x = 1, t = 0): an answer's
    /// ratio to the exact value is the answer itself, so the factor's 1e-3 edges can be met exactly.</summary>
    static Network UnitGradient() => Network.Create(1, [new Layer(Activation.Identity, new[,] { { 0.5 } }, [0.5], BiasMode.Trainable)],
                                                      LossKind.HalfSse, 0.1, [[1.0]], [[0.0]]);

    [Fact]
    public void A_ratio_exactly_1e_3_from_a_factor_is_that_factor()
    {
        // |0.001 − 0| ≤ 1e-3·max(1, 0): the edge itself, in double arithmetic (the same double 1e-3 on both sides)
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, 0 where the exact values are not), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(UnitGradient(), (k, g) => 1e-3 * g)));
    }

    [Fact]
    public void Ratios_whose_spread_is_exactly_1e_3_of_the_largest_are_about_one_factor()
    {
        // 1000 − 999 = 1 and 1e-3·1000 = 1 in double arithmetic: the edge of "about", not "between"
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, about 1E+03x the exact values), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(UnitGradient(), (k, g) => (k == 0 ? 999 : 1000) * g)));
        // 1001 − 999 = 2 > 1e-3·1001: between
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, between 999x and 1E+03x the exact values, no common factor), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(UnitGradient(), (k, g) => (k == 0 ? 999 : 1001) * g)));
    }

    [Fact]
    public void Without_a_bound_two_values_cannot_be_told_apart()
    {
        // where the tolerance model has no bound (NaN) nothing differs; under a bound of 0 they do
        Assert.False(Diagnosis.Differs(1, 2, double.NaN, 0));
        Assert.False(Diagnosis.Differs(double.PositiveInfinity, 2, double.NaN, 0));
        Assert.True(Diagnosis.Differs(1, 2, 0, 0));
    }

    /// <summary>Deep's entries: layers[0] weights 0–3, biases 4–5; layers[1] weights 6–9, biases 10–11 (frozen); layers[2] weights 12–15, biases 16–17.</summary>
    [Fact]
    public void Some_entries_of_a_layer_wrong_are_counted_against_the_entries_of_their_kind()
    {
        // layers[0]: one weight and one bias of 6 entries; layers[1]: one weight of 4; layers[2]: one bias of 2
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] are wrong (2 of 6 entries, about 3x the exact values), " +
                     "the weight gradients of layers[1] are wrong (1 of 4 entries, about 3x the exact values), " +
                     "the bias gradients of layers[2] (the output layer) are wrong (1 of 2 entries, about 3x the exact values), every other gradient agrees; the step was not asked",
                     Pattern(Gradients(Deep(), (k, g) => k is 1 or 5 or 7 or 17 ? 3 * g : g)));
    }

    [Fact]
    public void Every_layer_wrong_lists_the_layers_in_order_and_marks_only_the_last_as_the_output_layer() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] are wrong (6 of 6 entries, about 3x the exact values), " +
                     "the gradients of layers[1] are wrong (6 of 6 entries, about 3x the exact values), " +
                     "the gradients of layers[2] (the output layer) are wrong (6 of 6 entries, about 3x the exact values), in every layer; the step was not asked",
                     Pattern(Gradients(Deep(), (k, g) => 3 * g)));

    [Fact]
    public void A_layer_that_is_the_output_layer_of_only_some_networks_is_not_called_the_output_layer() =>
        // layers[0] is Unit's output layer but not Deep's
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] are wrong (7 of 7 entries, about 3x the exact values), " +
                     "the gradients of layers[1] are wrong (6 of 6 entries, about 3x the exact values), " +
                     "the gradients of layers[2] (the output layer) are wrong (6 of 6 entries, about 3x the exact values), in every layer; the step was not asked",
                     Pattern(Gradients(Unit(BiasMode.None), (k, g) => 3 * g), Gradients(Deep(), (k, g) => 3 * g)));

    // ---- the step ------------------------------------------------------------------------------

    [Fact]
    public void A_step_by_the_reported_gradient_agrees_with_the_rule()
    {
        Diagnosis.Answer reported = Gradients(Unit(), (k, g) => k == 0 ? 3 * g : g);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the weight gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "every other gradient agrees; the step agrees with W - eta*g for the implementation's own gradient g",
                     Pattern(reported, RightStep(reported)));
    }

    [Fact]
    public void A_step_by_the_exact_gradient_where_the_reported_one_is_wrong_is_right_but_not_by_the_rule()
    {
        // the frozen biases of layers[1] stay, as they must; the rule is broken only in the trainable entries
        Network d = Deep();
        Diagnosis.Answer reported = Gradients(d, (k, g) => 3 * g);
        double[] exact = Right.Gradients(d).Flatten();
        bool[] frozen = Frozen(d);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] are wrong (6 of 6 entries, about 3x the exact values), " +
                     "the gradients of layers[1] are wrong (6 of 6 entries, about 3x the exact values), " +
                     "the gradients of layers[2] (the output layer) are wrong (6 of 6 entries, about 3x the exact values), in every layer; " +
                     "the step is right: it follows the exact gradient, not the gradient the implementation reports",
                     Pattern(reported, Step(reported, (k, w, _) => frozen[k] ? w : w - 0.1 * exact[k])));
    }

    [Fact]
    public void A_step_that_adds_the_gradient_climbs_in_every_trainable_entry_of_every_network()
    {
        Diagnosis.Answer unit = Gradients(Unit()), deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 18 of 18 trainable entries (layers[0] weights, layers[0] biases, layers[1] weights, layers[2] weights, layers[2] biases): it is W + eta*g: it climbs",
                     Pattern(unit, Step(unit, (k, w, g) => w + 0.1 * g), deep, Step(deep, (k, w, g) => frozen[k] ? w : w + 0.1 * g)));
    }

    [Fact]
    public void A_rule_is_followed_within_a_millionth_of_the_largest_gradient_times_the_larger_rate()
    {
        // one identity unit, w = 2⁻¹¹, b = ½, x = 1024, t = 0: g = [1024, 1]. The step is W − g (rate 1,
        // η = 0.1) with the bias 6e-4 off. Follows' tolerance there: 1e-4·(|moved| + |predicted|) ≈ 2e-4
        // plus 1e-6·max(η, rate)·(largest |g|) = 1e-6·1·1024 ≈ 1.02e-3: 6e-4 is inside, so the rule is
        // named. (With min(η, rate) = 0.1 the normwise term is 1.02e-4 and the sum 3e-4; with the rate
        // divided by the largest gradient it is 1e-9: either would name no rule.)
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { Math.ScaleB(1, -11) } }, [0.5], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[1024.0]], [[0.0]]);
        Diagnosis.Answer g = Gradients(n);
        Assert.Equal([1024.0, 1.0], ((Gradients)g.Value).Flatten());
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 2 of 2 trainable entries (layers[0] weights, layers[0] biases): it is W - g: the learning rate is ignored",
                     Pattern(g, Step(g, (k, w, gk) => w - gk + (k == 1 ? 6e-4 : 0))));
        // 2e-3 off is outside it (1.22e-3): no rule is named
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 2 of 2 trainable entries (layers[0] weights, layers[0] biases)",
                     Pattern(g, Step(g, (k, w, gk) => w - gk + (k == 1 ? 2e-3 : 0))));
    }

    [Fact]
    public void A_rule_is_followed_within_twice_the_batch_size_times_the_steps_rounding_where_rounding_alone_decides()
    {
        // one identity unit, w = 2⁴⁰, b = ½, η = 0.1, two examples x = 2⁻⁴⁰ with t = 1.5 − 2⁻⁴⁰: o = 1.5 exactly,
        // g = [2⁻⁷⁹, 2⁻³⁹]. The step is W − g with w one ulp up (2⁴⁰ + 2⁻¹²): there the step's rounding bound
        // is u·|W⁺| ≈ 2⁻¹³, and Follows' other terms (1e-4·|moved| ≈ 2.4e-8, 1e-6·max(η, 1)·2⁻³⁹) are far below
        // it, so 2·M·2⁻¹³ = 2⁻¹¹ decides: the ulp is inside and the rule is named. (Divided by M, 2⁻¹³: outside.)
        // The class matching is stricter than Follows: that w entry is left unexplained either way.
        double x = Math.ScaleB(1, -40);
        Network n = Network.Create(1, [new Layer(Activation.Identity, new[,] { { Math.ScaleB(1, 40) } }, [0.5], BiasMode.Trainable)],
                                   LossKind.HalfSse, 0.1, [[x], [x]], [[1.5 - x], [1.5 - x]]);
        Diagnosis.Answer g = Gradients(n);
        Assert.Equal([Math.ScaleB(1, -79), Math.ScaleB(1, -39)], ((Gradients)g.Value).Flatten());
        string Words(double wAfter) => Pattern(g, Step(g, (k, w, gk) => k == 0 ? wAfter : w - gk));
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 2 of 2 trainable entries (layers[0] weights, layers[0] biases): it is W - g: the learning rate is ignored; " +
                     "the named classes leave 1 wrong answer unexplained (1 step entry)",
                     Words(Math.ScaleB(1, 40) + Math.ScaleB(1, -12)));
        // four ulps up (2⁻¹⁰) is outside 2⁻¹¹: no rule is named
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 2 of 2 trainable entries (layers[0] weights, layers[0] biases); the named classes leave 1 wrong answer unexplained (1 step entry)",
                     Words(Math.ScaleB(1, 40) + Math.ScaleB(1, -10)));
    }

    [Fact]
    public void A_step_of_W_minus_g_ignores_the_learning_rate()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 16 of 16 trainable entries (layers[0] weights, layers[0] biases, layers[1] weights, layers[2] weights, layers[2] biases): it is W - g: the learning rate is ignored",
                     Pattern(deep, Step(deep, (k, w, g) => frozen[k] ? w : w - g)));
    }

    [Fact]
    public void A_step_by_the_last_examples_first_output_uses_it_as_the_learning_rate()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        double rate = ((Gradients)deep.Value).Outputs[1][0];
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 16 of 16 trainable entries (layers[0] weights, layers[0] biases, layers[1] weights, layers[2] weights, layers[2] biases): it uses the last example's first output as the learning rate",
                     Pattern(deep, Step(deep, (k, w, g) => frozen[k] ? w : w - rate * g)));
    }

    [Fact]
    public void A_step_that_moves_nothing_says_those_parameters_do_not_move()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 16 of 16 trainable entries (layers[0] weights, layers[0] biases, layers[1] weights, layers[2] weights, layers[2] biases): those parameters do not move",
                     Pattern(deep, Step(deep, (k, w, g) => w)));
    }

    [Fact]
    public void A_step_that_follows_no_known_rule_says_where_and_names_no_rule()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        // layers[2].biases[0] (entry 16) is moved 1 too far, the rest as the rule says
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 1 of 16 trainable entries (layers[2] biases)",
                     Pattern(deep, Step(deep, (k, w, g) => frozen[k] ? w : w - 0.1 * g - (k == 16 ? 1 : 0))));
    }

    [Fact]
    public void One_frozen_bias_moved_by_its_gradient_moved_as_if_trainable()
    {
        Diagnosis.Answer unit = Gradients(Unit(BiasMode.Frozen));
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; 1 frozen bias moved by -eta*g, as if trainable",
                     Pattern(unit, Step(unit, (k, w, g) => w - 0.1 * g)));
    }

    [Fact]
    public void Two_frozen_biases_moved_otherwise_are_said_in_the_plural_without_a_rule()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; 2 frozen biases moved",
                     Pattern(deep, Step(deep, (k, w, g) => frozen[k] ? w + 1 : w - 0.1 * g)));
    }

    [Fact]
    public void Trainable_entries_and_frozen_biases_both_wrong_are_both_said()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 16 of 16 trainable entries (layers[0] weights, layers[0] biases, layers[1] weights, layers[2] weights, layers[2] biases): it is W + eta*g: it climbs, " +
                     "2 frozen biases moved; the named classes leave 2 wrong answers unexplained (2 step entries)",
                     Pattern(deep, Step(deep, (k, w, g) => w + 0.1 * g)));
    }

    // ---- the factor ----------------------------------------------------------------------------

    /// <summary>The pattern of networks without biases, one layer each, where every gradient entry is wrong.</summary>
    static string EveryEntryWrong(string networks, int entries, string factor) =>
        $"on the {networks} asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong ({entries} of {entries} entries, {factor}), in every layer; the step was not asked";

    [Theory]
    [InlineData(1, 1, -1, "the exact values with the sign flipped (-1x)")]
    [InlineData(1, 1, 0, "0 where the exact values are not")]
    [InlineData(1, 1, 2, "2x the exact values")]
    [InlineData(1, 2, 2, "2x the exact values (m here: m = 2, the batch size)")]
    [InlineData(1, 1, 0.5, "1/2 of the exact values")]
    [InlineData(1, 2, 0.5, "1/2 of the exact values (1/m here: m = 2, the batch size)")]
    [InlineData(2, 1, 0.5, "1/2 of the exact values (1/K here: K = 2, the number of outputs)")]
    [InlineData(1, 3, 3, "m times the exact values (m = 3, the batch size)")]
    [InlineData(1, 3, 1.0 / 3, "1/m of the exact values (m = 3, the batch size)")]
    [InlineData(3, 1, 1.0 / 3, "1/K of the exact values (K = 3, the number of outputs)")]
    [InlineData(3, 2, 1.0 / 6, "1/(m K) of the exact values (m = 2, K = 3 outputs)")]
    [InlineData(1, 1, 1.0005, "close to the exact values (relative errors up to 0.0005): digits lost beyond every standard formulation's rounding, not a wrong factor")]
    [InlineData(1, 1, 3, "about 3x the exact values")]
    [InlineData(1, 1, 2.0015, "2x the exact values")]                     // within 1e-3 of 2, relative to 2
    public void A_common_factor_is_named(int outputs, int m, double factor, string words) =>
        Assert.Equal(EveryEntryWrong("1 network", outputs, words), Pattern(Gradients(Wide(outputs, m), (k, g) => factor * g)));

    [Theory]
    [InlineData(new[] { 3, 4 }, "m = 3 or 4")]
    [InlineData(new[] { 3, 4, 5 }, "m = 3 or 4 or 5")]
    [InlineData(new[] { 3, 4, 5, 6 }, "m = 3 to 6")]
    public void The_batch_sizes_of_a_factor_m_are_listed_up_to_three_then_given_as_a_range(int[] batches, string ms) =>
        Assert.Equal(EveryEntryWrong($"{batches.Length} networks", batches.Length, $"m times the exact values ({ms}, the batch size)"),
                     Pattern(batches.Select(m => Gradients(Wide(1, m), (k, g) => m * g)).ToArray()));

    [Theory]
    [InlineData(2, 3, "between 2x and 3x the exact values, no common factor")]
    [InlineData(-2, -3, "the wrong sign, between -3x and -2x the exact values, no common factor")]
    [InlineData(-2, 0, "between -2x and 0x the exact values, no common factor")]
    public void Factors_that_differ_give_their_range(double first, double second, string words) =>
        Assert.Equal(EveryEntryWrong("1 network", 2, words), Pattern(Gradients(Wide(2), (k, g) => (k == 0 ? first : second) * g)));

    [Fact]
    public void An_entry_whose_exact_value_is_0_is_counted_apart_from_the_factor() =>
        // x = 0: the exact weight gradient is 0, the bias gradient 0.25
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, " +
                     "about 3x the exact values; 1 not 0 where the exact value is 0), in every layer; the step was not asked",
                     Pattern(Gradients(UnitAt(0, 0), (k, g) => k == 0 ? 1 : 3 * g)));

    [Fact]
    public void Only_entries_whose_exact_value_is_0_wrong_name_no_factor() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the weight gradients of layers[0] (the output layer) are wrong (1 of 1 entries, " +
                     "not 0 where the exact values are 0), every other gradient agrees; the step was not asked",
                     Pattern(Gradients(UnitAt(0, 0), (k, g) => k == 0 ? 1 : g)));

    [Fact]
    public void Wrong_gradients_where_every_target_is_the_own_output_are_rounding_noise_not_a_factor() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, " +
                     "not 0 up to rounding where every target is the implementation's own output), in every layer; the step was not asked",
                     Pattern(Gradients(UnitAt(1, 0.75), (k, g) => 1e-3)));

    [Fact]
    public void Wrong_gradients_where_every_target_is_the_own_output_are_counted_apart_from_the_factor() =>
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (4 of 4 entries, " +
                     "about 3x the exact values; 2 where every target is the implementation's own output, so the exact values are 0 up to rounding), in every layer; the step was not asked",
                     Pattern(Gradients(Unit(), (k, g) => 3 * g), Gradients(UnitAt(1, 0.75), (k, g) => 1e-3)));

    [Fact]
    public void Exact_zeros_and_own_output_targets_are_both_counted_after_the_factor() =>
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (4 of 4 entries, " +
                     "about 3x the exact values; 1 not 0 where the exact value is 0; 2 where every target is the implementation's own output, so the exact values are 0 up to rounding), " +
                     "in every layer; the step was not asked",
                     Pattern(Gradients(UnitAt(0, 0), (k, g) => k == 0 ? 1 : 3 * g), Gradients(UnitAt(1, 0.75), (k, g) => 1e-3)));

    [Fact]
    public void Only_exact_zeros_and_own_output_targets_wrong_name_no_factor_but_count_the_own_outputs() =>
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (3 of 4 entries, " +
                     "not 0 where the exact values are 0; 2 where every target is the implementation's own output, so the exact values are 0 up to rounding), " +
                     "in every layer; the step was not asked",   // one wrong bias gradient (on the second network) makes every group wrong
                     Pattern(Gradients(UnitAt(0, 0), (k, g) => k == 0 ? 1 : g), Gradients(UnitAt(1, 0.75), (k, g) => 1e-3)));

    // ---- what the probes show ------------------------------------------------------------------

    string Pattern(Diagnosis.Answer[] failing, params Diagnosis.Answer[] probes) => Said(Diagnosis.Explain(failing, Precision.Float64, probes));

    [Fact]
    public void Right_failing_networks_and_a_wrong_probe_are_said_together_as_the_networks_asked() =>
        Assert.Equal($"on the 2 networks asked, the outputs and the loss agree; {DeepBiasesZero}; the step was not asked",
                     Pattern([Gradients(Unit(BiasMode.None))], DeepWithBiasGradientsZero()));

    [Fact]
    public void Two_classes_recognised_on_the_probes_only_are_named_with_what_the_probes_show()
    {
        Diagnosis.Answer probe = DeepWithBiasGradientsZero();
        bool[] frozen = Frozen(probe.Network);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "in every layer; the step was not asked; step-climbs and bias-gradient-zero are recognised on the fixed probe networks (1 asked), where " +
                     $"{DeepBiasesZero}, the step does not follow W - eta*g for the implementation's own gradient g in 12 of 16 trainable entries " +
                     "(layers[0] weights, layers[1] weights, layers[2] weights): it is W + eta*g: it climbs; the named classes leave 1 wrong answer unexplained (1 gradient entry)",
                     Pattern([Gradients(Unit(BiasMode.None), (k, g) => 3 * g)], probe, Step(probe, (k, w, g) => frozen[k] ? w : w + 0.1 * g)));
    }

    [Fact]
    public void A_class_recognised_by_the_loss_on_the_probes_only_says_what_their_forward_pass_shows()
    {
        const string half = "1/2 of the exact values (1/m here: m = 2, the batch size)";
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "in every layer; the step was not asked; mean-over-outputs-too is recognised on the fixed probe networks (1 asked), where " +
                     $"the outputs agree, the loss is wrong on 1 of 1 networks ({half}), the gradients of layers[0] are wrong (6 of 6 entries, {half}), " +
                     $"the gradients of layers[1] are wrong (6 of 6 entries, {half}), the gradients of layers[2] (the output layer) are wrong (6 of 6 entries, {half}), in every layer; " +
                     "the named classes leave 1 wrong answer unexplained (1 gradient entry)",
                     Pattern([Gradients(Unit(BiasMode.None), (k, g) => 3 * g)], Gradients(Deep(LossKind.HalfMse), (k, g) => g / 2, loss: l => l / 2)));
    }

    [Fact]
    public void Wrong_answers_no_class_explains_are_counted_by_part_in_the_singular()
    {
        Diagnosis.Answer failing = Gradients(Unit(BiasMode.None), (k, g) => 3 * g, outputs: (e, k, o) => 2 * o, loss: l => 3 * l);
        Assert.Equal("on the 1 network asked, the outputs are wrong (1 of 1 entries, 2x the exact values): every later answer rests on a wrong forward pass, " +
                     "the loss is wrong on 1 of 1 networks (about 3x the exact values); the gradients of layers[0] (the output layer) are wrong (1 of 1 entries, about 3x the exact values), " +
                     "in every layer; the step does not follow W - eta*g for the implementation's own gradient g in 1 of 1 trainable entries (layers[0] weights); " +
                     $"bias-gradient-zero is recognised on the fixed probe networks (1 asked), where {DeepBiasesZero}; " +
                     "the named classes leave 4 wrong answers unexplained (1 loss value, 1 output, 1 gradient entry, 1 step entry)",
                     Pattern([failing, Step(failing, (k, w, g) => w + 1)], DeepWithBiasGradientsZero()));
    }

    [Fact]
    public void Wrong_answers_no_class_explains_are_counted_by_part_in_the_plural()
    {
        Diagnosis.Answer one = Gradients(Unit(BiasMode.None), (k, g) => 3 * g, outputs: (e, k, o) => 2 * o, loss: l => 3 * l),
                         two = Gradients(Unit(BiasMode.None, m: 2), (k, g) => 3 * g, outputs: (e, k, o) => 2 * o, loss: l => 3 * l);
        Assert.Equal("on the 2 networks asked, the outputs are wrong (3 of 3 entries, 2x the exact values): every later answer rests on a wrong forward pass, " +
                     "the loss is wrong on 2 of 2 networks (about 3x the exact values); the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, about 3x the exact values), " +
                     "in every layer; the step does not follow W - eta*g for the implementation's own gradient g in 2 of 2 trainable entries (layers[0] weights); " +
                     $"bias-gradient-zero is recognised on the fixed probe networks (1 asked), where {DeepBiasesZero}; " +
                     "the named classes leave 9 wrong answers unexplained (2 loss values, 3 outputs, 2 gradient entries, 2 step entries)",
                     Pattern([one, Step(one, (k, w, g) => w + 1), two, Step(two, (k, w, g) => w + 1)], DeepWithBiasGradientsZero()));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_gradient_that_is_not_finite_where_the_exact_value_is_not_0_is_said_to_be_not_finite(double reported) =>
        // the exact weight gradient is 0.75: "not 0 where the exact values are 0" would be false
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the weight gradients of layers[0] (the output layer) are wrong (1 of 1 entries, " +
                     "not finite (NaN or infinite)), every other gradient agrees; the step was not asked",
                     Pattern(Gradients(Unit(), (k, g) => k == 0 ? reported : g)));

    /// <summary>x = 0: the exact weight gradient is 0 and the bias gradient 0.25 is the only entry
    /// any class changes. An infinite bias gradient is what no finite prediction explains, but
    /// |∞ − p| ≤ 1e-4·(∞ + |p|) holds in IEEE arithmetic, so a loose tolerance written as a sum alone
    /// let it "match" sign-flip (−0.25), gradient-factor-two (0.5) and bias-gradient-zero (0) at once.</summary>
    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void An_infinite_bias_gradient_is_explained_by_no_class(double reported)
    {
        Diagnosis.Result d = Diagnosis.Explain([Gradients(UnitAt(0, 0), (k, g) => k == 1 ? reported : g)]);
        Assert.Empty(d.Classes);
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the bias gradients of layers[0] (the output layer) are wrong (1 of 1 entries, " +
                     "not finite (NaN or infinite)), every other gradient agrees; the step was not asked", Said(d));
    }

    [Fact]
    public void Entries_that_are_not_finite_are_counted_apart_from_the_factor() =>
        Assert.Equal(EveryEntryWrong("1 network", 3, "about 3x the exact values; 1 not finite (NaN or infinite)"),
                     Pattern(Gradients(Wide(3), (k, g) => k == 1 ? double.NaN : 3 * g)));

    [Fact]
    public void Entries_not_finite_and_entries_not_0_where_the_exact_value_is_0_name_no_factor_but_count_both() =>
        // x = 0: the exact weight gradient is 0, the bias gradient 0.25
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, " +
                     "1 not finite (NaN or infinite); 1 not 0 where the exact value is 0), in every layer; the step was not asked",
                     Pattern(Gradients(UnitAt(0, 0), (k, g) => k == 0 ? 1 : double.NaN)));

    [Fact]
    public void Outputs_that_are_not_finite_are_said_to_be_not_finite() =>
        Assert.Equal("on the 1 network asked, the outputs are wrong (1 of 1 entries, not finite (NaN or infinite)): every later answer rests on a wrong forward pass, " +
                     "the loss agrees; every gradient agrees; the step was not asked",
                     Pattern(Gradients(Unit(), outputs: (e, k, o) => double.NaN)));

    /// <summary>A gradients reply always carries the outputs, so a forward pass left unjudged was
    /// answered in the wrong shape (not batch size × output units), never left unasked.</summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    [InlineData(2, 1)]
    public void Outputs_of_the_wrong_shape_say_that_no_outputs_of_the_right_shape_came_back(int examples, int outputs)
    {
        Network u = Unit();
        var reply = (Gradients)Gradients(u, (k, g) => 3 * g).Value;
        double[][] shape = Enumerable.Range(0, examples).Select(_ => Enumerable.Repeat(0.75, outputs).ToArray()).ToArray();
        Assert.Equal("on the 1 network asked, no outputs of the right shape came back: the forward pass could not be judged; " +
                     "the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, about 3x the exact values), in every layer; the step was not asked",
                     Pattern(new Diagnosis.Answer(u, reply with { Outputs = shape })));
    }

    [Fact]
    public void A_constant_that_is_1_over_m_K_on_every_network_but_not_m_or_K_alone_says_so() =>
        // extra-1-over-m explains the batch of two (half-sse over m); the two outputs of the other network are left
        Assert.Equal(EveryEntryWrong("2 networks", 3, "1/2 of the exact values (1/(m K) here: m = 1 or 2, K = 1 or 2 outputs)") +
                     "; the named classes leave 2 wrong answers unexplained (2 gradient entries)",
                     Pattern(Gradients(Wide(1, 2), (k, g) => g / 2), Gradients(Wide(2, 1), (k, g) => g / 2)));

    [Fact]
    public void A_factor_m_that_is_1_on_one_network_is_still_named_where_it_is_not_1_on_every_network() =>
        Assert.Equal(EveryEntryWrong("2 networks", 2, "m times the exact values (m = 1 or 3, the batch size)"),
                     Pattern(Gradients(Wide(1, 1), (k, g) => 1.0005 * g), Gradients(Wide(1, 3), (k, g) => 3 * g)));

    [Fact]
    public void Lost_digits_give_the_largest_relative_error() =>
        Assert.Equal(EveryEntryWrong("1 network", 2, "close to the exact values (relative errors up to 0.0005): digits lost beyond every standard formulation's rounding, not a wrong factor"),
                     Pattern(Gradients(Wide(2), (k, g) => (k == 0 ? 1.0002 : 1.0005) * g)));

    [Fact]
    public void Ratios_within_1e_3_of_the_largest_are_about_one_factor() =>
        // 3.0030015 - 3 lies between 1e-3 * 3 and 1e-3 * 3.0030015
        Assert.Equal(EveryEntryWrong("1 network", 2, "about 3x the exact values"), Pattern(Gradients(Wide(2), (k, g) => (k == 0 ? 3 : 3.0030015) * g)));

    [Fact]
    public void A_class_that_explains_the_failing_networks_too_is_not_said_to_show_on_the_probes_only() =>
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 2 entries, the exact values with the sign flipped (-1x)), " +
                     "in every layer; the step was not asked",
                     Pattern([Gradients(Unit(), (k, g) => -g)], Gradients(Deep(), (k, g) => -g)));

    [Fact]
    public void One_wrong_failing_network_among_right_ones_keeps_the_probes_apart()
    {
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (1 of 2 entries, about 3x the exact values), " +
                     $"in every layer; the step was not asked; bias-gradient-zero is recognised on the fixed probe networks (1 asked), where {DeepBiasesZero}; " +
                     "the named classes leave 1 wrong answer unexplained (1 gradient entry)",
                     Pattern([Gradients(Unit(BiasMode.None)), Gradients(Unit(BiasMode.None), (k, g) => 3 * g)], DeepWithBiasGradientsZero()));
    }

    [Fact]
    public void A_step_by_the_exact_gradient_on_one_network_of_two_is_still_right_but_not_by_the_rule()
    {
        Diagnosis.Answer reported = Gradients(Unit(), (k, g) => 3 * g), right = Gradients(Unit(m: 2));
        double[] exact = Right.Gradients(reported.Network).Flatten();
        Assert.Equal("on the 2 networks asked, the outputs and the loss agree; the gradients of layers[0] (the output layer) are wrong (2 of 4 entries, about 3x the exact values), " +
                     "in every layer; the step is right: it follows the exact gradient, not the gradient the implementation reports",
                     Pattern(reported, Step(reported, (k, w, _) => w - 0.1 * exact[k]), right, RightStep(right)));
    }

    [Fact]
    public void A_step_where_only_some_entries_follow_a_rule_names_no_rule()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        // entry 0 climbs, entry 1 moves 1 too far, the rest follow W - eta*g
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; the step does not follow W - eta*g for the implementation's own gradient g " +
                     "in 2 of 16 trainable entries (layers[0] weights)",
                     Pattern(deep, Step(deep, (k, w, g) => frozen[k] ? w : k == 0 ? w + 0.1 * g : k == 1 ? w - 0.1 * g + 1 : w - 0.1 * g)));
    }

    [Fact]
    public void Frozen_biases_of_which_only_one_moved_by_its_gradient_are_not_said_to_move_as_if_trainable()
    {
        Diagnosis.Answer deep = Gradients(Deep());
        bool[] frozen = Frozen(deep.Network);
        // entries 10 and 11 are the frozen biases of layers[1]
        Assert.Equal("on the 1 network asked, the outputs and the loss agree; every gradient agrees; 2 frozen biases moved",
                     Pattern(deep, Step(deep, (k, w, g) => k == 10 ? w - 0.1 * g : k == 11 ? w + 1 : w - 0.1 * g)));
    }
}
