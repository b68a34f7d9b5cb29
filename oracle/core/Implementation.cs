using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// What an implementation of backprop must provide to be checked: forward outputs and loss, the
/// gradient of every weight and bias, and one gradient step. The conformance kit runs every golden
/// example and every property against an <see cref="IBackprop"/>; `check` wraps a process in one.
/// </summary>
public interface IBackprop
{
    string Name { get; }

    /// <summary>The activations and losses this implementation supports, and the precision it computes
    /// in, as the protocol's hello lists them. Networks outside them are not asked for (random ones)
    /// or are skipped (examples); answers are judged in that precision.</summary>
    Capabilities Capabilities => Capabilities.Everything;

    /// <summary>Outputs of the last layer for every example, and the loss of the batch.</summary>
    Evaluation Forward(Network network);

    /// <summary>Outputs, loss and ∂E/∂W, ∂E/∂b of every layer.</summary>
    Gradients Gradients(Network network);

    /// <summary>Every layer's weights and biases after one gradient step.</summary>
    Parameters Step(Network network);
}

/// <summary>Outputs [m][outputs] and loss E.</summary>
public record Evaluation(double[][] Outputs, double Loss);

/// <summary>∂E/∂W [layers][units, fanIn] and ∂E/∂b [layers][units] (null where a layer has no bias).</summary>
public sealed record Gradients(double[][] Outputs, double Loss, double[][,] dE_dW, double[]?[] dE_db)
{
    /// <summary>Every entry in one flat list: layer by layer, weights row by row, then biases.</summary>
    public double[] Flatten() => ParameterIndex.Flatten(dE_dW, dE_db);
}

/// <summary>Weights [layers][units, fanIn] and biases [layers][units] or null.</summary>
public sealed record Parameters(double[][,] W, double[]?[] B)
{
    public double[] Flatten() => ParameterIndex.Flatten(W, B);

    public static Parameters Of(Network n) =>
        new(n.Layers.Select(l => (double[,])l.W.Clone()).ToArray(), n.Layers.Select(l => (double[]?)l.B?.Clone()).ToArray());

    /// <summary>The network with these weights and biases.</summary>
    public Network ApplyTo(Network n) =>
        n.WithLayers(n.Layers.Select((l, k) => new Layer(l.Activation, W[k], B[k], l.Bias)).ToArray());
}

/// <summary>The reference itself, as an <see cref="IBackprop"/>: the kit's first user.</summary>
public sealed class ReferenceBackprop : IBackprop
{
    public string Name => "reference";

    public Evaluation Forward(Network network)
    {
        ForwardPass<double> f = Reference.Forward.Run(network);
        return new Evaluation(f.Out[^1], f.E);
    }

    public Gradients Gradients(Network network)
    {
        ForwardPass<double> f = Reference.Forward.Run(network);
        LayerGradients<double>[] g = Backward.Run(network, f);
        return new Gradients(f.Out[^1], f.E, g.Select(x => x.dE_dW).ToArray(), g.Select(x => x.dE_db).ToArray());
    }

    public Parameters Step(Network network) => Parameters.Of(Train.Step(network));
}

/// <summary>Names the parameters of a network in the order <c>Flatten</c> lists them.</summary>
public static class ParameterIndex
{
    public static double[] Flatten(double[][,] w, double[]?[] b)
    {
        var all = new List<double>();
        for (int l = 0; l < w.Length; l++)
        {
            for (int j = 0; j < w[l].GetLength(0); j++)
                for (int i = 0; i < w[l].GetLength(1); i++)
                    all.Add(w[l][j, i]);
            if (b[l] is { } bias) all.AddRange(bias);
        }
        return all.ToArray();
    }

    /// <summary>"layers[1].weights[0][1]" style names, in flattened order.</summary>
    public static string[] Names(Network n)
    {
        var names = new List<string>();
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    names.Add($"layers[{l}].weights[{j}][{i}]");
            if (layer.B is not null)
                for (int j = 0; j < layer.Units; j++) names.Add($"layers[{l}].biases[{j}]");
        }
        return names.ToArray();
    }
}

