using System.Globalization;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>A property of backprop, checked on one network against one implementation.
/// Returns null when it holds, or what went wrong, in words a user can act on.</summary>
public delegate string? NetworkProperty(IBackprop impl, Network network);

/// <summary>
/// The properties every implementation must satisfy. The property tests run them on the reference
/// for thousands of random networks; the conformance kit and `check` run them on yours.
/// </summary>
public static class Properties
{
    /// <summary>Every property, by name, in the order they are reported.</summary>
    public static IReadOnlyList<(string Name, NetworkProperty Check)> All { get; } =
    [
        ("gradients agree with the derivative oracles", GradientsAgreeWithOracles),
        ("forward outputs and loss agree with the reference", ForwardAgreesWithReference),
        ("a step is W - eta * dE/dW from the original weights", StepUsesOriginalWeights),
        ("the batch gradient is the sum or mean of per-example gradients", BatchGradientCombinesExamples),
        ("half-mse gradients are half-sse gradients over m", MeanLossScalesGradients),
        ("duplicating the batch of a summed loss doubles every gradient", DuplicatedBatchDoublesGradients),
        ("permuting hidden units permutes the gradients", PermutingHiddenUnitsPermutesGradients),
        ("zero error gives zero gradient", ZeroErrorGivesZeroGradient),
        ("a small enough step does not increase the loss", SmallStepDoesNotIncreaseLoss),
    ];

    /// <summary>The first property that fails, with its name; null when all hold.</summary>
    public static string? FirstFailure(IBackprop impl, Network network)
    {
        foreach (var (name, check) in All)
            if (Judge(check, impl, network) is { } failure) return $"{name}: {failure}";
        return null;
    }

    /// <summary>One property's verdict on one network; an exception of the implementation is a failure too.</summary>
    public static string? Judge(NetworkProperty check, IBackprop impl, Network network)
    {
        try { return check(impl, network); }
        catch (Exception e) when (e is not OutOfMemoryException) { return $"the implementation threw {e.GetType().Name}: {e.Message}"; }
    }

    public static string? GradientsAgreeWithOracles(IBackprop impl, Network n)
    {
        GradientReport report = GradientCheck.Compare(Oracles.Compute(n), impl.Gradients(n).Flatten());
        return report.Passed ? null : $"{report.Worst.Parameter} {report.Worst.Problem}\n{report.Table()}";
    }

    public static string? ForwardAgreesWithReference(IBackprop impl, Network n)
    {
        Evaluation mine = impl.Forward(n);
        ForwardPass<double> reference = Forward.Run(n);
        double[][] bound = ForwardErrorBound(n, reference);
        for (int e = 0; e < n.BatchSize; e++)
            for (int k = 0; k < n.Output.Units; k++)
                if (!(Math.Abs(mine.Outputs[e][k] - reference.Out[^1][e][k]) <= bound[e][k]))
                    return $"outputs[{e}][{k}] is {R(mine.Outputs[e][k])}, the reference gives {R(reference.Out[^1][e][k])} (tolerance {bound[e][k]:G3})";
        double lossBound = LossBound(n, reference.E);
        return Math.Abs(mine.Loss - reference.E) <= lossBound ? null
            : $"loss is {R(mine.Loss)}, the reference gives {R(reference.E)} (tolerance {lossBound:G3})";
    }

    /// <summary>How far a correct loss may lie from the reference's <paramref name="referenceLoss"/>:
    /// the rounding noise of one evaluation of E, plus K·ε of |E| for summing its terms in another order.</summary>
    public static double LossBound(Network n, double referenceLoss) =>
        Oracles.EvaluationNoise(n) + Math.Abs(referenceLoss) * GradientCheck.K(n) * Validation.MachineEpsilon;

    /// <summary>How far two correct computations of p − η·g may differ: p − η·g rounds twice, 2ε of
    /// |p| + |η·g|, doubled for the two computations (plus the smallest subnormal, so 0 − 0 passes).</summary>
    public static double StepBound(double parameter, double eta, double gradient) =>
        4 * Validation.MachineEpsilon * (Math.Abs(parameter) + Math.Abs(eta * gradient)) + double.Epsilon;

