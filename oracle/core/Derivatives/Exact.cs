using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Derivatives;

/// <summary>
/// The exact answers for one network: the reference's own forward and backward pass run in
/// double-double arithmetic (about 106 bits), so every output, the loss and every gradient entry
/// is known to about 2⁻¹⁰⁰ of its chain-rule terms, in one O(P) pass. Values are kept as an unevaluated
/// sum hi + lo, so an implementation's double is compared with the exact value, not with its rounding.
/// The per-layer quantities (net, out, ∂E/∂out, δ) are kept rounded to double: the tolerance model
/// (<see cref="Judging.RoundingBounds"/>) needs their sizes, not their last bits.
/// </summary>
public sealed class ExactValues
{
    public required Network Network { get; init; }
    public required double[][][] Net { get; init; }        // [layers][m][units]
    public required double[][][] Out { get; init; }        // [layers][m][units]
    public required double[][][] dE_dout { get; init; }    // [layers][m][units]
    public required double[][][] Delta { get; init; }      // [layers][m][units]
    public required double[][] Outputs { get; init; }      // [m][outputs]  hi
    public required double[][] OutputsLo { get; init; }    // [m][outputs]  lo
    public required double Loss { get; init; }
    public required double LossLo { get; init; }
    public required double[] Gradient { get; init; }       // [P] in ParameterIndex order, hi
    public required double[] GradientLo { get; init; }     // [P] lo

    /// <summary>|a − exact| for an answer a, computed without rounding the exact value first.</summary>
    public static double Distance(double a, double hi, double lo) => Math.Abs(a - hi - lo);
}

public static class Exact
{
    /// <summary>The exact answers, in double-double arithmetic.</summary>
    public static ExactValues Compute(Network network) => Compute<DoubleDouble>(network, x => (x.Hi, x.Lo));

    /// <summary>The same computation on any number type; <paramref name="split"/> gives its value as hi + lo.</summary>
    public static ExactValues Compute<T>(Network network, Func<T, (double hi, double lo)> split) where T : IScalar<T>
    {
        Parameters<T> p = Parameters<T>.Of(network);
        ForwardPass<T> f = Forward.Evaluate(network, p);
        LayerGradients<T>[] g = Backward.Run(network, p, f);
        double[][][] Hi(T[][][] v) => v.Select(l => l.Select(r => r.Select(x => split(x).hi).ToArray()).ToArray()).ToArray();

        var gradient = new List<double>();
        var gradientLo = new List<double>();
        void Add(T x) { var (hi, lo) = split(x); gradient.Add(hi); gradientLo.Add(lo); }
        foreach (LayerGradients<T> layer in g)
        {
            for (int j = 0; j < layer.dE_dW.GetLength(0); j++)
                for (int i = 0; i < layer.dE_dW.GetLength(1); i++) Add(layer.dE_dW[j, i]);
            if (layer.dE_db is { } db) foreach (T x in db) Add(x);
        }
        var (loss, lossLo) = split(f.E);
        return new ExactValues
        {
            Network = network,
            Net = Hi(f.Net),
            Out = Hi(f.Out),
            dE_dout = Hi(g.Select(l => l.dE_dout).ToArray()),
            Delta = Hi(g.Select(l => l.delta).ToArray()),
            Outputs = f.Out[^1].Select(r => r.Select(x => split(x).hi).ToArray()).ToArray(),
            OutputsLo = f.Out[^1].Select(r => r.Select(x => split(x).lo).ToArray()).ToArray(),
            Loss = loss,
            LossLo = lossLo,
            Gradient = gradient.ToArray(),
            GradientLo = gradientLo.ToArray(),
        };
    }
}