/// <summary>
/// Asks an implementation each question once per network object: the properties of one network
/// share its gradients and step (a gradients reply already carries the outputs and the loss).
/// </summary>
public sealed class CachingBackprop(IBackprop inner) : IBackprop
{
    readonly Dictionary<Network, Gradients> gradients = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<Network, Parameters> steps = new(ReferenceEqualityComparer.Instance);

    public string Name => inner.Name;
    public Capabilities Capabilities => inner.Capabilities;

    public Evaluation Forward(Network network) =>
        gradients.TryGetValue(network, out Gradients? g) ? new Evaluation(g.Outputs, g.Loss) : inner.Forward(network);

    public Gradients Gradients(Network network) =>
        gradients.TryGetValue(network, out Gradients? g) ? g : gradients[network] = inner.Gradients(network);

    public Parameters Step(Network network) =>
        steps.TryGetValue(network, out Parameters? p) ? p : steps[network] = inner.Step(network);
}

/// <summary>
/// Another implementation's answers with every number passed through <paramref name="map"/>: outputs,
/// loss, gradients and stepped parameters. A malformed answer (a null row or layer) is passed on as it
/// is: the properties report its shape.
/// </summary>
public class MappedBackprop(IBackprop inner, Func<double, double> map) : IBackprop
{
    public virtual string Name => inner.Name;
    public Capabilities Capabilities => inner.Capabilities;

    public Evaluation Forward(Network network)
    {
        Evaluation e = inner.Forward(network);
        return new Evaluation(Rows(e.Outputs), map(e.Loss));
    }

    public Gradients Gradients(Network network)
    {
        Gradients g = inner.Gradients(network);
        return new Gradients(Rows(g.Outputs), map(g.Loss), Matrices(g.dE_dW), Vectors(g.dE_db));
    }

    public Parameters Step(Network network)
    {
        Parameters p = inner.Step(network);
        return new Parameters(Matrices(p.W), Vectors(p.B));
    }

    double[][] Rows(double[][] rows) => rows?.Select(r => r?.Select(map).ToArray()!).ToArray()!;

    double[]?[] Vectors(double[]?[] vectors) => vectors?.Select(v => v?.Select(map).ToArray()).ToArray()!;

    double[][,] Matrices(double[][,] matrices) => matrices?.Select(m =>
    {
        if (m is null) return m!;
        var r = new double[m.GetLength(0), m.GetLength(1)];
        for (int i = 0; i < m.GetLength(0); i++)
            for (int j = 0; j < m.GetLength(1); j++) r[i, j] = map(m[i, j]);
        return r;
    }).ToArray()!;
}

/// <summary>
/// A float32 implementation's answers as the floats they are. Its reply may write a float as any
/// decimal that reads back as that float: 9 significant digits, the shortest round-trip form (numpy,
/// .NET, Java), or the float's exact value. Read as a double, the first two can lie up to 0.6 ulp of
/// float32 from the float itself: more than the bound of an exact answer (0) or of a frozen bias
/// (its storing, u·|b|), so a correct program printing "%.9g" was judged wrong (examples/c/RESULTS.md,
/// FA-1). Each answer is rounded to the nearest float before it is judged, so every decimal of the
/// same float is judged alike. It moves a wrong answer by at most u·|x| (6e-8 relative), far below
/// the smallest error float32 can detect (README, sensitivity). NaN and values beyond float's range
/// stay as they are: they are judged as what they are.
/// </summary>
public sealed class Float32Answers(IBackprop inner) : MappedBackprop(inner, AsFloat)
{
    /// <summary>The nearest float to <paramref name="x"/>, as a double; NaN, ±∞ and doubles beyond
    /// float's range unchanged.</summary>
    public static double AsFloat(double x) => Math.Abs(x) <= float.MaxValue ? (float)x : x;
}
