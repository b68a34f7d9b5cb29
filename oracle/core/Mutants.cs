using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// The bug classes the oracle knows by name. Each is a classic backprop mistake; the property
/// tests must reject every one, `check` names the one an implementation matches, and the Python
/// bug zoo (examples/zoo) implements each so that `check` is tested against real processes.
/// </summary>
public enum Bug
{
    None,
    /// <summary>Every gradient negated: the step climbs.</summary>
    SignFlip,
    /// <summary>f′(net) left out of layer 0's δ.</summary>
    MissingActivationDerivative,
    /// <summary>δ propagated with W[i, j] where W[j, i] belongs (0 where that index does not exist).</summary>
    TransposedWeights,
    /// <summary>∂E/∂b taken from the last example only, not summed over the batch.</summary>
    BiasNotSummed,
    /// <summary>A step that updates each layer before propagating δ through it (002's printed numbers).</summary>
    UpdatedWeightsInBackprop,
    /// <summary>The 1/m of a mean loss left out of δ.</summary>
    MissingOneOverM,
    /// <summary>relu′(0) = 1 where the convention is 0.</summary>
    ReluDerivativeOneAtZero,
    /// <summary>Softmax cross-entropy: the softmax Jacobian applied on top of δ = (o − t)/m.</summary>
    SoftmaxJacobianTwice,
    /// <summary>001's student code: the network's output used as the learning rate.</summary>
    LearningRateIsOutput,
    /// <summary>001's student code: (t − o)·o·(t − o) where (t − o)·o·(1 − o) belongs.</summary>
    ErrorTimesError,
    /// <summary>001's student code: layer 0's error term multiplied elementwise by its weight matrix.</summary>
    ElementwiseInputWeights,
}

public static class Bugs
{
    public static IReadOnlyList<Bug> All { get; } = Enum.GetValues<Bug>().Where(b => b != Bug.None).ToArray();

    public static string Name(Bug bug) => bug switch
    {
        Bug.None => "none",
        Bug.SignFlip => "sign-flip",
        Bug.MissingActivationDerivative => "missing-activation-derivative",
        Bug.TransposedWeights => "transposed-weights",
        Bug.BiasNotSummed => "bias-not-summed",
        Bug.UpdatedWeightsInBackprop => "updated-weights-in-backprop",
        Bug.MissingOneOverM => "missing-1-over-m",
        Bug.ReluDerivativeOneAtZero => "relu-derivative-one-at-zero",
        Bug.SoftmaxJacobianTwice => "softmax-jacobian-twice",
        Bug.LearningRateIsOutput => "learning-rate-is-output",
        Bug.ErrorTimesError => "error-times-error",
        Bug.ElementwiseInputWeights => "elementwise-input-weights",
        _ => throw new ArgumentOutOfRangeException(nameof(bug)),
    };

    public static Bug Parse(string name) =>
        All.Append(Bug.None).FirstOrDefault(b => Name(b) == name, (Bug)(-1)) is var b && b != (Bug)(-1)
            ? b : throw new ArgumentException($"unknown bug class '{name}'");

    /// <summary>One line per bug class, for reports and the vectors' notes table.</summary>
    public static string Describe(Bug bug) => bug switch
    {
        Bug.SignFlip => "every gradient has the wrong sign, so a step climbs the error",
        Bug.MissingActivationDerivative => "the activation derivative f'(net) is left out of the first layer's delta",
        Bug.TransposedWeights => "delta is propagated through W[i][j] where W[j][i] belongs",
        Bug.BiasNotSummed => "the bias gradient takes the last example's delta instead of the sum over the batch",
        Bug.UpdatedWeightsInBackprop => "a step updates a layer before propagating delta through it (002's rule: use the original weights)",
        Bug.MissingOneOverM => "the 1/m of a mean loss is left out, so gradients are m times too large",
        Bug.ReluDerivativeOneAtZero => "relu'(0) is taken as 1 where the convention (004) is 0",
        Bug.SoftmaxJacobianTwice => "softmax cross-entropy applies the softmax Jacobian on top of the fused delta = o - t",
        Bug.LearningRateIsOutput => "the network's output is used where the learning rate belongs (001's student code)",
        Bug.ErrorTimesError => "(t - o) o (t - o) is used where (t - o) o (1 - o) belongs (001's student code)",
        Bug.ElementwiseInputWeights => "the first layer's error term is multiplied elementwise by its weight matrix (001's student code)",
        _ => "no bug",
    };
}

/// <summary>
/// A deliberately wrong backprop: the reference's method with one <see cref="Bug"/> planted.
/// With <see cref="Bug.None"/> it must agree with the reference exactly (a test checks this), so
/// each variant differs from correct backprop by its bug alone.
/// </summary>
public sealed class Mutant(Bug bug) : IBackprop
{
    public Bug Bug { get; } = bug;
    public string Name => $"mutant:{Bugs.Name(Bug)}";

    public Evaluation Forward(Network network) => new ReferenceBackprop().Forward(network);

    public Gradients Gradients(Network network)
    {
        var (f, dW, db, _) = Backprop(network, updateAsYouGo: false);
        return new Gradients(f.Out[^1], f.E, dW, db);
    }

