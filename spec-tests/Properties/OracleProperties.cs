using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>The oracles, the generator and the laws the documents state, on random networks.</summary>
public class OracleProperties(ITestOutputHelper output) : PropertyTests(output)
{
    /// <summary>
    /// What proves the O(P) path: on small random networks the exact gradient (the reference's backprop
    /// in double-double) agrees entry by entry with the per-parameter oracles that share nothing with
    /// it: forward mode on dual numbers (within the duals' own derived tolerance), Richardson
    /// differences (within their estimate, where they converge) and the complex step.
    /// </summary>
    [NetworkProperty]
    public Property The_exact_gradient_agrees_with_the_per_parameter_oracles_entry_by_entry(Network n) => Holds(n, OracleDisagreement(n));

    static string? OracleDisagreement(Network n)
    {
        OracleGradients o = Oracles.Compute(n);
        Truth truth = Truth.For(n);
        ExactValues x = truth.Exact;
        // at a ReLU within rounding of its kink the double computations may take either derivative
        bool kinks = truth.Careful.AmbiguousKinks.Count > 0;
        for (int k = 0; k < o.Dual.Length; k++)
        {
            double exact = x.Gradient[k] + x.GradientLo[k];
            // the duals' bound; the exact value's own 2⁻¹⁰⁰, and below 2⁻⁹⁶⁹, where a double-double's
            // Lo is subnormal, 2⁻¹⁰⁷⁴ per operation (fewer than 10⁵ along any chain of these networks)
            double tol = o.Tolerance(k) + Math.ScaleB(Math.Abs(exact), -98) + 1e5 * double.Epsilon
                         + (kinks ? truth.Careful.Gradient[k] : 0);
            if (!(Math.Abs(o.Dual[k] - exact) <= tol))
                return $"{o.Parameters[k]}: exact {exact:R}, dual {o.Dual[k]:R} (tolerance {tol:G3})";
            if (!double.IsNaN(o.FiniteDifference[k]) && !(Math.Abs(o.FiniteDifference[k] - exact) <= o.FiniteDifferenceError[k] + tol))
                return $"{o.Parameters[k]}: exact {exact:R}, finite difference {o.FiniteDifference[k]:R} ± {o.FiniteDifferenceError[k]:G3}";
            if (o.ComplexStep is { } cs && !double.IsNaN(cs[k]) && !(Math.Abs(cs[k] - exact) <= tol))
                return $"{o.Parameters[k]}: exact {exact:R}, complex step {cs[k]:R} (tolerance {tol:G3})";
        }
        return null;
    }

    /// <summary>Independence at O(P): on every network, forward mode and Richardson differences along
    /// random directions agree with the exact gradient.</summary>
    [NetworkProperty]
    public Property The_directional_cross_checks_agree_with_the_exact_gradient(Network n)
    {
        DirectionalCheck d = Directional.Verify(Truth.For(n));
        return Holds(n, d.Agrees ? null : string.Join("\n", d.Problems));
    }

    /// <summary>The directional cross-check can fail: an exact gradient with one entry moved by 1e-6 of
    /// itself is caught on 002's network (and the unmoved one is not).</summary>
    [Fact]
    public void A_planted_error_in_the_exact_gradient_is_caught_by_the_directional_check()
    {
        Truth truth = Truth.For(Examples.Load("002"));
        Assert.True(Directional.Verify(truth).Agrees);
        ExactValues x = truth.Exact;
        double[] moved = (double[])x.Gradient.Clone();
        moved[4] *= 1 + 1e-6;                                          // ∂E/∂w5
        var wrong = new Truth
        {
            Network = truth.Network, Precision = truth.Precision, Careful = truth.Careful,
            TextbookPass = new Lazy<RoundingBounds>(() => truth.Textbook),
            Exact = new ExactValues
            {
                Network = x.Network, Net = x.Net, Out = x.Out, dE_dout = x.dE_dout, Delta = x.Delta, Outputs = x.Outputs,
                OutputsLo = x.OutputsLo, Loss = x.Loss, LossLo = x.LossLo, Gradient = moved, GradientLo = x.GradientLo,
            },
        };
        DirectionalCheck check = Directional.Verify(wrong);
        Output.WriteLine(string.Join("\n", check.Problems));
        Assert.False(check.Agrees);
    }

    /// <summary>Every network of the run, and the first dozen candidates its shrinker offers, is a valid
    /// network document: nothing generated or shrunk gets past the reader's rules unnoticed.</summary>
    [NetworkProperty]
    public Property Generated_and_shrunk_networks_are_valid_network_documents(Network n)
    {
        foreach (Network candidate in NetworkGen.Shrink(n).Take(12).Prepend(n))
        {
            string json = candidate.ToString();
            Network back = NetworkJson.Parse(json);          // the whole rule set, through the JSON door
            if (back.ToString() != json) return Holds(n, "the network does not round-trip through its JSON document");
            if (Loss.RequiredOutput(back.Loss) is { } f && back.Output.Activation != f) return Holds(n, "loss and output activation do not match");
        }
        return Holds(n, null);
    }