    /// <summary>
    /// A first-order bound on how far a correct forward pass may differ from the reference's by
    /// rounding alone: each net input carries (fan-in + 2)·ε of Σ|W·in| + |b|, passed on through
    /// |f′| and |W| to the layers above. Doubled for the two computations being compared.
    /// </summary>
    public static double[][] ForwardErrorBound(Network n, ForwardPass<double> f)
    {
        double eps = Validation.MachineEpsilon;
        var bound = new double[n.BatchSize][];
        for (int e = 0; e < n.BatchSize; e++)
        {
            double[] below = new double[n.Inputs];                       // inputs are exact
            for (int l = 0; l < n.Layers.Count; l++)
            {
                Layer layer = n.Layers[l];
                double[] input = l == 0 ? n.X[e] : f.Out[l - 1][e];
                var err = new double[layer.Units];
                double softmaxSpread = 0;
                for (int j = 0; j < layer.Units; j++)
                {
                    double size = layer.B is null ? 0 : Math.Abs(layer.B[j]), carried = 0;
                    for (int i = 0; i < layer.FanIn; i++) { size += Math.Abs(layer.W[j, i] * input[i]); carried += Math.Abs(layer.W[j, i]) * below[i]; }
                    double netError = (layer.FanIn + 2) * eps * size + carried;
                    if (layer.Activation == Activation.Softmax) { softmaxSpread = Math.Max(softmaxSpread, netError); continue; }
                    double slope = Math.Abs(Activations.Derivative(layer.Activation, f.Net[l][e][j]));
                    err[j] = slope * netError + 4 * eps * Math.Abs(f.Out[l][e][j]);
                }
                if (layer.Activation == Activation.Softmax)               // each out moves by ≤ 2·max net error, plus its own roundings
                    for (int j = 0; j < layer.Units; j++) err[j] = 2 * softmaxSpread + (layer.Units + 4) * eps * f.Out[l][e][j];
                below = err;
            }
            bound[e] = below.Select(b => 2 * b + double.Epsilon).ToArray();
        }
        return bound;
    }