    public Parameters Step(Network network)
    {
        var (f, dW, db, updated) = Backprop(network, updateAsYouGo: Bug == Bug.UpdatedWeightsInBackprop);
        if (Bug == Bug.UpdatedWeightsInBackprop) return updated;
        double eta = Bug == Bug.LearningRateIsOutput ? f.Out[^1][network.BatchSize - 1][0] : network.LearningRate;
        var p = Parameters.Of(network);
        for (int l = 0; l < p.W.Length; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++)
                    p.W[l][j, i] -= eta * dW[l][j, i];
            if (network.Layers[l].Bias == BiasMode.Trainable)
                for (int j = 0; j < p.B[l]!.Length; j++) p.B[l]![j] -= eta * db[l]![j];
        }
        return p;
    }

    /// <summary>Backprop with the bug planted. With <paramref name="updateAsYouGo"/> each layer is
    /// stepped as soon as its gradient is known, and δ goes down through the stepped weights.</summary>
    (ForwardPass<double> f, double[][,] dW, double[]?[] db, Parameters updated) Backprop(Network network, bool updateAsYouGo)
    {
        ForwardPass<double> f = Reference.Forward.Run(network);
        int L = network.Layers.Count, m = network.BatchSize;
        var p = Parameters.Of(network);                 // the weights δ is propagated through
        var dW = new double[L][,];
        var db = new double[L][];
        double[][] deltaAbove = [];
        for (int l = L - 1; l >= 0; l--)
        {
            Layer layer = network.Layers[l];
            double[][] below = l == 0 ? network.X : f.Out[l - 1];
            var delta = new double[m][];
            for (int n = 0; n < m; n++)
                delta[n] = l == L - 1
                    ? OutputDelta(network, f.Net[l][n], f.Out[l][n], network.T[n], m, l)
                    : HiddenDelta(layer, l, f.Net[l][n], f.Out[l][n], p.W[l + 1], deltaAbove[n]);

            dW[l] = new double[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double sum = 0;
                    for (int n = 0; n < m; n++) sum += delta[n][j] * below[n][i];
                    if (Bug == Bug.ElementwiseInputWeights && l == 0 && L >= 2) sum *= layer.W[j, i];
                    dW[l][j, i] = Bug == Bug.SignFlip ? -sum : sum;
                }
            if (layer.Bias != BiasMode.None)
            {
                db[l] = new double[layer.Units];
                for (int j = 0; j < layer.Units; j++)
                {
                    double sum = 0;
                    for (int n = 0; n < m; n++) sum += delta[n][j];
                    if (Bug == Bug.BiasNotSummed) sum = delta[m - 1][j];
                    db[l]![j] = Bug == Bug.SignFlip ? -sum : sum;
                }
            }
            if (updateAsYouGo)
            {
                for (int j = 0; j < layer.Units; j++)
                {
                    for (int i = 0; i < layer.FanIn; i++) p.W[l][j, i] -= network.LearningRate * dW[l][j, i];
                    if (layer.Bias == BiasMode.Trainable) p.B[l]![j] -= network.LearningRate * db[l]![j];
                }
            }
            deltaAbove = delta;
        }
        return (f, dW, db, p);
    }

    double[] OutputDelta(Network network, double[] net, double[] o, double[] t, int m, int l)
    {
        Layer layer = network.Layers[l];
        int K = o.Length;
        double divisor = Loss.IsMean(network.Loss) && Bug != Bug.MissingOneOverM ? m : 1.0;   // the 1/m, divided as the reference does
        var delta = new double[K];
        if (Loss.IsFused(network.Loss))
        {
            var g = new double[K];
            for (int k = 0; k < K; k++) g[k] = (o[k] - t[k]) / divisor;
            if (Bug == Bug.SoftmaxJacobianTwice && network.Loss == LossKind.SoftmaxCrossEntropy)
                return SoftmaxJacobian(o, g);
            return g;
        }
        var dE_dout = new double[K];
        for (int k = 0; k < K; k++) dE_dout[k] = -(t[k] - o[k]) / divisor;
        if (Bug == Bug.MissingActivationDerivative && l == 0) return dE_dout;
        if (layer.Activation == Activation.Softmax) return SoftmaxJacobian(o, dE_dout);
        for (int k = 0; k < K; k++)
        {
            if (Bug == Bug.ErrorTimesError && layer.Activation == Activation.Sigmoid)
                delta[k] = -(t[k] - o[k]) * o[k] * (t[k] - o[k]) / divisor;
            else if (layer.Activation == Activation.Sigmoid)
                delta[k] = dE_dout[k] * o[k] * Activations.SigmoidOneMinusOut(net[k], o[k]);
            else
                delta[k] = dE_dout[k] * Derivative(layer.Activation, net[k]);
        }
        return delta;
    }

    double[] HiddenDelta(Layer layer, int l, double[] net, double[] o, double[,] wAbove, double[] deltaAbove)
    {
        int unitsAbove = wAbove.GetLength(0), fanInAbove = wAbove.GetLength(1);
        var delta = new double[layer.Units];
        for (int i = 0; i < layer.Units; i++)
        {
            double dE_dout = 0;
            for (int j = 0; j < unitsAbove; j++)
            {
                double w = Bug != Bug.TransposedWeights ? wAbove[j, i]
                         : i < unitsAbove && j < fanInAbove ? wAbove[i, j] : 0.0;
                dE_dout += w * deltaAbove[j];
            }
            if (Bug == Bug.MissingActivationDerivative && l == 0) delta[i] = dE_dout;
            else if (layer.Activation == Activation.Sigmoid) delta[i] = dE_dout * o[i] * Activations.SigmoidOneMinusOut(net[i], o[i]);
            else delta[i] = dE_dout * Derivative(layer.Activation, net[i]);
        }
        return delta;
    }

    double Derivative(Activation f, double net) =>
        Bug == Bug.ReluDerivativeOneAtZero && f == Activation.Relu ? (net >= 0 ? 1.0 : 0.0) : Activations.Derivative(f, net);

    static double[] SoftmaxJacobian(double[] o, double[] g) => Activations.SoftmaxJacobianTimes(o, g);
}
