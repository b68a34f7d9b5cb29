namespace BackpropSpec.Reference;

/// <summary>What the backward pass keeps for one layer, under the documents' names.</summary>
public sealed class LayerGradients<T>
{
    public required T[][] dE_dout { get; init; }     // [m][units]  ∂E/∂out
    public required T[][]? dout_dnet { get; init; }  // [m][units]  f′(net); null for softmax (a Jacobian)
    public required T[][] delta { get; init; }       // [m][units]  δ = ∂E/∂net
    public required T[,] dE_dW { get; init; }        // [units, fanIn]  ∂E/∂W[j, i] = Σ_n δ_j · out_below_i
    public required T[]? dE_db { get; init; }        // [units]  ∂E/∂b_j = Σ_n δ_j; null when the layer has no bias
}

/// <summary>
/// Backpropagation, written once for every number type, like the forward pass: on
/// <see cref="Real"/> it is the reference's backprop in doubles; on double-double numbers it is the
/// oracle's exact reverse mode (oracle/core/Derivatives).
/// </summary>
public static class Backward
{
    /// <summary>Backprop on doubles: every layer's ∂E/∂out, δ, ∂E/∂W and ∂E/∂b from the weights of
    /// <paramref name="network"/> and the cache of <paramref name="forward"/>.</summary>
    public static LayerGradients<double>[] Run(Network network, ForwardPass<double> forward)
    {
        var lifted = new ForwardPass<Real>(Lift(forward.Net), Lift(forward.Out), new Real(forward.E));
        return Run(network, Parameters<Real>.Of(network), lifted).Select(Unwrap).ToArray();
    }

    /// <summary>
    /// Backpropagation: from the output layer down, every layer's ∂E/∂out, δ, ∂E/∂W and ∂E/∂b,
    /// all from the weights <paramref name="p"/> and the cache of <paramref name="forward"/>.
    /// </summary>
    public static LayerGradients<T>[] Run<T>(Network network, Parameters<T> p, ForwardPass<T> forward) where T : IScalar<T>
    {
        int L = network.Layers.Count;
        var grads = new LayerGradients<T>[L];
        for (int l = L - 1; l >= 0; l--)
        {
            T[][] dE_dout = l == L - 1
                ? OutputErrors(network, forward)
                : ErrorsFromAbove(p.W[l + 1], grads[l + 1].delta);
            T[][] outBelow = l == 0 ? Lift<T>(network.X) : forward.Out[l - 1];
            grads[l] = LayerBackward(network, l, forward.Net[l], forward.Out[l], dE_dout, outBelow);
        }
        return grads;
    }

    /// <summary>∂E/∂out of the output layer, straight from the loss (002: −(target − out)).</summary>
    static T[][] OutputErrors<T>(Network network, ForwardPass<T> forward) where T : IScalar<T>
    {
        int m = network.BatchSize;
        T[][] o = forward.Out[^1];
        var dE_dout = new T[m][];                                      // [m][outputs]
        for (int n = 0; n < m; n++)
        {
            dE_dout[n] = new T[o[n].Length];
            for (int k = 0; k < o[n].Length; k++)
                dE_dout[n][k] = Loss.DerivativeByOut(network.Loss, o[n][k], network.T[n][k], m);
        }
        return dE_dout;
    }

    /// <summary>002: ∂E/∂out_h = Σ_o δ_o · w_ho. With W[j, i] into unit j from unit i: Σ_j W[j, i]·δ_j.</summary>
    static T[][] ErrorsFromAbove<T>(T[,] W, T[][] deltaAbove) where T : IScalar<T>
    {
        int m = deltaAbove.Length, units = W.GetLength(0), fanIn = W.GetLength(1);
        var dE_dout = new T[m][];                                      // [m][fanIn of above]
        for (int n = 0; n < m; n++)
        {
            dE_dout[n] = new T[fanIn];
            for (int i = 0; i < fanIn; i++)
            {
                T sum = T.FromDouble(0);
                for (int j = 0; j < units; j++) sum += W[j, i] * deltaAbove[n][j];
                dE_dout[n][i] = sum;
            }
        }
        return dE_dout;
    }

