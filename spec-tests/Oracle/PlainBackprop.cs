using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.Diagnosing;

/// <summary>
/// A small float64 backprop written for the diagnosis tests from oracle/PROTOCOL.md, independently of
/// the reference and of <see cref="Mutant"/>: one example at a time, textbook derivatives through out
/// (σ′ = out(1 − out), tanh′ = 1 − out²), the softmax Jacobian as out_j(g_j − Σ_k g_k out_k), losses
/// from the logits. Its switches plant mistakes in the details real code differs in, details the
/// mutants do not have: another fill value of a transposition, a partial Jacobian, weights updated
/// during a backward pass the gradients share, a gradient reported wrong while the step computes its
/// own, a step rule of its own.
/// </summary>
sealed class PlainBackprop : IBackprop
{
    public string Name => "plain";
    public Capabilities Capabilities { get; init; } = Capabilities.Everything;

    /// <summary>Propagate with W[i][j] for W[j][i], reading this where W[i][j] does not exist (null: correct).</summary>
    public double? TransposedWithFill { get; init; }
    /// <summary>Propagate with W[i mod units][j mod fanIn]: a transposition that wraps around instead of filling.</summary>
    public bool TransposedWrapping { get; init; }
    /// <summary>Each layer's weights updated (W − η·∂E/∂W) before the error goes down through them, in
    /// one backward pass that both the gradients and the step run.</summary>
    public bool UpdatesAsItGoes { get; init; }
    /// <summary>Softmax cross-entropy: multiply the fused δ by out(1 − out), the Jacobian's diagonal alone.</summary>
    public bool DiagonalJacobianOnFusedDelta { get; init; }
    /// <summary>What the gradients reply reports for layer l's true gradient g (the step still uses g).</summary>
    public Func<int, double, double> Reported { get; init; } = (_, g) => g;
    /// <summary>Whether the step uses the reported gradient (true) or the true one.</summary>
    public bool StepUsesReported { get; init; } = true;
    /// <summary>The step of a trainable parameter from its value w, gradient g and η (correct: w − η·g).</summary>
    public Func<double, double, double, double> StepRule { get; init; } = (w, g, eta) => w - eta * g;

    public Evaluation Forward(Network n)
    {
        var (_, outs, loss) = Run(n);
        return new Evaluation(outs.Select(o => o[^1]).ToArray(), loss);
    }

    public Gradients Gradients(Network n)
    {
        var (nets, outs, loss) = Run(n);
        var (dW, db) = Backward(n, nets, outs);
        var (rW, rb) = Report(dW, db);
        return new Gradients(outs.Select(o => o[^1]).ToArray(), loss, rW, rb);
    }

    public Parameters Step(Network n)
    {
        var (nets, outs, _) = Run(n);
        var (dW, db) = Backward(n, nets, outs);
        if (StepUsesReported) (dW, db) = Report(dW, db);
        var p = Parameters.Of(n);
        for (int l = 0; l < n.Layers.Count; l++)
        {
            for (int j = 0; j < n.Layers[l].Units; j++)
                for (int i = 0; i < n.Layers[l].FanIn; i++) p.W[l][j, i] = StepRule(p.W[l][j, i], dW[l][j, i], n.LearningRate);
            if (n.Layers[l].Bias == BiasMode.Trainable)
                for (int j = 0; j < n.Layers[l].Units; j++) p.B[l]![j] = StepRule(p.B[l]![j], db[l]![j], n.LearningRate);
        }
        return p;
    }

    (double[][,], double[]?[]) Report(double[][,] dW, double[]?[] db)
    {
        var w = dW.Select((m, l) => { var c = (double[,])m.Clone(); for (int j = 0; j < c.GetLength(0); j++) for (int i = 0; i < c.GetLength(1); i++) c[j, i] = Reported(l, c[j, i]); return c; }).ToArray();
        var b = db.Select((v, l) => v?.Select(g => Reported(l, g)).ToArray()).ToArray();
        return (w, b);
    }

