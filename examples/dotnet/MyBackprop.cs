using BackpropSpec.Oracle;      // IBackprop, Capabilities, Evaluation, Gradients, Parameters
using BackpropSpec.Reference;   // Network, Layer, Activation, LossKind, BiasMode

namespace MyCompany.Backprop;

/// <summary>A plain backprop for sigmoid and identity layers under squared losses. It supports no
/// more, and says so: the kit skips the rest.</summary>
public sealed class MyBackprop : IBackprop
{
    public string Name => "my-backprop";

    public Capabilities Capabilities { get; } = new(
        [Activation.Identity, Activation.Sigmoid],
        [LossKind.HalfSse, LossKind.HalfMse]);

    /// <summary>Outputs [m][outputs] of the last layer and the loss of the batch.</summary>
    public Evaluation Forward(Network n)
    {
        var outputs = new double[n.BatchSize][];
        double loss = 0;
        for (int e = 0; e < n.BatchSize; e++)
        {
            var (_, outs) = Pass(n, n.X[e]);
            outputs[e] = outs[^1];
            for (int k = 0; k < outputs[e].Length; k++)
                loss += 0.5 * (n.T[e][k] - outputs[e][k]) * (n.T[e][k] - outputs[e][k]);
        }
        return new Evaluation(outputs, n.Loss == LossKind.HalfMse ? loss / n.BatchSize : loss);
    }

    /// <summary>∂E/∂W [layers][units, fanIn] and ∂E/∂b [layers][units] (null where a layer has no bias).</summary>
    public Gradients Gradients(Network n)
    {
        int L = n.Layers.Count;
        double scale = n.Loss == LossKind.HalfMse ? 1.0 / n.BatchSize : 1.0;
        var dW = n.Layers.Select(l => new double[l.Units, l.FanIn]).ToArray();
        var db = n.Layers.Select(l => l.B is null ? null : new double[l.Units]).ToArray();
        for (int e = 0; e < n.BatchSize; e++)
        {
            var (nets, outs) = Pass(n, n.X[e]);
            double[] o = outs[^1], t = n.T[e];
            // output layer: δ = ∂E/∂out · f′(net)
            double[] delta = new double[o.Length];
            for (int k = 0; k < o.Length; k++)
            {
                double dE_do = (o[k] - t[k]) * scale;
                delta[k] = dE_do * Derivative(n.Layers[L - 1].Activation, nets[L - 1][k]);
            }
            for (int l = L - 1; l >= 0; l--)
            {
                Layer layer = n.Layers[l];
                double[] input = l == 0 ? n.X[e] : outs[l - 1];
                for (int j = 0; j < layer.Units; j++)
                {
                    for (int i = 0; i < layer.FanIn; i++) dW[l][j, i] += delta[j] * input[i];
                    if (db[l] is { } b) b[j] += delta[j];
                }
                if (l == 0) break;
                // the layer below: δ_i = Σ_j W[j, i]·δ_j · f′(net_i), from the original weights
                var below = new double[layer.FanIn];
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double sum = 0;
                    for (int j = 0; j < layer.Units; j++) sum += layer.W[j, i] * delta[j];
                    below[i] = sum * Derivative(n.Layers[l - 1].Activation, nets[l - 1][i]);
                }
                delta = below;
            }
        }
        Evaluation f = Forward(n);
        return new Gradients(f.Outputs, f.Loss, dW, db);
    }

    /// <summary>Every layer's weights and biases after one step W − η·∂E/∂W; frozen biases stay.</summary>
    public Parameters Step(Network n)
    {
        Gradients g = Gradients(n);
        var w = new double[n.Layers.Count][,];
        var b = new double[]?[n.Layers.Count];
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            w[l] = new double[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    w[l][j, i] = layer.W[j, i] - n.LearningRate * g.dE_dW[l][j, i];
            if (layer.B is null) continue;
            b[l] = layer.Bias == BiasMode.Trainable
                ? layer.B.Select((v, j) => v - n.LearningRate * g.dE_db[l]![j]).ToArray()
                : (double[])layer.B.Clone();
        }
        return new Parameters(w, b);
    }

    /// <summary>net and out of every layer for one example: net_j = Σ_i W[j, i]·in_i (+ b_j).</summary>
    static (double[][] nets, double[][] outs) Pass(Network n, double[] x)
    {
        var nets = new double[n.Layers.Count][];
        var outs = new double[n.Layers.Count][];
        double[] input = x;
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            nets[l] = new double[layer.Units];
            outs[l] = new double[layer.Units];
            for (int j = 0; j < layer.Units; j++)
            {
                double sum = 0;
                for (int i = 0; i < layer.FanIn; i++) sum += layer.W[j, i] * input[i];
                if (layer.B is { } bias) sum += bias[j];
                nets[l][j] = sum;
                outs[l][j] = layer.Activation == Activation.Sigmoid ? Sigmoid(sum) : sum;
            }
            input = outs[l];
        }
        return (nets, outs);
    }

    static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>f′(net); for the sigmoid σ(net)·σ(−net), which keeps its digits where 1 − σ would not.</summary>
    static double Derivative(Activation f, double net) => f == Activation.Sigmoid ? Sigmoid(net) * Sigmoid(-net) : 1.0;
}