    /// <summary>One layer: δ = ∂E/∂out · ∂out/∂net, then ∂E/∂W and ∂E/∂b summed over the batch.</summary>
    static LayerGradients<T> LayerBackward<T>(Network network, int l, T[][] net, T[][] @out, T[][] dE_dout, T[][] outBelow)
        where T : IScalar<T>
    {
        Layer layer = network.Layers[l];
        bool isOutput = l == network.Layers.Count - 1;
        int m = network.BatchSize;
        var delta = new T[m][];                                        // [m][units]
        var dout_dnet = layer.Activation == Activation.Softmax ? null : new T[m][];
        var oneMinusOut = new T[layer.Units];                          // [units]  1 − out of a sigmoid unit
        for (int n = 0; n < m; n++)
        {
            delta[n] = new T[layer.Units];
            if (layer.Activation == Activation.Sigmoid)
                for (int j = 0; j < layer.Units; j++) oneMinusOut[j] = Activations.SigmoidOneMinusOut(net[n][j], @out[n][j]);
            if (dout_dnet is not null)
            {
                dout_dnet[n] = new T[layer.Units];
                for (int j = 0; j < layer.Units; j++)
                    dout_dnet[n][j] = layer.Activation == Activation.Sigmoid
                        ? @out[n][j] * oneMinusOut[j]                           // 002: out(1 − out), from the cached out
                        : Activations.Derivative(layer.Activation, net[n][j]);
            }

            if (isOutput && Loss.IsFused(network.Loss))
            {
                // 004: dZ = A − Y; cross-entropy after its own sigmoid/softmax. The 1/m of the mean
                // is inside δ here (004 applies it to dW and db, the same product).
                for (int j = 0; j < layer.Units; j++) delta[n][j] = (@out[n][j] - T.FromDouble(network.T[n][j])) / T.FromDouble(m);
            }
            else if (layer.Activation == Activation.Softmax)
            {
                delta[n] = Activations.SoftmaxJacobianTimes(@out[n], dE_dout[n]);
            }
            else if (layer.Activation == Activation.Sigmoid)
            {
                // 002 In[69]: δ = −(target − out) * out * (1 − out), multiplied left to right as the
                // document does, so its 17-digit prints come out to the last bit.
                for (int j = 0; j < layer.Units; j++)
                    delta[n][j] = dE_dout[n][j] * @out[n][j] * oneMinusOut[j];
            }
            else
            {
                // δ = ∂E/∂out · ∂out/∂net
                for (int j = 0; j < layer.Units; j++) delta[n][j] = dE_dout[n][j] * dout_dnet![n][j];
            }
        }

        var dE_dW = new T[layer.Units, layer.FanIn];                   // [units, fanIn]
        for (int j = 0; j < layer.Units; j++)
            for (int i = 0; i < layer.FanIn; i++)
            {
                T sum = T.FromDouble(0);
                for (int n = 0; n < m; n++) sum += delta[n][j] * outBelow[n][i];   // 002: ∂E/∂w5 = δ_o1 · out_h1
                dE_dW[j, i] = sum;
            }

        T[]? dE_db = null;                                             // [units]
        if (layer.Bias != BiasMode.None)
        {
            dE_db = new T[layer.Units];
            for (int j = 0; j < layer.Units; j++)
            {
                T sum = T.FromDouble(0);
                for (int n = 0; n < m; n++) sum += delta[n][j];        // ∂net/∂b = 1
                dE_db[j] = sum;
            }
        }
        return new LayerGradients<T> { dE_dout = dE_dout, dout_dnet = dout_dnet, delta = delta, dE_dW = dE_dW, dE_db = dE_db };
    }

    static T[][] Lift<T>(double[][] rows) where T : IScalar<T> =>
        rows.Select(r => r.Select(T.FromDouble).ToArray()).ToArray();

    static Real[][][] Lift(double[][][] values) => values.Select(Lift<Real>).ToArray();

    static LayerGradients<double> Unwrap(LayerGradients<Real> g) => new()
    {
        dE_dout = Unwrap(g.dE_dout),
        dout_dnet = g.dout_dnet is null ? null : Unwrap(g.dout_dnet),
        delta = Unwrap(g.delta),
        dE_dW = Unwrap(g.dE_dW),
        dE_db = g.dE_db?.Select(r => r.Value).ToArray(),
    };

    static double[][] Unwrap(Real[][] rows) => rows.Select(r => r.Select(x => x.Value).ToArray()).ToArray();

    static double[,] Unwrap(Real[,] w)
    {
        var d = new double[w.GetLength(0), w.GetLength(1)];
        for (int j = 0; j < w.GetLength(0); j++)
            for (int i = 0; i < w.GetLength(1); i++) d[j, i] = w[j, i].Value;
        return d;
    }
}
