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
        ForwardPass<T> f = typeof(T) == typeof(DoubleDouble) ? (ForwardPass<T>)(object)Remembered(network, (Parameters<DoubleDouble>)(object)p)
                                                             : Forward.Evaluate(network, p);
        LayerGradients<T>[] g = Backward.Run(network, p, f);

        var gradient = new double[network.ParameterCount];
        var gradientLo = new double[gradient.Length];
        int k = 0;
        void Add(T x) { (gradient[k], gradientLo[k]) = split(x); k++; }
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
            Net = Hi(f.Net, split),
            Out = Hi(f.Out, split),
            dE_dout = Hi(g.Select(l => l.dE_dout).ToArray(), split),
            Delta = Hi(g.Select(l => l.delta).ToArray(), split),
            Outputs = Part(f.Out[^1], split, lo: false),
            OutputsLo = Part(f.Out[^1], split, lo: true),
            Loss = loss,
            LossLo = lossLo,
            Gradient = gradient,
            GradientLo = gradientLo,
        };
    }

    /// <summary>
    /// The forward pass in double-double, one example at a time with the reference's own
    /// <see cref="Forward.LayerForward"/>, each example's net and out remembered per input row and
    /// layers: the properties judge networks that share them (one example of the batch, the batch
    /// twice, the mean loss instead of the sum, the targets moved to the outputs), and the
    /// exponentials of a double-double forward pass are its dearest part. Then E, as the reference's
    /// <see cref="Forward.Evaluate"/> computes it.
    /// </summary>
    static ForwardPass<DoubleDouble> Remembered(Network network, Parameters<DoubleDouble> p)
    {
        int L = network.Layers.Count, m = network.BatchSize;
        var net = new DoubleDouble[L][][];                     // [layers][m][units]
        var @out = new DoubleDouble[L][][];                    // [layers][m][units]
        for (int l = 0; l < L; l++) { net[l] = new DoubleDouble[m][]; @out[l] = new DoubleDouble[m][]; }
        Layer[] layers = network.Layers.ToArray();
        for (int n = 0; n < m; n++)
        {
            List<(Layer[] layers, DoubleDouble[][] net, DoubleDouble[][] @out)> known = ByRow.GetOrCreateValue(network.X[n]);
            (Layer[] layers, DoubleDouble[][] net, DoubleDouble[][] @out)? hit = null;
            lock (known) hit = known.FirstOrDefault(k => k.layers.AsSpan().SequenceEqual(layers));
            if (hit is not { net: not null } h)
            {
                var rowNet = new DoubleDouble[L][];
                var rowOut = new DoubleDouble[L][];
                DoubleDouble[] below = network.X[n].Select(DoubleDouble.FromDouble).ToArray();
                for (int l = 0; l < L; l++)
                {
                    (rowNet[l], rowOut[l]) = Forward.LayerForward(layers[l].Activation, p.W[l], p.B[l], below);
                    below = rowOut[l];
                }
                h = (layers, rowNet, rowOut);
                lock (known) { if (known.Count >= PassesPerRow) known.RemoveAt(0); known.Add(h); }
            }
            for (int l = 0; l < L; l++) { net[l][n] = h.net[l]; @out[l][n] = h.@out[l]; }
        }
        DoubleDouble e = Loss.Evaluate(network.Loss, net[L - 1], @out[L - 1], network.T);
        return new ForwardPass<DoubleDouble>(net, @out, e);
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<double[], List<(Layer[] layers, DoubleDouble[][] net, DoubleDouble[][] @out)>> ByRow = new();

    /// <summary>How many forward passes are remembered per input row at most (the oldest goes first).</summary>
    internal const int PassesPerRow = 8;

    /// <summary>How many forward passes are remembered for this input row now.</summary>
    internal static int RememberedPasses(double[] row)
    {
        if (!ByRow.TryGetValue(row, out var known)) return 0;
        lock (known) return known.Count;
    }

    static double[][][] Hi<T>(T[][][] values, Func<T, (double hi, double lo)> split)
    {
        var r = new double[values.Length][][];                       // [layers][m][units]
        for (int l = 0; l < values.Length; l++) r[l] = Part(values[l], split, lo: false);
        return r;
    }

    static double[][] Part<T>(T[][] rows, Func<T, (double hi, double lo)> split, bool lo)
    {
        var r = new double[rows.Length][];                           // [m][units]
        for (int n = 0; n < rows.Length; n++)
        {
            r[n] = new double[rows[n].Length];
            for (int j = 0; j < rows[n].Length; j++) r[n][j] = lo ? split(rows[n][j]).lo : split(rows[n][j]).hi;
        }
        return r;
    }
}
