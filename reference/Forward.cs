namespace BackpropSpec.Reference;

/// <summary>Every weight and bias of a network as numbers of type T (doubles, duals, complex).</summary>
public sealed class Parameters<T> where T : IScalar<T>
{
    public Parameters(T[][,] w, T[]?[] b) { W = w; B = b; }

    public T[][,] W { get; }    // [layers][units, fanIn]
    public T[]?[] B { get; }    // [layers][units] or null

    /// <summary>The network's own weights and biases, lifted to T.</summary>
    public static Parameters<T> Of(Network network)
    {
        int L = network.Layers.Count;
        var w = new T[L][,];
        var b = new T[L][];
        for (int l = 0; l < L; l++)
        {
            Layer layer = network.Layers[l];
            w[l] = new T[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    w[l][j, i] = T.FromDouble(layer.W[j, i]);
            if (layer.B is { } bias)
            {
                b[l] = new T[layer.Units];
                for (int j = 0; j < layer.Units; j++) b[l]![j] = T.FromDouble(bias[j]);
            }
        }
        return new Parameters<T>(w, b);
    }
}

/// <summary>The forward cache: net and out of every unit for every example, and E.</summary>
public sealed class ForwardPass<T>(T[][][] net, T[][][] @out, T e)
{
    public T[][][] Net { get; } = net;    // [layers][m][units]  net = Σ_i W[j, i]·out_below[i] + b[j]
    public T[][][] Out { get; } = @out;   // [layers][m][units]  out = f(net)
    public T E { get; } = e;              // the error of the batch
}

public static class Forward
{
    /// <summary>The forward pass on doubles.</summary>
    public static ForwardPass<double> Run(Network network)
    {
        var pass = Evaluate(network, Parameters<Real>.Of(network));
        return new ForwardPass<double>(Unwrap(pass.Net), Unwrap(pass.Out), pass.E.Value);
    }

    /// <summary>
    /// The forward pass, once for every number type: layer after layer, example after example,
    /// then E. <paramref name="p"/> replaces the network's own weights and biases.
    /// </summary>
    public static ForwardPass<T> Evaluate<T>(Network network, Parameters<T> p) where T : IScalar<T>
    {
        int L = network.Layers.Count, m = network.BatchSize;
        var net = new T[L][][];                  // [layers][m][units]
        var @out = new T[L][][];                 // [layers][m][units]
        for (int l = 0; l < L; l++) { net[l] = new T[m][]; @out[l] = new T[m][]; }

        for (int n = 0; n < m; n++)
        {
            T[] below = Lift<T>(network.X[n]);   // the inputs x are "out" of layer −1
            for (int l = 0; l < L; l++)
            {
                (net[l][n], @out[l][n]) = LayerForward(network.Layers[l].Activation, p.W[l], p.B[l], below);
                below = @out[l][n];
            }
        }
        T e = Loss.Evaluate(network.Loss, net[L - 1], @out[L - 1], network.T);
        return new ForwardPass<T>(net, @out, e);
    }

    /// <summary>One layer, one example: net_j = Σ_i W[j, i]·in_i (+ b_j), out = f(net).</summary>
    public static (T[] net, T[] @out) LayerForward<T>(Activation f, T[,] W, T[]? b, T[] input) where T : IScalar<T>
    {
        int units = W.GetLength(0), fanIn = W.GetLength(1);
        var net = new T[units];                  // [units]
        for (int j = 0; j < units; j++)
        {
            T sum = T.FromDouble(0);
            for (int i = 0; i < fanIn; i++) sum += W[j, i] * input[i];
            if (b is not null) sum += b[j];      // 002: + b_1 · 1, added last
            net[j] = sum;
        }
        return (net, Activations.Apply(f, net));
    }

    static T[] Lift<T>(double[] values) where T : IScalar<T>
    {
        var lifted = new T[values.Length];
        for (int i = 0; i < values.Length; i++) lifted[i] = T.FromDouble(values[i]);
        return lifted;
    }

    static double[][][] Unwrap(Real[][][] values) =>
        values.Select(layer => layer.Select(row => row.Select(r => r.Value).ToArray()).ToArray()).ToArray();
}