    /// <summary>net and out of every layer for every example ([m][layers][units]) and the loss.</summary>
    static (double[][][] nets, double[][][] outs, double loss) Run(Network n)
    {
        int m = n.BatchSize, L = n.Layers.Count;
        var nets = new double[m][][];
        var outs = new double[m][][];
        double loss = 0;
        for (int e = 0; e < m; e++)
        {
            nets[e] = new double[L][];
            outs[e] = new double[L][];
            double[] a = n.X[e];
            for (int l = 0; l < L; l++)
            {
                Layer layer = n.Layers[l];
                var z = new double[layer.Units];
                for (int j = 0; j < layer.Units; j++)
                {
                    double s = layer.B?[j] ?? 0;
                    for (int i = 0; i < layer.FanIn; i++) s += layer.W[j, i] * a[i];
                    z[j] = s;
                }
                nets[e][l] = z;
                a = outs[e][l] = Activate(layer.Activation, z);
            }
            loss += ExampleLoss(n.Loss, nets[e][L - 1], a, n.T[e]);
        }
        return (nets, outs, n.Loss == LossKind.HalfSse ? loss : loss / m);
    }

    static double[] Activate(Activation f, double[] z)
    {
        if (f == Activation.Softmax)
        {
            double c = z.Max();
            double[] e = z.Select(v => Math.Exp(v - c)).ToArray();
            double sum = e.Sum();
            return e.Select(v => v / sum).ToArray();
        }
        return z.Select(v => f switch
        {
            Activation.Identity => v,
            Activation.Sigmoid => 1 / (1 + Math.Exp(-v)),
            Activation.Tanh => Math.Tanh(v),
            Activation.Relu => Math.Max(0, v),
            _ => throw new ArgumentOutOfRangeException(nameof(f)),
        }).ToArray();
    }

    static double ExampleLoss(LossKind loss, double[] z, double[] o, double[] t)
    {
        double sum = 0;
        for (int k = 0; k < o.Length; k++)
            sum += loss switch
            {
                LossKind.BinaryCrossEntropy => Math.Max(z[k], 0) - t[k] * z[k] + Math.Log(1 + Math.Exp(-Math.Abs(z[k]))),
                LossKind.SoftmaxCrossEntropy => -t[k] * (z[k] - z.Max() - Math.Log(z.Sum(v => Math.Exp(v - z.Max())))),
                _ => 0.5 * (t[k] - o[k]) * (t[k] - o[k]),
            };
        return sum;
    }

    /// <summary>Layer by layer from the output down, every example at once: δ, then ∂E/∂W and ∂E/∂b,
    /// then the error sent down through the layer's weights (updated first with <see cref="UpdatesAsItGoes"/>).</summary>
    (double[][,], double[]?[]) Backward(Network n, double[][][] nets, double[][][] outs)
    {
        int m = n.BatchSize, L = n.Layers.Count;
        var dW = n.Layers.Select(l => new double[l.Units, l.FanIn]).ToArray();
        var db = n.Layers.Select(l => l.B is null ? null : new double[l.Units]).ToArray();
        double[][] delta = Enumerable.Range(0, m).Select(e => OutputDelta(n, outs[e][L - 1], n.T[e], m)).ToArray();   // [m][units]
        for (int l = L - 1; l >= 0; l--)
        {
            Layer layer = n.Layers[l];
            for (int e = 0; e < m; e++)
            {
                double[] below = l == 0 ? n.X[e] : outs[e][l - 1];
                for (int j = 0; j < layer.Units; j++)
                {
                    for (int i = 0; i < layer.FanIn; i++) dW[l][j, i] += delta[e][j] * below[i];
                    if (db[l] is { } b) b[j] += delta[e][j];
                }
            }
            if (l == 0) break;
            double[,] w = layer.W;
            if (UpdatesAsItGoes)
            {
                w = (double[,])w.Clone();
                for (int j = 0; j < layer.Units; j++)
                    for (int i = 0; i < layer.FanIn; i++) w[j, i] -= n.LearningRate * dW[l][j, i];
            }
            Activation f = n.Layers[l - 1].Activation;
            delta = Enumerable.Range(0, m).Select(e =>
            {
                var dA = new double[layer.FanIn];
                for (int i = 0; i < layer.FanIn; i++)
                    for (int j = 0; j < layer.Units; j++) dA[i] += Weight(w, j, i) * delta[e][j];
                return dA.Select((g, i) => g * Slope(f, outs[e][l - 1][i], nets[e][l - 1][i])).ToArray();
            }).ToArray();
        }
        return (dW, db);
    }

