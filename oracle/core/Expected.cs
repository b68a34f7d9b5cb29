using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>How far each answer of a network may lie from its expected value: outputs [m][outputs],
/// the loss, ∂E/∂W and ∂E/∂b, and every stepped parameter.</summary>
public sealed record Tolerances(double[][] Outputs, double Loss, Parameters Gradient, Parameters Step);

/// <summary>
/// What a correct implementation must answer for one network, and how far each answer may lie from
/// it: the exact values (double-double, <see cref="Truth"/>) rounded to double, with the careful bound
/// (<em>agrees</em>) and the textbook bound (pass) of the tolerance model, each widened by half an
/// ulp for the rounding of the published value. The test vectors publish exactly these numbers, and
/// the conformance kit checks the golden examples with them.
/// <list type="bullet">
/// <item>outputs, loss, gradients: the exact values, within <see cref="RoundingBounds"/>;</item>
/// <item>step: W − η·(exact gradient), within the step's own roundings plus η × the gradient's bound;
/// a frozen bias must come back unchanged (as stored in the precision).</item>
/// </list>
/// </summary>
public sealed class Expected
{
    public required Network Network { get; init; }
    public required Precision Precision { get; init; }
    public required double[][] Outputs { get; init; }
    public required double Loss { get; init; }
    /// <summary>∂E/∂W and ∂E/∂b, in the shape of the parameters (B null where a layer has no bias).</summary>
    public required Parameters Gradient { get; init; }
    /// <summary>Every weight and bias after one gradient step.</summary>
    public required Parameters Step { get; init; }
    public required Tolerances Careful { get; init; }
    public required Tolerances Textbook { get; init; }
    /// <summary>Where the textbook formulations cannot represent an answer (empty for every vector).</summary>
    public required IReadOnlyList<RangeIssue> Range { get; init; }

    public static Expected Of(Network n, Precision precision = Precision.Float64)
    {
        Truth truth = Truth.For(n, precision);
        PrecisionProfile p = PrecisionProfile.Of(precision);
        double half = Validation.MachineEpsilon / 2;                  // the published double's own rounding
        double[] gradient = truth.Exact.Gradient.Zip(truth.Exact.GradientLo, (hi, lo) => hi + lo).ToArray();
        Tolerances Bounds(RoundingBounds b) => new(
            b.Outputs.Select((row, e) => row.Select((v, k) => v + half * Math.Abs(truth.Exact.Outputs[e][k])).ToArray()).ToArray(),
            b.Loss + half * Math.Abs(truth.Exact.Loss),
            Reshape(n, b.Gradient.Select((v, k) => v + half * Math.Abs(gradient[k])).ToArray()),
            Reshape(n, StepTolerances(n, p, gradient, b.Gradient)));
        return new Expected
        {
            Network = n,
            Precision = precision,
            Outputs = truth.Exact.Outputs.Select(r => (double[])r.Clone()).ToArray(),
            Loss = truth.Exact.Loss,
            Gradient = Reshape(n, gradient),
            Step = Reshape(n, Stepped(n, gradient)),
            Careful = Bounds(truth.Careful),
            Textbook = Bounds(truth.Textbook),
            Range = truth.Textbook.Range,
        };
    }

    /// <summary>W − η·g for every parameter, computed exactly and rounded once (as
    /// <see cref="Properties.StepUsesOriginalWeights"/> does), so the published value is within the
    /// half ulp the tolerances add for it; frozen biases unchanged.</summary>
    static double[] Stepped(Network n, double[] gradient)
    {
        double[] before = Parameters.Of(n).Flatten();
        bool[] frozen = FrozenMask(n);
        return before.Select((w, k) => frozen[k] ? w : ((DoubleDouble)w - DoubleDouble.TwoProd(n.LearningRate, gradient[k])).Hi).ToArray();
    }

    /// <summary>
    /// p − η·g rounds twice: u·(|η·g| + |p − η·g|); a float32 implementation also stores p and η:
    /// u·|p| + u·|η·g|. Plus η times the gradient's own bound. A frozen bias: only its storing.
    /// </summary>
    static double[] StepTolerances(Network n, PrecisionProfile p, double[] gradient, double[] gradientBound)
    {
        double[] before = Parameters.Of(n).Flatten();
        bool[] frozen = FrozenMask(n);
        double eta = n.LearningRate, half = Validation.MachineEpsilon / 2;
        var tolerance = new double[before.Length];
        for (int k = 0; k < before.Length; k++)
        {
            if (frozen[k]) { tolerance[k] = p.StoreError(before[k]); continue; }
            double step = Math.Abs(eta * gradient[k]), after = Math.Abs(before[k] - eta * gradient[k]);
            tolerance[k] = p.U * (step + after) + (p.RoundsInputs ? p.U * (Math.Abs(before[k]) + step) : 0)
                           + eta * gradientBound[k] + half * after + 2 * p.Floor;
        }
        return tolerance;
    }