    public static string? StepUsesOriginalWeights(IBackprop impl, Network n)
    {
        Gradients g = impl.Gradients(n);
        Parameters after = impl.Step(n);
        double eta = n.LearningRate;
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            if (after.W[l].GetLength(0) != layer.Units || after.W[l].GetLength(1) != layer.FanIn)
                return $"layers[{l}].weights came back with the wrong shape";
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double expected = layer.W[j, i] - eta * g.dE_dW[l][j, i];
                    double tol = StepBound(layer.W[j, i], eta, g.dE_dW[l][j, i]);
                    if (!(Math.Abs(after.W[l][j, i] - expected) <= tol))
                        return $"layers[{l}].weights[{j}][{i}] stepped to {R(after.W[l][j, i])}, but W - eta*dE/dW = {R(expected)} (eta = {R(eta)})";
                }
            if (layer.Bias == BiasMode.None) { if (after.B[l] is not null) return $"layers[{l}] has no bias, but the step returned biases"; continue; }
            if (after.B[l] is null || after.B[l]!.Length != layer.Units) return $"layers[{l}].biases came back missing or with the wrong length";
            for (int j = 0; j < layer.Units; j++)
            {
                double expected = layer.Bias == BiasMode.Frozen ? layer.B![j] : layer.B![j] - eta * g.dE_db[l]![j];
                double tol = layer.Bias == BiasMode.Frozen ? 0 : StepBound(layer.B[j], eta, g.dE_db[l]![j]);
                if (!(Math.Abs(after.B[l]![j] - expected) <= tol))
                    return $"layers[{l}].biases[{j}] ({Validation.BiasName(layer.Bias)}) stepped to {R(after.B[l]![j])}, expected {R(expected)}";
            }
        }
        return null;
    }

    public static string? BatchGradientCombinesExamples(IBackprop impl, Network n)
    {
        if (n.BatchSize == 1) return null;
        double[] batch = impl.Gradients(n).Flatten();
        var sum = new double[batch.Length];
        var tolerance = new double[batch.Length];
        for (int e = 0; e < n.BatchSize; e++)
        {
            Network single = n.WithBatch([n.X[e]], [n.T[e]]);
            double[] g = impl.Gradients(single).Flatten();
            OracleGradients o = Oracles.Compute(single, finiteDifferences: false, complexStep: false);
            for (int k = 0; k < g.Length; k++) { sum[k] += g[k]; tolerance[k] += o.Tolerance(k); }
        }
        double scale = Loss.IsMean(n.Loss) ? 1.0 / n.BatchSize : 1.0;
        // each per-example gradient is within its tolerance of exact, and so is the batch one
        double[] batchTolerance = Tolerances(Oracles.Compute(n, finiteDifferences: false, complexStep: false));
        return CompareVectors(n, batch, sum.Select(v => v * scale).ToArray(), tolerance.Select((t, k) => t * scale + batchTolerance[k]).ToArray(),
            Loss.IsMean(n.Loss) ? "the mean of the per-example gradients" : "the sum of the per-example gradients");
    }

    public static string? MeanLossScalesGradients(IBackprop impl, Network n)
    {
        if (n.Loss is not (LossKind.HalfSse or LossKind.HalfMse)) return null;
        Network sse = With(n, LossKind.HalfSse), mse = With(n, LossKind.HalfMse);
        double[] gSse = impl.Gradients(sse).Flatten(), gMse = impl.Gradients(mse).Flatten();
        OracleGradients o = Oracles.Compute(sse, finiteDifferences: false, complexStep: false);
        return CompareVectors(n, gMse, gSse.Select(v => v / n.BatchSize).ToArray(),
            Tolerances(o).Select(t => 2 * t / n.BatchSize).ToArray(), "half-sse's gradient / m");
    }

    public static string? DuplicatedBatchDoublesGradients(IBackprop impl, Network n)
    {
        if (n.Loss != LossKind.HalfSse) return null;
        Network twice = n.WithBatch([.. n.X, .. n.X], [.. n.T, .. n.T]);
        double[] g = impl.Gradients(n).Flatten(), g2 = impl.Gradients(twice).Flatten();
        OracleGradients o = Oracles.Compute(n, finiteDifferences: false, complexStep: false);
        return CompareVectors(n, g2, g.Select(v => 2 * v).ToArray(), Tolerances(o).Select(t => 4 * t).ToArray(),
            "twice the gradient of the single batch");
    }

    public static string? PermutingHiddenUnitsPermutesGradients(IBackprop impl, Network n)
    {
        if (n.Layers.Count < 2) return null;
        int l = 0, units = n.Layers[0].Units;
        if (units < 2) return null;
        if (ReluAboveWithinRoundingOfKink(n)) return null;
        int[] perm = Enumerable.Range(0, units).Select(j => (j + 1) % units).ToArray();   // a rotation: every unit moves
        var layers = n.Layers.ToArray();
        Layer h = layers[l], above = layers[l + 1];
        var w = new double[units, h.FanIn];
        var wAbove = new double[above.Units, units];
        double[]? b = h.B is null ? null : new double[units];
        for (int j = 0; j < units; j++)
        {
            for (int i = 0; i < h.FanIn; i++) w[perm[j], i] = h.W[j, i];
            if (b is not null) b[perm[j]] = h.B![j];
            for (int k = 0; k < above.Units; k++) wAbove[k, perm[j]] = above.W[k, j];
        }
        layers[l] = new Layer(h.Activation, w, b, h.Bias);
        layers[l + 1] = new Layer(above.Activation, wAbove, above.B, above.Bias);
        Network permuted = n.WithLayers(layers);
        Gradients g = impl.Gradients(n), gp = impl.Gradients(permuted);
        // move the original gradients to where the permutation put their parameters
        var expectedW = g.dE_dW.Select(x => (double[,])x.Clone()).ToArray();
        var expectedB = g.dE_db.Select(x => (double[]?)x?.Clone()).ToArray();
        for (int j = 0; j < units; j++)
        {
            for (int i = 0; i < h.FanIn; i++) expectedW[l][perm[j], i] = g.dE_dW[l][j, i];
            if (expectedB[l] is not null) expectedB[l]![perm[j]] = g.dE_db[l]![j];
            for (int k = 0; k < above.Units; k++) expectedW[l + 1][k, perm[j]] = g.dE_dW[l + 1][k, j];
        }
        OracleGradients o = Oracles.Compute(permuted, finiteDifferences: false, complexStep: false);
        return CompareVectors(permuted, gp.Flatten(), ParameterIndex.Flatten(expectedW, expectedB),
            Tolerances(o).Select(t => 2 * t).ToArray(), "the original gradients, permuted the same way");
    }

    /// <summary>
    /// Whether a ReLU unit above layer 0 has a net input within rounding of 0. Permuting layer 0's
    /// units reorders the sums of the layer above, which moves such a net across the kink (net = 0
    /// exactly, placed by the generator, becomes ±1e-17) and with it relu′: the permuted network's
    /// exact gradient really is different there. The property holds in exact arithmetic only, so it
    /// does not apply to these networks (the other properties still check them). The margin is
    /// (fan-in + 2)·ε of Σ|W·in| + |b| per layer, times the depth for what lower layers carry, doubled.
    /// </summary>
    static bool ReluAboveWithinRoundingOfKink(Network n)
    {
        ForwardPass<double> f = Forward.Run(n);
        for (int l = 1; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            if (layer.Activation != Activation.Relu) continue;
            for (int e = 0; e < n.BatchSize; e++)
                for (int j = 0; j < layer.Units; j++)
                {
                    double size = layer.B is null ? 0 : Math.Abs(layer.B[j]);
                    for (int i = 0; i < layer.FanIn; i++) size += Math.Abs(layer.W[j, i] * f.Out[l - 1][e][i]);
                    if (Math.Abs(f.Net[l][e][j]) <= 2.0 * n.Layers.Count * (layer.FanIn + 2) * Validation.MachineEpsilon * size) return true;
                }
        }
        return false;
    }

    public static string? ZeroErrorGivesZeroGradient(IBackprop impl, Network n)
    {
        double[][] outputs = impl.Forward(n).Outputs;      // the implementation's own outputs as targets: E at its minimum
        Network exact;
        try { exact = n.WithBatch(n.X, outputs.Select(r => (double[])r.Clone()).ToArray()); }
        catch (NetworkFormatException) { return null; }   // e.g. softmax outputs that do not sum to 1 within k·ε
        double[] g = impl.Gradients(exact).Flatten();
        string[] names = ParameterIndex.Names(exact);
        for (int k = 0; k < g.Length; k++)
            if (g[k] != 0) return $"with every target equal to its output, {names[k]} has gradient {R(g[k])}, not 0";
        return null;
    }

    public static string? SmallStepDoesNotIncreaseLoss(IBackprop impl, Network n)
    {
        double[] g = impl.Gradients(n).Flatten();
        double norm2 = g.Sum(v => v * v);
        if (norm2 == 0 || !double.IsFinite(norm2)) return null;
        // The exact slope of E along the step direction −g is −‖g‖² when g is the gradient; dual numbers give it with no step size.
        var (slope, magnitude, errorBound) = Oracles.Directional(n, g.Select(v => -v).ToArray());
        double tol = GradientCheck.Tolerance(n, 0, magnitude, errorBound);
        if (slope > tol)
            return $"E increases along the step direction -dE/dW: its exact slope there is {R(slope)} > 0 (a correct gradient gives -{R(norm2)})";
        return null;
    }

    static Network With(Network n, LossKind loss) => Network.Create(n.Inputs, n.Layers, loss, n.LearningRate, n.X, n.T, n.Name, n.Source);

    static double[] Tolerances(OracleGradients o) => Enumerable.Range(0, o.Dual.Length).Select(o.Tolerance).ToArray();

    /// <summary>Entry by entry: |actual − expected| ≤ tolerance, each side's rounding counted (GradientCheck.Tolerance).</summary>
    static string? CompareVectors(Network n, double[] actual, double[] expected, double[] tolerance, string what)
    {
        string[] names = ParameterIndex.Names(n);
        for (int i = 0; i < actual.Length; i++)
        {
            double tol = tolerance[i];
            if (!(Math.Abs(actual[i] - expected[i]) <= tol))
                return $"{names[i]} is {R(actual[i])}, but {what} is {R(expected[i])} (tolerance {tol:G3})";
        }
        return null;
    }

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