    /// <summary>The weight that carries δ_j of the layer above back to unit i below.</summary>
    double Weight(double[,] w, int j, int i)
    {
        int units = w.GetLength(0), fanIn = w.GetLength(1);
        if (TransposedWrapping) return w[i % units, j % fanIn];
        if (TransposedWithFill is { } fill) return i < units && j < fanIn ? w[i, j] : fill;
        return w[j, i];
    }

    double[] OutputDelta(Network n, double[] o, double[] t, int m)
    {
        int K = o.Length;
        if (Loss.IsFused(n.Loss))
        {
            double[] fused = o.Select((v, k) => (v - t[k]) / m).ToArray();
            return DiagonalJacobianOnFusedDelta && n.Loss == LossKind.SoftmaxCrossEntropy ? fused.Select((g, k) => o[k] * (1 - o[k]) * g).ToArray() : fused;
        }
        double s = n.Loss == LossKind.HalfSse ? 1 : m;
        double[] dE_do = o.Select((v, k) => (v - t[k]) / s).ToArray();
        if (n.Output.Activation == Activation.Softmax)
        {
            double dot = Enumerable.Range(0, K).Sum(k => dE_do[k] * o[k]);
            return o.Select((v, j) => v * (dE_do[j] - dot)).ToArray();
        }
        return dE_do.Select((g, k) => g * Slope(n.Output.Activation, o[k], double.NaN)).ToArray();
    }

    /// <summary>f′ through out (relu through net where known, else out > 0: the same for relu).</summary>
    static double Slope(Activation f, double o, double z) => f switch
    {
        Activation.Identity => 1,
        Activation.Sigmoid => o * (1 - o),
        Activation.Tanh => 1 - o * o,
        Activation.Relu => (double.IsNaN(z) ? o : z) > 0 ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };
}

/// <summary>What `check` does, in process: the first wrong network among the golden examples and
/// seeded random networks (those a textbook formulation can represent), shrunk while the same
/// property stays wrong, then diagnosed.</summary>
static class InProcessCheck
{
    public sealed record Outcome(Network Original, Network Shrunk, string Property, Diagnosis.Result Diagnosis);

    public static Outcome Run(IBackprop impl, ulong seed = 20261123, int count = 200)
    {
        IEnumerable<Network> candidates = Examples.Names.Select(Examples.Load)
            .Concat(Enumerable.Range(0, count).Select(i => NetworkGen.Sample(seed, i, count, impl.Capabilities)));
        foreach (Network n in candidates)
        {
            if (n.Layers.Any(l => !impl.Capabilities.Activations.Contains(l.Activation)) || !impl.Capabilities.Losses.Contains(n.Loss)) continue;
            if (Truth.For(n).OutOfRange) continue;      // textbook formulas may fail there: a range finding, not these tests' subject
            if (BackpropSpec.Oracle.Properties.FirstFailure(impl, n) is not { } failure) continue;
            NetworkProperty check = BackpropSpec.Oracle.Properties.Named(failure.Name);
            var (shrunk, _) = Minimize.Run(n, NetworkGen.Shrink, c => BackpropSpec.Oracle.Properties.Judge(check, impl, c).Zone == Zone.Wrong);
            return new Outcome(n, shrunk, failure.Name, Diagnosis.Diagnose(impl, Precision.Float64, shrunk, n));
        }
        throw new Xunit.Sdk.XunitException($"{impl.Name}: no wrong answer on the golden examples and {count} random networks");
    }
}
