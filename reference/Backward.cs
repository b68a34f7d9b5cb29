namespace BackpropSpec.Reference;

/// <summary>What the backward pass keeps for one layer, under the documents' names.</summary>
public sealed class LayerGradients
{
    public required double[][] dE_dout { get; init; }     // [m][units]  ∂E/∂out
    public required double[][]? dout_dnet { get; init; }  // [m][units]  f′(net); null for softmax (a Jacobian)
    public required double[][] delta { get; init; }       // [m][units]  δ = ∂E/∂net
    public required double[,] dE_dW { get; init; }        // [units, fanIn]  ∂E/∂W[j, i] = Σ_n δ_j · out_below_i
    public required double[]? dE_db { get; init; }        // [units]  ∂E/∂b_j = Σ_n δ_j; null when the layer has no bias
}

public static class Backward
{
    /// <summary>
    /// Backpropagation: from the output layer down, every layer's ∂E/∂out, δ, ∂E/∂W and ∂E/∂b,
    /// all from the weights of <paramref name="network"/> and the cache of <paramref name="forward"/>.
    /// </summary>
    public static LayerGradients[] Run(Network network, ForwardPass<double> forward)
    {
        int L = network.Layers.Count;
        var grads = new LayerGradients[L];
        for (int l = L - 1; l >= 0; l--)
        {
            double[][] dE_dout = l == L - 1
                ? OutputErrors(network, forward)
                : ErrorsFromAbove(network.Layers[l + 1], grads[l + 1].delta);
            double[][] outBelow = l == 0 ? network.X : forward.Out[l - 1];
            grads[l] = LayerBackward(network, l, forward.Net[l], forward.Out[l], dE_dout, outBelow);
        }
        return grads;
    }

    /// <summary>∂E/∂out of the output layer, straight from the loss (002: −(target − out)).</summary>
    static double[][] OutputErrors(Network network, ForwardPass<double> forward)
    {
        int m = network.BatchSize;
        double[][] o = forward.Out[^1];
        var dE_dout = new double[m][];                                 // [m][outputs]
        for (int n = 0; n < m; n++)
        {
            dE_dout[n] = new double[o[n].Length];
            for (int k = 0; k < o[n].Length; k++)
                dE_dout[n][k] = Loss.DerivativeByOut(network.Loss, o[n][k], network.T[n][k], m);
        }
        return dE_dout;
    }

    /// <summary>002: ∂E/∂out_h = Σ_o δ_o · w_ho. With W[j, i] into unit j from unit i: Σ_j W[j, i]·δ_j.</summary>
    static double[][] ErrorsFromAbove(Layer above, double[][] deltaAbove)
    {
        int m = deltaAbove.Length;
        var dE_dout = new double[m][];                                 // [m][fanIn of above]
        for (int n = 0; n < m; n++)
        {
            dE_dout[n] = new double[above.FanIn];
            for (int i = 0; i < above.FanIn; i++)
            {
                double sum = 0;
                for (int j = 0; j < above.Units; j++) sum += above.W[j, i] * deltaAbove[n][j];
                dE_dout[n][i] = sum;
            }
        }
        return dE_dout;
    }

    /// <summary>One layer: δ = ∂E/∂out · ∂out/∂net, then ∂E/∂W and ∂E/∂b summed over the batch.</summary>
    static LayerGradients LayerBackward(Network network, int l, double[][] net, double[][] @out,
                                        double[][] dE_dout, double[][] outBelow)
    {
        Layer layer = network.Layers[l];
        bool isOutput = l == network.Layers.Count - 1;
        int m = network.BatchSize;
        var delta = new double[m][];                                   // [m][units]
        var dout_dnet = layer.Activation == Activation.Softmax ? null : new double[m][];
        for (int n = 0; n < m; n++)
        {
            delta[n] = new double[layer.Units];
            if (dout_dnet is not null)
            {
                dout_dnet[n] = new double[layer.Units];
                for (int j = 0; j < layer.Units; j++) dout_dnet[n][j] = Activations.Derivative(layer.Activation, net[n][j]);
            }

            if (isOutput && Loss.IsFused(network.Loss))
            {
                // 004: dZ = A − Y; cross-entropy after its own sigmoid/softmax. The 1/m of the mean
                // is inside δ here (004 applies it to dW and db, the same product).
                for (int j = 0; j < layer.Units; j++) delta[n][j] = (@out[n][j] - network.T[n][j]) / m;
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
                    delta[n][j] = dE_dout[n][j] * @out[n][j] * Activations.SigmoidOneMinusOut(net[n][j], @out[n][j]);
            }
            else
            {
                // δ = ∂E/∂out · ∂out/∂net
                for (int j = 0; j < layer.Units; j++) delta[n][j] = dE_dout[n][j] * dout_dnet![n][j];
            }
        }

        var dE_dW = new double[layer.Units, layer.FanIn];              // [units, fanIn]
        for (int j = 0; j < layer.Units; j++)
            for (int i = 0; i < layer.FanIn; i++)
            {
                double sum = 0;
                for (int n = 0; n < m; n++) sum += delta[n][j] * outBelow[n][i];  // 002: ∂E/∂w5 = δ_o1 · out_h1
                dE_dW[j, i] = sum;
            }

        double[]? dE_db = null;                                        // [units]
        if (layer.Bias != BiasMode.None)
        {
            dE_db = new double[layer.Units];
            for (int j = 0; j < layer.Units; j++)
            {
                double sum = 0;
                for (int n = 0; n < m; n++) sum += delta[n][j];       // ∂net/∂b = 1
                dE_db[j] = sum;
            }
        }
        return new LayerGradients { dE_dout = dE_dout, dout_dnet = dout_dnet, delta = delta, dE_dW = dE_dW, dE_db = dE_db };
    }
}
