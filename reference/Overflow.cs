using System.Globalization;

namespace BackpropSpec.Reference;

/// <summary>
/// A valid network whose computation leaves the doubles: a net input, an output, the loss, a delta,
/// a gradient or an updated weight is ±Infinity or NaN although every number of the document is
/// finite (weights of 1e308 times inputs of 1e308, for instance). The message names the quantity,
/// the layer, the unit and the example where it first happened.
/// </summary>
public sealed class NumericOverflowException(string where, string message) : ArithmeticException(message)
{
    /// <summary>The quantity, as a path of `trace --json` (<c>examples[0].layers[1].net[0]</c>, <c>E</c>,
    /// <c>gradients[0].dE_dW[1][0]</c>, <c>updated.layers[0].weights[0][0]</c>).</summary>
    public string Where { get; } = where;
}

/// <summary>Finds the first non-finite number of a forward pass, a backward pass or a step, in the
/// order they are computed, and throws a <see cref="NumericOverflowException"/> that says where.</summary>
public static class Overflow
{
    /// <summary>Net input and output of every unit, example by example, layer by layer, then the loss.</summary>
    public static void CheckForward(Network network, ForwardPass<double> f, string stage = "the forward pass")
    {
        for (int n = 0; n < network.BatchSize; n++)
            for (int l = 0; l < network.Layers.Count; l++)
                for (int j = 0; j < network.Layers[l].Units; j++)
                {
                    if (!double.IsFinite(f.Net[l][n][j]))
                        throw At($"examples[{n}].layers[{l}].net[{j}]", $"{stage} overflows at layer {l}, unit {j}, example {n}: net = {R(f.Net[l][n][j])}");
                    if (!double.IsFinite(f.Out[l][n][j]))
                        throw At($"examples[{n}].layers[{l}].out[{j}]", $"{stage} overflows at layer {l}, unit {j}, example {n}: out = {R(f.Out[l][n][j])} (net = {R(f.Net[l][n][j])})");
                }
        if (!double.IsFinite(f.E))
            throw At("E", $"{stage} overflows in the loss: E = {R(f.E)} although every output is finite{WorstExample(network, f)}");
    }

    /// <summary>∂E/∂out, f′, δ of every unit and example, then ∂E/∂W and ∂E/∂b, from the output layer down.</summary>
    public static void CheckBackward(Network network, IReadOnlyList<LayerGradients<double>> g)
    {
        for (int l = network.Layers.Count - 1; l >= 0; l--)
        {
            for (int n = 0; n < network.BatchSize; n++)
                for (int j = 0; j < network.Layers[l].Units; j++)
                {
                    Check(g[l].dE_dout[n][j], $"examples[{n}].layers[{l}].dE_dout[{j}]", $"the backward pass overflows at layer {l}, unit {j}, example {n}: dE/dout");
                    if (g[l].dout_dnet is { } d) Check(d[n][j], $"examples[{n}].layers[{l}].dout_dnet[{j}]", $"the backward pass overflows at layer {l}, unit {j}, example {n}: dout/dnet");
                    Check(g[l].delta[n][j], $"examples[{n}].layers[{l}].delta[{j}]", $"the backward pass overflows at layer {l}, unit {j}, example {n}: delta");
                }
            for (int j = 0; j < network.Layers[l].Units; j++)
            {
                for (int i = 0; i < network.Layers[l].FanIn; i++)
                    Check(g[l].dE_dW[j, i], $"gradients[{l}].dE_dW[{j}][{i}]", $"the backward pass overflows at layer {l}, unit {j}: dE/dW[{j},{i}] (summed over the batch)");
                if (g[l].dE_db is { } b)
                    Check(b[j], $"gradients[{l}].dE_db[{j}]", $"the backward pass overflows at layer {l}, unit {j}: dE/db (summed over the batch)");
            }
        }
    }

    /// <summary>True when every ∂E/∂W and ∂E/∂b is finite.</summary>
    public static bool GradientsFinite(IReadOnlyList<LayerGradients<double>> g)
    {
        foreach (LayerGradients<double> layer in g)
        {
            foreach (double v in layer.dE_dW) if (!double.IsFinite(v)) return false;
            if (layer.dE_db is { } b) foreach (double v in b) if (!double.IsFinite(v)) return false;
        }
        return true;
    }

    /// <summary>The updated weight W − η·∂E/∂W (or bias) of layer l, unit j, input i; throws when it is not finite.</summary>
    public static void CheckStep(int l, int j, int? i, double before, double eta, double gradient, double after)
    {
        if (double.IsFinite(after)) return;
        string what = i is { } col ? $"weights[{j}][{col}]" : $"biases[{j}]";
        throw At($"updated.layers[{l}].{what}",
            $"the step overflows at layer {l}, unit {j}: the updated {what} = {R(before)} - {R(eta)} * {R(gradient)} = {R(after)}");
    }

    static void Check(double v, string where, string message)
    {
        if (!double.IsFinite(v)) throw At(where, $"{message} = {R(v)}");
    }

    static NumericOverflowException At(string where, string message) =>
        new(where, $"{message} ({where}); every number of the document is finite, but this computation leaves the range of a double (±1.8e308)");

    /// <summary>The example whose loss term is largest, when the loss overflows.</summary>
    static string WorstExample(Network network, ForwardPass<double> f)
    {
        for (int n = 0; n < network.BatchSize; n++)
            for (int k = 0; k < network.Output.Units; k++)
            {
                double d = network.T[n][k] - f.Out[^1][n][k];
                if (!double.IsFinite(0.5 * d * d)) return $"; (t - o)^2 overflows at output {k} of example {n} (o = {R(f.Out[^1][n][k])})";
            }
        return "";
    }

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
