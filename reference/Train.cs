namespace BackpropSpec.Reference;

public static class Train
{
    /// <summary>
    /// One gradient-descent step. A gradient or updated weight that leaves the doubles (a valid
    /// document whose products overflow) throws a <see cref="NumericOverflowException"/> naming where
    /// the overflow began. Every gradient is computed from the original weights first,
    /// then all weights are updated at once (002: "we use the original weights, not the updated
    /// weights, when we continue the backpropagation algorithm"). W⁺ = W − η·∂E/∂W; biases move
    /// only when trainable.
    /// </summary>
    public static Network Step(Network network)
    {
        ForwardPass<double> forward = Forward.Run(network);
        LayerGradients<double>[] grads = Backward.Run(network, forward);
        // An intermediate may overflow harmlessly (∂E/∂out of a ReLU that is off); a gradient may not:
        // then say where the overflow began, in the order of the computation.
        if (!Overflow.GradientsFinite(grads))
        {
            Overflow.CheckForward(network, forward);
            Overflow.CheckBackward(network, grads);
        }
        return Apply(network, grads);
    }

    /// <summary>W⁺ = W − η·∂E/∂W for every layer, from gradients already computed.</summary>
    /// <exception cref="NumericOverflowException">An updated weight or bias is not finite.</exception>
    public static Network Apply(Network network, IReadOnlyList<LayerGradients<double>> grads)
    {
        double eta = network.LearningRate;
        var layers = new Layer[network.Layers.Count];
        for (int l = 0; l < layers.Length; l++)
        {
            Layer layer = network.Layers[l];
            var w = new double[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                {
                    w[j, i] = layer.W[j, i] - eta * grads[l].dE_dW[j, i];
                    Overflow.CheckStep(l, j, i, layer.W[j, i], eta, grads[l].dE_dW[j, i], w[j, i]);
                }
            double[]? b = layer.B is null ? null : (double[])layer.B.Clone();
            if (layer.Bias == BiasMode.Trainable)
                for (int j = 0; j < b!.Length; j++)
                {
                    b[j] = layer.B![j] - eta * grads[l].dE_db![j];
                    Overflow.CheckStep(l, j, null, layer.B[j], eta, grads[l].dE_db![j], b[j]);
                }
            layers[l] = new Layer(layer.Activation, w, b, layer.Bias);
        }
        return network.WithLayers(layers);
    }

    /// <summary>N steps, each from the weights the previous one left (002: "repeating this process 10,000 times").</summary>
    public static Network Run(Network network, int steps)
    {
        if (steps < 0) throw new ArgumentException($"steps: must be at least 0, got {steps}");
        for (int s = 0; s < steps; s++) network = Step(network);
        return network;
    }
}