    /// <summary>The generator covers the space the issue names; counted over one seeded run.</summary>
    [Fact]
    public void Generated_networks_cover_the_whole_supported_space()
    {
        const int count = 1000;
        var seen = new HashSet<string>();
        for (int i = 0; i < count; i++)
        {
            Network n = NetworkGen.Sample(RunSettings.Seed, i, count);
            ForwardPass<double> f = Forward.Run(n);
            seen.Add($"depth {n.Layers.Count}");
            seen.Add($"batch {n.BatchSize}");
            seen.Add($"loss {Loss.Name(n.Loss)}");
            for (int l = 0; l < n.Layers.Count; l++)
            {
                Layer layer = n.Layers[l];
                seen.Add($"activation {Activations.Name(layer.Activation)}");
                seen.Add($"bias {Validation.BiasName(layer.Bias)}");
                if (layer.Units == 16) seen.Add("width 16");
                foreach (double[] nets in f.Net[l])
                    foreach (double net in nets)
                    {
                        if (Math.Abs(net) > 30) seen.Add("net beyond 30");
                        if (layer.Activation == Activation.Relu && net == 0) seen.Add("relu at exactly 0");
                        if (layer.Activation == Activation.Relu && net != 0 && Math.Abs(net) <= 1e-12) seen.Add("relu within 1e-12 of 0");
                    }
            }
        }
        string[] expected =
        [
            "depth 1", "depth 5", "batch 1", "batch 8", "width 16", "net beyond 30", "relu at exactly 0", "relu within 1e-12 of 0",
            .. Activations.All.Select(a => $"activation {Activations.Name(a)}"),
            .. Loss.All.Select(l => $"loss {Loss.Name(l)}"),
            "bias none", "bias trainable", "bias frozen",
        ];
        Output.WriteLine(string.Join(", ", seen.Order()));
        Assert.Empty(expected.Except(seen));
    }

    /// <summary>000: "The maximum derivative of the sigmoid function is 0.25", taken at 0.</summary>
    [NetworkProperty]
    public Property Sigmoid_derivative_never_exceeds_a_quarter(NetInput x)
    {
        double d = Activations.Derivative(Activation.Sigmoid, x.Net);
        return Holds(x, (x.Net == 0 ? d == 0.25 : d <= 0.25) ? null : $"sigmoid'({x}) = {d:R}");
    }

    /// <summary>
    /// 000: "the errors in the output layer get reduced by at least 75%, and errors in the hidden
    /// layer are scaled down by at least 93.75%". For a chain of single sigmoid units with |w| ≤ 1,
    /// δ k layers below the output is at most ¼^(k+1) of the output error |o − t|. A rounding
    /// margin of 8ε per layer covers the products.
    /// </summary>
    [NetworkProperty]
    public Property Through_k_sigmoid_layers_with_weights_at_most_1_the_error_shrinks_by_a_quarter_per_layer(SigmoidChain chain)
    {
        Network n = chain.Network;
        var f = Forward.Run(n);
        LayerGradients<double>[] g = Backward.Run(n, f);
        double error = Math.Abs(f.Out[^1][0][0] - n.T[0][0]);
        for (int k = 0; k < n.Layers.Count; k++)
        {
            double delta = Math.Abs(g[n.Layers.Count - 1 - k].delta[0][0]);
            double bound = Math.Pow(0.25, k + 1) * error * (1 + 8 * (k + 1) * Validation.MachineEpsilon);
            if (delta > bound) return Holds(chain, $"delta {k} layers below the output is {delta:R} > 0.25^{k + 1} * |o - t| = {bound:R}");
        }
        return Holds(chain, null);
    }

    /// <summary>The bias gradient is the sum of δ over the batch (the 1/m of a mean loss is inside δ):
    /// Σ_n δ from the trace against the exact forward-mode derivative of each bias.</summary>
    [NetworkProperty]
    public Property Bias_gradient_is_the_sum_of_deltas_over_the_batch(Network n)
    {
        if (n.Layers.All(l => l.B is null)) return Holds(n, null);
        LayerGradients<double>[] g = Backward.Run(n, Forward.Run(n));
        OracleGradients o = Oracles.Compute(n, finiteDifferences: false, complexStep: false);
        for (int k = 0; k < o.Parameters.Length; k++)
        {
            ParameterRef p = o.Parameters[k];
            if (!p.IsBias) continue;
            double sum = 0;
            for (int e = 0; e < n.BatchSize; e++) sum += g[p.Layer].delta[e][p.J];
            if (!(Math.Abs(sum - o.Dual[k]) <= o.Tolerance(k))) return Holds(n, $"{p}: sum of delta {sum:R}, exact derivative {o.Dual[k]:R}");
        }
        return Holds(n, null);
    }
}
