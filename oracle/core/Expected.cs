using System.Globalization;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>One value of an implementation outside its tolerance (or of the wrong shape, or thrown).</summary>
public sealed record Violation(string Quantity, string Problem)
{
    public override string ToString() => $"{Quantity}: {Problem}";
}

/// <summary>
/// What a correct implementation must answer for one network, and how far each answer may lie from
/// it. The test vectors publish exactly these numbers, and the conformance kit checks the golden
/// examples with them. Every tolerance is derived, none tuned:
/// <list type="bullet">
/// <item>outputs: the reference's, within <see cref="Properties.ForwardErrorBound"/>;</item>
/// <item>loss: the reference's, within <see cref="Properties.LossBound"/> (ForwardAgreesWithReference);</item>
/// <item>gradients: the exact forward-mode (dual-number) derivative, the value the oracles' tolerance
/// <see cref="OracleGradients.Tolerance"/> is derived around (the reference's reverse mode lies within it);</item>
/// <item>step: W − η·gradient from the original weights, within <see cref="Properties.StepBound"/>
/// plus η times the gradient's tolerance; a frozen bias must come back unchanged, exactly.</item>
/// </list>
/// </summary>
public sealed class Expected
{
    public required Network Network { get; init; }
    public required double[][] Outputs { get; init; }
    public required double[][] OutputTolerance { get; init; }
    public required double Loss { get; init; }
    public required double LossTolerance { get; init; }
    /// <summary>∂E/∂W and ∂E/∂b, in the shape of the parameters (B null where a layer has no bias).</summary>
    public required Parameters Gradient { get; init; }
    public required Parameters GradientTolerance { get; init; }
    /// <summary>Every weight and bias after one gradient step.</summary>
    public required Parameters Step { get; init; }
    public required Parameters StepTolerance { get; init; }

