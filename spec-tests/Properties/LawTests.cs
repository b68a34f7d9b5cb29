using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using P = BackpropSpec.Oracle.Properties;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// Each property called on its own, on hand-sized networks: the reference passes it, and an
/// implementation that breaks exactly that law fails it with the message a user reads. (MutantTests
/// only need some property to reject each bug, so a law weakened in one property hides behind another.)
/// </summary>
public class LawTests
{
    /// <summary>The reference, with its gradients or step bent by a function of the network asked about.</summary>
    sealed class Bent(Func<Network, Gradients, Gradients>? grad = null, Func<Network, Parameters, Parameters>? step = null) : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        public string Name => "bent";
        public Evaluation Forward(Network n) => reference.Forward(n);
        public Gradients Gradients(Network n) { Gradients g = reference.Gradients(n); return grad is null ? g : grad(n, g); }
        public Parameters Step(Network n) { Parameters p = reference.Step(n); return step is null ? p : step(n, p); }
    }

    /// <summary>g with dE/dW[layer][j, i] multiplied by factor.</summary>
    static Gradients Scaled(Gradients g, int layer, int j, int i, double factor)
    {
        var w = g.dE_dW.Select(m => (double[,])m.Clone()).ToArray();
        w[layer][j, i] *= factor;
        return g with { dE_dW = w };
    }

    static Gradients Negated(Gradients g) =>
        g with { dE_dW = g.dE_dW.Select(m => { var c = (double[,])m.Clone(); for (int j = 0; j < c.GetLength(0); j++) for (int i = 0; i < c.GetLength(1); i++) c[j, i] = -c[j, i]; return c; }).ToArray(),
                 dE_db = g.dE_db.Select(b => b?.Select(v => -v).ToArray()).ToArray() };

    /// <summary>
    /// x → two identity hidden units (weights 1, 2; biases 0) → one identity output (weights 1, 1; no bias):
    /// y = 3x. Batch x = 1, 2 with targets 0, so δ = 3x and every number below is a small integer, exact in double.
    /// Half-sse gradients, in flattened order: hidden weights Σ 3x·x = 15, 15; hidden biases Σ 3x = 9, 9;
    /// output weights Σ 3x·h_j with h = (x, 2x): 15, 30.
    /// </summary>
    static Network Net(LossKind loss = LossKind.HalfSse, double eta = 0.125, BiasMode bias = BiasMode.Trainable, int units = 2) =>
        Network.Create(1,
            [new Layer(Activation.Identity, Column(Enumerable.Range(1, units).Select(v => (double)v).ToArray()), new double[units], bias),
             new Layer(Activation.Identity, Row(Enumerable.Repeat(1.0, units).ToArray()), null, BiasMode.None)],
            loss, eta, [[1.0], [2.0]], [[0.0], [0.0]]);

    static double[,] Column(double[] v) { var m = new double[v.Length, 1]; for (int j = 0; j < v.Length; j++) m[j, 0] = v[j]; return m; }
    static double[,] Row(double[] v) { var m = new double[1, v.Length]; for (int j = 0; j < v.Length; j++) m[0, j] = v[j]; return m; }

    const string Bug = " of it: a bug";

    static void AssertWrong(PropertyVerdict v, string start, int findings = 1)
    {
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.StartsWith(start, v.Message);
        Assert.EndsWith(Bug, v.Message);
        Assert.Equal(findings, v.Findings.Count);
    }

    // ------------------------------------------------------------------ the reference passes each law

    public static TheoryData<string> Names() => [.. P.All.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_reference_satisfies_every_law_on_the_small_networks(string name)
    {
        foreach (Network n in new[] { Net(), Net(LossKind.HalfMse), Net(units: 3), Net(bias: BiasMode.Frozen) })
        {
            PropertyVerdict v = P.Named(name)(new ReferenceBackprop(), n, Precision.Float64);
            Assert.Equal(Zone.Agrees, v.Zone);
            Assert.Equal("holds", v.Message);
            Assert.Empty(v.Findings);
        }
    }

    [Fact]
    public void The_reference_gradients_are_the_hand_derived_ones()
    {
        Assert.Equal([15.0, 15, 9, 9, 15, 30], new ReferenceBackprop().Gradients(Net()).Flatten());
    }

    // ------------------------------------------------------------------ the exact values

    [Fact]
    public void A_doubled_gradient_entry_breaks_agreement_with_the_exact_values()
    {
        var bent = new Bent((n, g) => Scaled(g, 1, 0, 0, 2));
        PropertyVerdict v = P.GradientsAgreeWithExactValues(bent, Net(), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.NotNull(v.Table);
        Assert.Single(v.Findings);
        Assert.Equal(30.0, v.Findings[0].Actual);
        Assert.Equal(15.0, v.Findings[0].Exact);
    }

    /// <summary>One layer of two identity units, weights 1, 2, no bias: outputs (x, 2x), targets 0,
    /// so outputs[1] = (2, 4) and E = ½(1 + 4 + 4 + 16) = 12.5.</summary>
    static Network TwoOutputs() =>
        Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 }, { 2.0 } }, null, BiasMode.None)], LossKind.HalfSse, 0.125,
            [[1.0], [2.0]], [[0.0, 0.0], [0.0, 0.0]]);

    [Fact]
    public void A_wrong_output_is_named_by_example_and_unit()
    {
        var bent = new Bent((n, g) =>
        {
            var o = g.Outputs.Select(r => (double[])r.Clone()).ToArray();
            o[1][1] += 1;
            return g with { Outputs = o };
        });
        PropertyVerdict v = P.ForwardAgreesWithExactValues(bent, TwoOutputs(), Precision.Float64);
        // |5 - 4| / 4 = 0.25, -log10 0.25 = 0.60
        AssertWrong(v, "outputs[1][1] is 5, exactly 4 (off by 1, relative error 0.25, 0.6 correct digits); every standard formulation stays within ");
        Assert.Equal(AnswerKind.Output, v.Findings[0].On);
        Assert.Equal(1 * 2 + 1, v.Findings[0].Index);
        Assert.Equal(4.0, v.Findings[0].Exact);
    }

    [Fact]
    public void A_wrong_loss_is_named_the_loss()
    {
        var bent = new Bent((n, g) => g with { Loss = g.Loss + 1 });
        PropertyVerdict v = P.ForwardAgreesWithExactValues(bent, TwoOutputs(), Precision.Float64);
        // |13.5 - 12.5| / 12.5 = 0.08, -log10 0.08 = 1.10
        AssertWrong(v, "loss is 13.5, exactly 12.5 (off by 1, relative error 0.08, 1.1 correct digits); every standard formulation stays within ");
        Assert.Equal("loss", v.Findings[0].Quantity);
        Assert.Equal(AnswerKind.Loss, v.Findings[0].On);
        Assert.Equal(12.5, v.Findings[0].Exact);
    }

    // ------------------------------------------------------------------ the step

    static Parameters Moved(Parameters p, Func<Parameters, Parameters> f) => f(new Parameters(
        p.W.Select(m => (double[,])m.Clone()).ToArray(), p.B.Select(b => (double[]?)b?.Clone()).ToArray()));

    [Fact]
    public void A_step_off_by_one_is_wrong_and_says_what_it_should_be()
    {
        // W = 1, eta = 0.125, dE/dW = 15: W - eta*g = -0.875; the bent step answers 0.125
        var bent = new Bent(step: (n, p) => Moved(p, c => { c.W[1][0, 0] += 1; return c; }));
        PropertyVerdict v = P.StepUsesOriginalWeights(bent, Net(), Precision.Float64);
        AssertWrong(v, "layers[1].weights[0][0] after the step is 0.125, W - eta*dE/dW (eta = 0.125) is -0.875 (ratio -0.142857); every standard formulation stays within ");
        Assert.Equal(-0.875, v.Findings[0].Exact);
    }

    [Fact]
    public void A_frozen_bias_that_moves_is_wrong()
    {
        var bent = new Bent(step: (n, p) => Moved(p, c => { c.B[0]![0] += 1; return c; }));
        PropertyVerdict v = P.StepUsesOriginalWeights(bent, Net(bias: BiasMode.Frozen), Precision.Float64);
        AssertWrong(v, "layers[0].biases[0] (frozen) is 1, it must stay 0 (off by 1); every standard formulation stays within ");
    }

    [Fact]
    public void A_step_missing_a_layer_is_the_wrong_shape()
    {
        var bent = new Bent(step: (n, p) => new Parameters(p.W[..1], p.B[..1]));
        PropertyVerdict v = P.StepUsesOriginalWeights(bent, Net(), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Equal("the step returned 4 numbers for 6 parameters", v.Message);
        Assert.Equal("the answer's shape", v.Findings[0].Quantity);
    }

    // ------------------------------------------------------------------ the laws

    [Fact]
    public void A_batch_gradient_that_is_not_the_sum_of_its_halves_breaks_the_batch_law()
    {
        // the halves (x = 1, x = 2) give 3·1·1 = 3 and 3·2·2 = 12 for the output weight to unit 0: 15; the bent batch says 30
        var bent = new Bent((n, g) => n.BatchSize == 2 ? Scaled(g, 1, 0, 0, 2) : g);
        PropertyVerdict v = P.BatchGradientCombinesExamples(bent, Net(), Precision.Float64);
        AssertWrong(v, "layers[1].weights[0][0]: the gradient of the batch is 30, the sum of its halves' gradients is 15 (ratio 2); every standard formulation stays within ");
        Assert.Equal(AnswerKind.Gradient, v.Findings[0].On);
        Assert.Equal(4, v.Findings[0].Index);
    }

    [Fact]
    public void A_mean_batch_gradient_that_is_not_the_weighted_mean_of_its_halves_breaks_the_batch_law()
    {
        // half-mse: the halves' 3 and 12, each weighted 1/2: 7.5; the bent batch doubles its 7.5
        var bent = new Bent((n, g) => n.BatchSize == 2 ? Scaled(g, 1, 0, 0, 2) : g);
        PropertyVerdict v = P.BatchGradientCombinesExamples(bent, Net(LossKind.HalfMse), Precision.Float64);
        AssertWrong(v, "layers[1].weights[0][0]: the gradient of the batch is 15, the mean of its halves' gradients, weighted by size, is 7.5 (ratio 2); every standard formulation stays within ");
    }

    [Fact]
    public void A_half_mse_gradient_that_is_not_half_sse_over_m_breaks_the_scaling_law()
    {
        var bent = new Bent((n, g) => n.Loss == LossKind.HalfMse ? Scaled(g, 1, 0, 0, 2) : g);
        foreach (LossKind loss in new[] { LossKind.HalfSse, LossKind.HalfMse })
        {
            PropertyVerdict v = P.MeanLossScalesGradients(bent, Net(loss), Precision.Float64);
            AssertWrong(v, "layers[1].weights[0][0]: the half-mse gradient is 15, half-sse's gradient / m is 7.5 (ratio 2); every standard formulation stays within ");
        }
    }

    [Fact]
    public void A_gradient_of_the_wrong_length_is_the_wrong_shape()
    {
        var bent = new Bent((n, g) => n.Loss == LossKind.HalfSse ? g with { dE_dW = g.dE_dW[..1], dE_db = g.dE_db[..1] } : g);
        PropertyVerdict v = P.MeanLossScalesGradients(bent, Net(LossKind.HalfMse), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Equal("the half-mse gradient has 6 entries, expected 4", v.Message);
        Assert.Equal("the answer's shape", v.Findings[0].Quantity);
        Assert.Equal("the half-mse gradient has 6 entries, expected 4", v.Findings[0].Note);
    }

    [Fact]
    public void A_doubled_batch_whose_gradient_is_not_twice_breaks_the_duplication_law()
    {
        // the doubled batch (x = 1, 2, 1, 2) has 2·15 = 30 for the output weight to unit 0; the bent one says 60
        var bent = new Bent((n, g) => n.BatchSize == 4 ? Scaled(g, 1, 0, 0, 2) : g);
        PropertyVerdict v = P.DuplicatedBatchDoublesGradients(bent, Net(), Precision.Float64);
        AssertWrong(v, "layers[1].weights[0][0]: the gradient of the doubled batch is 60, twice the gradient of the single batch is 30 (ratio 2); every standard formulation stays within ");
    }

    [Fact]
    public void A_gradient_that_does_not_follow_the_permuted_units_breaks_the_permutation_law()
    {
        // rotated, the hidden weights are (2, 1): the output weight to unit 0 now sees h = 2x, gradient Σ 3x·2x = 30; bent: 60
        var bent = new Bent((n, g) => n.Layers[0].W[0, 0] == 2 ? Scaled(g, 1, 0, 0, 2) : g);
        PropertyVerdict v = P.PermutingHiddenUnitsPermutesGradients(bent, Net(), Precision.Float64);
        AssertWrong(v, "layers[1].weights[0][0]: the permuted network's gradient is 60, the original gradient, permuted the same way, is 30 (ratio 2); every standard formulation stays within ");
    }

    [Fact]
    public void The_permutation_law_is_checked_with_three_hidden_units_too()
    {
        // rotated by one, hidden weights (1, 2, 3) become (3, 1, 2); the bent answer doubles one entry of the rotated network's gradient only
        var bent = new Bent((n, g) => n.Layers[0].W[0, 0] == 3 ? Scaled(g, 1, 0, 0, 2) : g);
        PropertyVerdict v = P.PermutingHiddenUnitsPermutesGradients(bent, Net(units: 3), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Single(v.Findings);
    }

    [Fact]
    public void A_gradient_at_zero_error_that_is_not_zero_is_wrong()
    {
        var bent = new Bent((n, g) => Scaled(g, 1, 0, 0, 1) with { dE_db = g.dE_db.Select(b => b?.Select(v => v + 1).ToArray()).ToArray() });
        PropertyVerdict v = P.ZeroErrorGivesZeroGradient(bent, Net(), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.NotNull(v.Table);
        Assert.StartsWith("with every target equal to its output: ", v.Message);
        Assert.EndsWith(" (and 1 more)", v.Message);
    }

    [Fact]
    public void A_gradient_pointing_uphill_makes_the_loss_increase_along_the_step()
    {
        // the negated gradient: slope = +‖g‖² = 15² + 15² + 9² + 9² + 15² + 30² = 1737
        PropertyVerdict v = P.SmallStepDoesNotIncreaseLoss(new Bent((n, g) => Negated(g)), Net(), Precision.Float64);
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Equal("E increases along the step direction -dE/dW: its exact slope there is 1737 > 0 (a correct gradient gives -1737)", v.Message);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal("the exact slope of E along -dE/dW", f.Quantity);
        Assert.Equal(1737.0, f.Actual);
        Assert.Equal(-1737.0, f.Exact);
        Assert.Equal("a correct gradient makes it", f.Note);
    }

    [Fact]
    public void A_zero_gradient_is_no_step_and_so_no_increase()
    {
        var bent = new Bent((n, g) => g with
        {
            dE_dW = g.dE_dW.Select(m => new double[m.GetLength(0), m.GetLength(1)]).ToArray(),
            dE_db = g.dE_db.Select(b => b is null ? null : new double[b.Length]).ToArray(),
        });
        Assert.Equal(Zone.Agrees, P.SmallStepDoesNotIncreaseLoss(bent, Net(), Precision.Float64).Zone);
    }

    [Fact]
    public void Laws_that_do_not_apply_hold()
    {
        var bent = new Bent((n, g) => Scaled(g, 0, 0, 0, 2));
        Network single = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.HalfMse, 0.125, [[1.0]], [[0.0]]);
        Assert.Equal(PropertyVerdict.Holds, P.BatchGradientCombinesExamples(bent, single, Precision.Float64));
        Assert.Equal(PropertyVerdict.Holds, P.DuplicatedBatchDoublesGradients(bent, single, Precision.Float64));
        Assert.Equal(PropertyVerdict.Holds, P.PermutingHiddenUnitsPermutesGradients(bent, single, Precision.Float64));
    }

    // ------------------------------------------------------------------ the verdict

    static readonly Finding Agreeing = new(Zone.Agrees, "a", 1, 1, 1, 1);
    static readonly Finding Inaccurate = new(Zone.Accuracy, "b", 1.5, 1, 0.1, 1);
    static readonly Finding FarButLoose = new(Zone.Wrong, "c", 3, 1, 1, 1);       // deviation 2, 2 bounds
    static readonly Finding NearButTight = new(Zone.Wrong, "d", 2, 1, 0.1, 0.1);  // deviation 1, 10 bounds

    [Fact]
    public void The_worst_zone_leads_and_within_it_the_deviation_in_bounds()
    {
        PropertyVerdict v = PropertyVerdict.Of([Agreeing, Inaccurate, FarButLoose, NearButTight], "lead: ");
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Equal([NearButTight, FarButLoose, Inaccurate], v.Findings);
        Assert.Equal("lead: " + NearButTight.Describe() + " (and 2 more)", v.Message);
    }

    [Fact]
    public void A_single_finding_is_the_message_and_none_holds()
    {
        PropertyVerdict v = PropertyVerdict.Of([Inaccurate, Agreeing]);
        Assert.Equal(Zone.Accuracy, v.Zone);
        Assert.Equal(Inaccurate.Describe(), v.Message);
        Assert.Same(PropertyVerdict.Holds, PropertyVerdict.Of([Agreeing]));
        Assert.Equal("holds", PropertyVerdict.Holds.Message);
    }

    // ------------------------------------------------------------------ running the properties

    [Fact]
    public void Named_finds_a_property_and_refuses_an_unknown_name()
    {
        Assert.Equal(new NetworkProperty(P.ZeroErrorGivesZeroGradient), P.Named("zero error gives zero gradient"));
        var e = Assert.Throws<ArgumentException>(() => P.Named("no such"));
        Assert.Equal("no property named 'no such'; the properties are: gradients agree with the exact derivatives; "
                     + "forward outputs and loss agree with the exact values; a step is W - eta * dE/dW from the original weights; "
                     + "the batch gradient is the sum or mean of per-example gradients; half-mse gradients are half-sse gradients over m; "
                     + "duplicating the batch of a summed loss doubles every gradient; permuting hidden units permutes the gradients; "
                     + "zero error gives zero gradient; a small enough step does not increase the loss", e.Message);
    }

    [Fact]
    public void Run_stops_at_the_first_failure_and_FirstFailure_names_it()
    {
        var bent = new Bent((n, g) => Negated(g));
        var found = P.Run(bent, Net());
        var only = Assert.Single(found);
        Assert.Equal("gradients agree with the exact derivatives", only.Name);
        Assert.Equal("gradients agree with the exact derivatives", P.FirstFailure(bent, Net())!.Value.Name);
        Assert.Empty(P.Run(new ReferenceBackprop(), Net()));
        Assert.Null(P.FirstFailure(new ReferenceBackprop(), Net()));
    }

    [Fact]
    public void An_exception_of_the_implementation_is_a_wrong_finding()
    {
        var bent = new Bent((n, g) => throw new InvalidOperationException("boom"));
        PropertyVerdict v = P.Judge(P.GradientsAgreeWithExactValues, bent, Net());
        Assert.Equal(Zone.Wrong, v.Zone);
        Assert.Equal("the implementation threw InvalidOperationException: boom", v.Message);
        Finding f = Assert.Single(v.Findings);
        Assert.Equal("the implementation", f.Quantity);
        Assert.Equal("threw InvalidOperationException", f.Note);
    }

    // ------------------------------------------------------------------ the derived networks

    [Fact]
    public void The_derived_networks_are_made_once_and_have_the_expected_batches_and_weights()
    {
        Network n = Network.Create(1,
            [new Layer(Activation.Identity, new[,] { { 1.0 }, { 2.0 }, { 3.0 } }, [0.1, 0.2, 0.3], BiasMode.Trainable),
             new Layer(Activation.Identity, new[,] { { 4.0, 5.0, 6.0 } }, null, BiasMode.None)],
            LossKind.HalfSse, 0.125, [[1.0], [2.0], [3.0]], [[0.5], [0.6], [0.7]]);
        var halves = Derived.Halves(n);
        Assert.Same(halves, Derived.Halves(n));
        Assert.Equal([[1.0], [2.0]], halves[0].X);
        Assert.Equal([[0.5], [0.6]], halves[0].T);
        Assert.Equal([[3.0]], halves[1].X);
        Assert.Equal([[0.7]], halves[1].T);

        Network twice = Derived.Twice(n);
        Assert.Same(twice, Derived.Twice(n));
        Assert.Equal([[1.0], [2.0], [3.0], [1.0], [2.0], [3.0]], twice.X);
        Assert.Equal([[0.5], [0.6], [0.7], [0.5], [0.6], [0.7]], twice.T);

        Assert.Same(n, Derived.WithLoss(n, LossKind.HalfSse));
        Network mse = Derived.WithLoss(n, LossKind.HalfMse);
        Assert.Equal(LossKind.HalfMse, mse.Loss);
        Assert.Same(mse, Derived.WithLoss(n, LossKind.HalfMse));
        Network back = Derived.WithLoss(mse, LossKind.HalfSse);
        Assert.Equal(LossKind.HalfSse, back.Loss);
        Assert.Same(back, Derived.WithLoss(mse, LossKind.HalfSse));

        // rotated by one: unit j moves to j + 1, so the hidden rows (1, 2, 3) become (3, 1, 2), the output columns (4, 5, 6) → (6, 4, 5)
        Network permuted = Derived.Permuted(n);
        Assert.Same(permuted, Derived.Permuted(n));
        Assert.Equal(new[,] { { 3.0 }, { 1.0 }, { 2.0 } }, permuted.Layers[0].W);
        Assert.Equal([0.3, 0.1, 0.2], permuted.Layers[0].B!);
        Assert.Equal(new[,] { { 6.0, 4.0, 5.0 } }, permuted.Layers[1].W);

        Assert.Equal([halves[0], halves[1], mse, twice, permuted], Derived.Ahead(n));
        Assert.Equal([Derived.Halves(mse)[0], Derived.Halves(mse)[1], back, Derived.Permuted(mse)], Derived.Ahead(mse));
    }

    [Fact]
    public void Ahead_lists_only_the_networks_the_properties_will_ask_about()
    {
        Network single = Network.Create(1, [new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.HalfMse, 0.125, [[1.0]], [[0.0]]);
        Assert.Equal([Derived.WithLoss(single, LossKind.HalfSse)], Derived.Ahead(single));

        Network sse = Derived.WithLoss(single, LossKind.HalfSse);
        Assert.Equal([Derived.WithLoss(sse, LossKind.HalfMse), Derived.Twice(sse)], Derived.Ahead(sse));

        Network bce = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.125, [[1.0]], [[0.0]]);
        Assert.Empty(Derived.Ahead(bce));

        // two layers but one hidden unit: nothing to permute
        Network narrow = Network.Create(1,
            [new Layer(Activation.Identity, new[,] { { 1.0 } }, null, BiasMode.None), new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)],
            LossKind.BinaryCrossEntropy, 0.125, [[1.0]], [[0.0]]);
        Assert.Empty(Derived.Ahead(narrow));

        // one layer of two units: nothing above them to permute with
        Network wide = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 }, { 2.0 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.125, [[1.0]], [[0.0, 1.0]]);
        Assert.Empty(Derived.Ahead(wide));

        // two hidden units are enough to permute
        Network two = Net();
        Assert.Equal([Derived.Halves(two)[0], Derived.Halves(two)[1], Derived.WithLoss(two, LossKind.HalfMse), Derived.Twice(two), Derived.Permuted(two)], Derived.Ahead(two));
    }

    [Fact]
    public void A_network_of_a_third_loss_keeps_its_two_squared_loss_variants_apart()
    {
        Network bce = Network.Create(1, [new Layer(Activation.Sigmoid, new[,] { { 1.0 } }, null, BiasMode.None)], LossKind.BinaryCrossEntropy, 0.125, [[1.0]], [[0.0]]);
        Network sse = Derived.WithLoss(bce, LossKind.HalfSse), mse = Derived.WithLoss(bce, LossKind.HalfMse);
        Assert.Equal(LossKind.HalfSse, sse.Loss);
        Assert.Equal(LossKind.HalfMse, mse.Loss);
        Assert.Same(sse, Derived.WithLoss(bce, LossKind.HalfSse));
        Assert.Same(mse, Derived.WithLoss(bce, LossKind.HalfMse));
    }
}