    static bool[] FrozenMask(Network n) => n.Layers.SelectMany(l =>
        Enumerable.Repeat(false, l.Units * l.FanIn).Concat(l.B is null ? [] : Enumerable.Repeat(l.Bias == BiasMode.Frozen, l.Units))).ToArray();

    /// <summary>Every answer of <paramref name="impl"/> that does not agree: forward outputs and loss,
    /// every gradient entry, every stepped parameter, each with its zone. Empty when it agrees
    /// throughout. An exception or a wrong shape is a wrong finding (range where the textbook cannot
    /// represent some answer), never a crash of the check.</summary>
    public IReadOnlyList<Finding> Check(IBackprop impl)
    {
        if (Precision == Precision.Float32) impl = new Float32Answers(impl);   // the floats, whatever decimal they came as
        var found = new List<Finding>();
        Guard(found, "forward", () =>
        {
            Evaluation e = impl.Forward(Network);
            if (!SameShape(e.Outputs, Outputs)) { found.Add(Shape("outputs", $"expected {Outputs.Length} rows of {Outputs[0].Length}")); return; }
            for (int n = 0; n < Outputs.Length; n++)
                for (int k = 0; k < Outputs[n].Length; k++)
                    Add(found, $"outputs[{n}][{k}]", e.Outputs[n][k], Outputs[n][k], Careful.Outputs[n][k], Textbook.Outputs[n][k]);
            Add(found, "loss", e.Loss, Loss, Careful.Loss, Textbook.Loss);
        });
        Guard(found, "gradients", () =>
        {
            Gradients g = impl.Gradients(Network);
            CheckParameters(found, "gradients", new Parameters(g.dE_dW, g.dE_db), Gradient, Careful.Gradient, Textbook.Gradient);
        });
        Guard(found, "step", () => CheckParameters(found, "step", impl.Step(Network), Step, Careful.Step, Textbook.Step));
        return found;
    }

    void Guard(List<Finding> found, string what, Action check)
    {
        try { check(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Zone zone = Range.Count > 0 ? Zone.Range : Zone.Wrong;
            found.Add(new Finding(zone, what, double.NaN, double.NaN, 0, 0, $"threw {e.GetType().Name}: {e.Message}"));
        }
    }

    void Add(List<Finding> found, string quantity, double actual, double expected, double careful, double textbook)
    {
        Zone zone = !double.IsFinite(actual) && Range.Count > 0 ? Zone.Range : Zones.Of(actual, expected, 0, careful, textbook);
        if (zone != Zone.Agrees) found.Add(new Finding(zone, quantity, actual, expected, careful, textbook));
    }

    static Finding Shape(string quantity, string problem) =>
        new(Zone.Wrong, quantity, double.NaN, double.NaN, 0, 0, $"has the wrong shape ({problem})");

    static bool SameShape(double[][]? actual, double[][] expected) =>
        actual is not null && actual.Length == expected.Length && actual.Select((r, e) => r is not null && r.Length == expected[e].Length).All(x => x);

    void CheckParameters(List<Finding> found, string quantity, Parameters? actual, Parameters expected, Parameters careful, Parameters textbook)
    {
        int L = expected.W.Length;
        if (actual?.W is null || actual.B is null || actual.W.Length != L || actual.B.Length != L)
        {
            found.Add(Shape(quantity, $"expected {L} layers"));
            return;
        }
        for (int l = 0; l < L; l++)
        {
            double[,] w = expected.W[l];
            string where = $"{quantity}[{l}]";
            if (actual.W[l] is null || actual.W[l].GetLength(0) != w.GetLength(0) || actual.W[l].GetLength(1) != w.GetLength(1))
                found.Add(Shape($"{where}.weights", $"expected {w.GetLength(0)} x {w.GetLength(1)}"));
            else
                for (int j = 0; j < w.GetLength(0); j++)
                    for (int i = 0; i < w.GetLength(1); i++)
                        Add(found, $"{where}.weights[{j}][{i}]", actual.W[l][j, i], w[j, i], careful.W[l][j, i], textbook.W[l][j, i]);
            double[]? b = expected.B[l], mine = actual.B[l];
            if (b is null)
            {
                if (mine is not null) found.Add(Shape($"{where}.biases", "the layer has no bias, but biases came back"));
            }
            else if (mine is null || mine.Length != b.Length)
                found.Add(Shape($"{where}.biases", $"missing or of the wrong length, expected {b.Length}"));
            else
                for (int j = 0; j < b.Length; j++)
                    Add(found, $"{where}.biases[{j}]", mine[j], b[j], careful.B[l]![j], textbook.B[l]![j]);
        }
    }

    /// <summary>A flat list in <see cref="ParameterIndex.Flatten"/> order, back in the parameters' shape.</summary>
    public static Parameters Reshape(Network n, double[] flat)
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
}