    public static Expected Of(Network n)
    {
        ForwardPass<double> f = Forward.Run(n);
        // Only the dual oracle: the tolerance is derived around it; finite differences and the
        // complex step have their own, wider error estimates and are the property tests' business.
        OracleGradients o = Oracles.Compute(n, finiteDifferences: false, complexStep: false);
        Parameters gradient = Reshape(n, o.Dual);
        Parameters gradientTolerance = Reshape(n, Enumerable.Range(0, o.Dual.Length).Select(o.Tolerance).ToArray());

        double eta = n.LearningRate;
        Parameters step = Parameters.Of(n), stepTolerance = Parameters.Of(n);
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double w = layer.W[j, i], g = gradient.W[l][j, i];
                    step.W[l][j, i] = w - eta * g;
                    stepTolerance.W[l][j, i] = Properties.StepBound(w, eta, g) + eta * gradientTolerance.W[l][j, i];
                }
            if (layer.B is null) continue;
            for (int j = 0; j < layer.Units; j++)
            {
                double b = layer.B[j], g = gradient.B[l]![j];
                bool frozen = layer.Bias == BiasMode.Frozen;
                step.B[l]![j] = frozen ? b : b - eta * g;
                stepTolerance.B[l]![j] = frozen ? 0 : Properties.StepBound(b, eta, g) + eta * gradientTolerance.B[l]![j];
            }
        }
        return new Expected
        {
            Network = n,
            Outputs = f.Out[^1].Select(r => (double[])r.Clone()).ToArray(),
            OutputTolerance = Properties.ForwardErrorBound(n, f),
            Loss = f.E,
            LossTolerance = Properties.LossBound(n, f.E),
            Gradient = gradient,
            GradientTolerance = gradientTolerance,
            Step = step,
            StepTolerance = stepTolerance,
        };
    }

    /// <summary>Every answer of <paramref name="impl"/> that lies outside its tolerance: forward
    /// outputs and loss, every gradient entry, every stepped parameter. Empty when it conforms.
    /// An exception or a wrong shape is a violation too, never a crash of the check.</summary>
    public IReadOnlyList<Violation> Check(IBackprop impl)
    {
        var found = new List<Violation>();
        Guard(found, "forward", () =>
        {
            Evaluation e = impl.Forward(Network);
            CheckRows(found, "outputs", e.Outputs, Outputs, OutputTolerance);
            CheckValue(found, "loss", e.Loss, Loss, LossTolerance);
        });
        Guard(found, "gradients", () =>
        {
            Gradients g = impl.Gradients(Network);
            CheckParameters(found, "gradients", new Parameters(g.dE_dW, g.dE_db), Gradient, GradientTolerance);
        });
        Guard(found, "step", () => CheckParameters(found, "step", impl.Step(Network), Step, StepTolerance));
        return found;
    }

    static void Guard(List<Violation> found, string what, Action check)
    {
        try { check(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            found.Add(new Violation(what, $"the implementation threw {e.GetType().Name}: {e.Message}"));
        }
    }

    static void CheckValue(List<Violation> found, string quantity, double actual, double expected, double tolerance)
    {
        // written so that NaN fails
        if (!(Math.Abs(actual - expected) <= tolerance))
            found.Add(new Violation(quantity, $"is {R(actual)}, expected {R(expected)} (tolerance {tolerance.ToString("G3", CultureInfo.InvariantCulture)})"));
    }

    static void CheckRows(List<Violation> found, string quantity, double[][]? actual, double[][] expected, double[][] tolerance)
    {
        if (actual is null || actual.Length != expected.Length || actual.Where((r, e) => r is null || r.Length != expected[e].Length).Any())
        {
            found.Add(new Violation(quantity, $"has the wrong shape (expected {expected.Length} rows of {expected[0].Length})"));
            return;
        }
        for (int e = 0; e < expected.Length; e++)
            for (int k = 0; k < expected[e].Length; k++)
                CheckValue(found, $"{quantity}[{e}][{k}]", actual[e][k], expected[e][k], tolerance[e][k]);
    }

    static void CheckParameters(List<Violation> found, string quantity, Parameters? actual, Parameters expected, Parameters tolerance)
    {
        int L = expected.W.Length;
        if (actual?.W is null || actual.B is null || actual.W.Length != L || actual.B.Length != L)
        {
            found.Add(new Violation(quantity, $"has the wrong shape (expected {L} layers)"));
            return;
        }
        for (int l = 0; l < L; l++)
        {
            double[,] w = expected.W[l];
            string where = $"{quantity}[{l}]";
            if (actual.W[l] is null || actual.W[l].GetLength(0) != w.GetLength(0) || actual.W[l].GetLength(1) != w.GetLength(1))
                found.Add(new Violation($"{where}.weights", $"has the wrong shape (expected {w.GetLength(0)} x {w.GetLength(1)})"));
            else
                for (int j = 0; j < w.GetLength(0); j++)
                    for (int i = 0; i < w.GetLength(1); i++)
                        CheckValue(found, $"{where}.weights[{j}][{i}]", actual.W[l][j, i], w[j, i], tolerance.W[l][j, i]);
            double[]? b = expected.B[l], mine = actual.B[l];
            if (b is null)
            {
                if (mine is not null) found.Add(new Violation($"{where}.biases", "the layer has no bias, but biases came back"));
            }
            else if (mine is null || mine.Length != b.Length)
                found.Add(new Violation($"{where}.biases", $"missing or of the wrong length (expected {b.Length})"));
            else
                for (int j = 0; j < b.Length; j++)
                    CheckValue(found, $"{where}.biases[{j}]", mine[j], b[j], tolerance.B[l]![j]);
        }
    }

    /// <summary>A flat list in <see cref="ParameterIndex.Flatten"/> order, back in the parameters' shape.</summary>
    static Parameters Reshape(Network n, double[] flat)
    {
        var p = Parameters.Of(n);
        int k = 0;
        for (int l = 0; l < n.Layers.Count; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++) p.W[l][j, i] = flat[k++];
            if (p.B[l] is { } b)
                for (int j = 0; j < b.Length; j++) b[j] = flat[k++];
        }
        return p;
    }

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
