using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// The bug classes the oracle knows by name: the common mistakes of every stage of backprop. The
/// property tests must reject every one, `check` names the ones an implementation's answers show
/// (<see cref="Diagnosis"/>), and two independent bug zoos implement them as real processes:
/// examples/zoo (Python, the first eleven) and examples/zoo-node (Node, twenty-one of them).
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
    /// <summary>Squared losses: ∂E/∂o = 2(o − t)/s, the ½ of the loss dropped from its derivative.</summary>
    GradientFactorTwo,
    /// <summary>half-sse divided by m in δ as if it were a mean.</summary>
    ExtraOneOverM,
    /// <summary>Squared losses: the output layer's δ = ∂E/∂o, without f′(net) or the softmax Jacobian.</summary>
    MissingOutputDerivative,
    /// <summary>σ′ and tanh′ evaluated at out instead of net.</summary>
    DerivativeOfOutput,
    /// <summary>Every hidden layer's δ uses σ′(net), whatever its activation.</summary>
    SigmoidDerivativeEverywhere,
    /// <summary>The error sent down is Σ_j δ_j: the weights left out.</summary>
    PropagationWithoutWeights,
    /// <summary>The error sent down is Wᵀ·∂E/∂out of the layer above instead of Wᵀ·δ.</summary>
    PropagatesBeforeDerivative,
    /// <summary>∂E/∂W and ∂E/∂b of every layer from the last example only (the accumulator overwritten).</summary>
    GradientNotAccumulated,
    /// <summary>∂E/∂W of layers l ≥ 1 from net of the layer below instead of its out.</summary>
    UsesNetNotOut,
    /// <summary>∂E/∂b never computed: every bias gradient 0.</summary>
    BiasGradientZero,
    /// <summary>Gradients right; the step also moves frozen biases.</summary>
    FrozenBiasMoved,
    /// <summary>Gradients right; the step is W + η·g.</summary>
    StepClimbs,
    /// <summary>Gradients right; the step is W − g.</summary>
    LearningRateIgnored,
    /// <summary>Binary cross-entropy: δ = (o − t)·σ′(net)/m, σ′ applied on top of the fused δ.</summary>
    CrossEntropyDerivativeTwice,
    /// <summary>half-mse as the mean over examples and outputs: loss and gradients divided by m·K.</summary>
    MeanOverOutputsToo,
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
        Bug.GradientFactorTwo => "gradient-factor-two",
        Bug.ExtraOneOverM => "extra-1-over-m",
        Bug.MissingOutputDerivative => "missing-output-derivative",
        Bug.DerivativeOfOutput => "derivative-of-output",
        Bug.SigmoidDerivativeEverywhere => "sigmoid-derivative-everywhere",
        Bug.PropagationWithoutWeights => "propagation-without-weights",
        Bug.PropagatesBeforeDerivative => "propagates-before-derivative",
        Bug.GradientNotAccumulated => "gradient-not-accumulated",
        Bug.UsesNetNotOut => "uses-net-not-out",
        Bug.BiasGradientZero => "bias-gradient-zero",
        Bug.FrozenBiasMoved => "frozen-bias-moved",
        Bug.StepClimbs => "step-climbs",
        Bug.LearningRateIgnored => "learning-rate-ignored",
        Bug.CrossEntropyDerivativeTwice => "cross-entropy-derivative-twice",
        Bug.MeanOverOutputsToo => "mean-over-outputs-too",
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
        Bug.GradientFactorTwo => "the derivative of a squared loss is taken as 2(o - t): the 1/2 of the loss is dropped, so every gradient is doubled",
        Bug.ExtraOneOverM => "half-sse is divided by the batch size m in delta as if it were a mean, so gradients are m times too small",
        Bug.MissingOutputDerivative => "under a squared loss the output layer's delta is dE/do alone, without f'(net) or the softmax Jacobian",
        Bug.DerivativeOfOutput => "sigma' and tanh' are evaluated at the unit's output instead of its net input",
        Bug.SigmoidDerivativeEverywhere => "every hidden layer's delta uses sigma'(net), whatever the layer's activation",
        Bug.PropagationWithoutWeights => "the error sent to the layer below is the plain sum of delta, without the weights",
        Bug.PropagatesBeforeDerivative => "the error sent to the layer below is W^T times dE/dout of the layer above instead of W^T times its delta",
        Bug.GradientNotAccumulated => "every weight and bias gradient is the last example's alone: the sum over the batch is overwritten",
        Bug.UsesNetNotOut => "the weight gradients of layers above the first use the net input of the layer below instead of its output",
        Bug.BiasGradientZero => "the bias gradient is never computed: every bias gradient is 0 and no bias moves",
        Bug.FrozenBiasMoved => "the step moves frozen biases too",
        Bug.StepClimbs => "the step adds the gradient, W + eta dE/dW, and climbs the error",
        Bug.LearningRateIgnored => "the step ignores the learning rate: W - dE/dW",
        Bug.CrossEntropyDerivativeTwice => "binary cross-entropy applies sigma'(net) on top of the fused delta = (o - t)/m",
        Bug.MeanOverOutputsToo => "half-mse is averaged over the outputs too: loss and gradients are divided by m times the number of outputs",
        _ => "no bug",
    };

    /// <summary>The stage of backprop where the mistake is made.</summary>
    public static string Stage(Bug bug) => bug switch
    {
        Bug.SignFlip or Bug.MissingOneOverM or Bug.GradientFactorTwo or Bug.ExtraOneOverM or Bug.MeanOverOutputsToo
            or Bug.MissingOutputDerivative or Bug.SoftmaxJacobianTwice or Bug.CrossEntropyDerivativeTwice or Bug.ErrorTimesError => "output error and delta",
        Bug.MissingActivationDerivative or Bug.ReluDerivativeOneAtZero or Bug.DerivativeOfOutput or Bug.SigmoidDerivativeEverywhere => "activation derivatives",
        Bug.TransposedWeights or Bug.PropagationWithoutWeights or Bug.PropagatesBeforeDerivative => "propagation",
        Bug.BiasNotSummed or Bug.GradientNotAccumulated => "batch accumulation",
        Bug.UsesNetNotOut or Bug.ElementwiseInputWeights => "weight gradients",
        Bug.BiasGradientZero or Bug.FrozenBiasMoved => "biases",
        Bug.UpdatedWeightsInBackprop or Bug.StepClimbs => "the step",
        Bug.LearningRateIgnored or Bug.LearningRateIsOutput => "learning rate",
        _ => "none",
    };
}

/// <summary>
/// A deliberately wrong backprop: the reference's method with one <see cref="Bug"/> planted, each
/// defined as examples/zoo-node/zoo.js (and, for the first eleven, examples/zoo/zoo.py) plants it.
/// With <see cref="Bug.None"/> it must agree with the reference exactly (a test checks this), so
/// each variant differs from correct backprop by its bug alone.
/// </summary>
public sealed class Mutant(Bug bug) : IBackprop
{
    public Bug Bug { get; } = bug;
    public string Name => $"mutant:{Bugs.Name(Bug)}";

    /// <summary>transposed-weights: what W[i][j] reads where that index does not exist (the zoos: 0).
    /// The diagnosis sets NaN: every answer that depends on the fill comes out NaN and is not compared.</summary>
    public double TransposedFill { get; init; }

    /// <summary>softmax-jacobian-twice: apply only the Jacobian's diagonal out_j(1 − out_j) (a partial Jacobian).</summary>
    public bool DiagonalJacobian { get; init; }

    /// <summary>updated-weights-in-backprop: the gradients op runs the same update-as-you-go pass, so the
    /// gradients it reports went down through the updated weights too (a backward pass shared by both).</summary>
    public bool UpdatesInGradients { get; init; }

    public Evaluation Forward(Network network)
    {
        Evaluation e = new ReferenceBackprop().Forward(network);
        return e with { Loss = LossOf(network, e.Loss) };
    }

    public Gradients Gradients(Network network)
    {
        var (f, dW, db, _) = Backprop(network, updateAsYouGo: Bug == Bug.UpdatedWeightsInBackprop && UpdatesInGradients);
        return new Gradients(f.Out[^1], LossOf(network, f.E), dW, db);
    }

    /// <summary>mean-over-outputs-too divides half-mse by the number of outputs as well.</summary>
    double LossOf(Network network, double loss) =>
        Bug == Bug.MeanOverOutputsToo && network.Loss == LossKind.HalfMse ? loss / network.Output.Units : loss;

    public Parameters Step(Network network)
    {
        var (f, dW, db, updated) = Backprop(network, updateAsYouGo: Bug == Bug.UpdatedWeightsInBackprop);
        if (Bug == Bug.UpdatedWeightsInBackprop) return updated;
        double eta = Bug switch
        {
            Bug.LearningRateIsOutput => f.Out[^1][network.BatchSize - 1][0],
            Bug.StepClimbs => -network.LearningRate,
            Bug.LearningRateIgnored => 1.0,
            _ => network.LearningRate,
        };
        var p = Parameters.Of(network);
        for (int l = 0; l < p.W.Length; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++)
                    p.W[l][j, i] -= eta * dW[l][j, i];
            BiasMode bias = network.Layers[l].Bias;
            if (bias == BiasMode.Trainable || Bug == Bug.FrozenBiasMoved && bias == BiasMode.Frozen)
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
        double[][] deltaAbove = [], dE_doutAbove = [];
        for (int l = L - 1; l >= 0; l--)
        {
            Layer layer = network.Layers[l];
            double[][] below = l == 0 ? network.X : Bug == Bug.UsesNetNotOut ? f.Net[l - 1] : f.Out[l - 1];
            var delta = new double[m][];                // [m][units]
            var dE_dout = new double[m][];              // [m][units]  what propagates-before-derivative sends down
            for (int n = 0; n < m; n++)
                (delta[n], dE_dout[n]) = l == L - 1
                    ? OutputDelta(network, f.Net[l][n], f.Out[l][n], network.T[n], m, l)
                    : HiddenDelta(layer, l, f.Net[l][n], f.Out[l][n], p.W[l + 1],
                                  Bug == Bug.PropagatesBeforeDerivative ? dE_doutAbove[n] : deltaAbove[n]);

            dW[l] = new double[layer.Units, layer.FanIn];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double sum = 0;
                    for (int n = 0; n < m; n++) sum += delta[n][j] * below[n][i];
                    if (Bug == Bug.GradientNotAccumulated) sum = delta[m - 1][j] * below[m - 1][i];
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
                    if (Bug is Bug.BiasNotSummed or Bug.GradientNotAccumulated) sum = delta[m - 1][j];
                    if (Bug == Bug.BiasGradientZero) sum = 0;
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
            dE_doutAbove = dE_dout;
        }
        return (f, dW, db, p);
    }

    /// <summary>The output layer's δ and what it holds as its ∂E/∂out: the fused (o − t)/m under a
    /// cross-entropy (as zoo-node sends it down), G = ∂E/∂o under a squared loss.</summary>
    (double[] delta, double[] dE_dout) OutputDelta(Network network, double[] net, double[] o, double[] t, int m, int l)
    {
        Layer layer = network.Layers[l];
        int K = o.Length;
        double divisor = Bug switch                    // the 1/m, divided as the reference does
        {
            Bug.MissingOneOverM => 1.0,
            Bug.ExtraOneOverM when network.Loss == LossKind.HalfSse => m,
            Bug.MeanOverOutputsToo when network.Loss == LossKind.HalfMse => (double)m * K,
            _ => Loss.IsMean(network.Loss) ? m : 1.0,
        };
        var delta = new double[K];
        if (Loss.IsFused(network.Loss))
        {
            var g = new double[K];
            for (int k = 0; k < K; k++) g[k] = (o[k] - t[k]) / divisor;
            if (Bug == Bug.SoftmaxJacobianTwice && network.Loss == LossKind.SoftmaxCrossEntropy)
                return (DiagonalJacobian ? o.Select((ok, k) => ok * (1 - ok) * g[k]).ToArray() : SoftmaxJacobian(o, g), g);
            if (Bug == Bug.CrossEntropyDerivativeTwice && network.Loss == LossKind.BinaryCrossEntropy)
                return (g.Select((gk, k) => (o[k] - t[k]) * Activations.Derivative(Activation.Sigmoid, net[k]) / divisor).ToArray(), g);
            return (g, g);
        }
        var dE_dout = new double[K];
        for (int k = 0; k < K; k++) dE_dout[k] = Bug == Bug.GradientFactorTwo ? 2 * (o[k] - t[k]) / divisor : -(t[k] - o[k]) / divisor;
        if (Bug == Bug.MissingActivationDerivative && l == 0 || Bug == Bug.MissingOutputDerivative) return (dE_dout, dE_dout);
        if (layer.Activation == Activation.Softmax) return (SoftmaxJacobian(o, dE_dout), dE_dout);
        for (int k = 0; k < K; k++)
        {
            if (Bug == Bug.ErrorTimesError && layer.Activation == Activation.Sigmoid)
                delta[k] = -(t[k] - o[k]) * o[k] * (t[k] - o[k]) / divisor;
            else if (Bug == Bug.DerivativeOfOutput && layer.Activation is Activation.Sigmoid or Activation.Tanh)
                delta[k] = dE_dout[k] * Activations.Derivative(layer.Activation, o[k]);
            else if (layer.Activation == Activation.Sigmoid)
                delta[k] = dE_dout[k] * o[k] * Activations.SigmoidOneMinusOut(net[k], o[k]);
            else
                delta[k] = dE_dout[k] * Derivative(layer.Activation, net[k]);
        }
        return (delta, dE_dout);
    }

    /// <summary>A hidden layer's δ and ∂E/∂out from what the layer above sends down (its δ, or its
    /// ∂E/∂out under propagates-before-derivative).</summary>
    (double[] delta, double[] dE_dout) HiddenDelta(Layer layer, int l, double[] net, double[] o, double[,] wAbove, double[] fromAbove)
    {
        int unitsAbove = wAbove.GetLength(0), fanInAbove = wAbove.GetLength(1);
        var delta = new double[layer.Units];
        var dE_dout = new double[layer.Units];
        for (int i = 0; i < layer.Units; i++)
        {
            double sum = 0;
            for (int j = 0; j < unitsAbove; j++)
            {
                if (Bug == Bug.PropagationWithoutWeights) { sum += fromAbove[j]; continue; }
                double w = Bug != Bug.TransposedWeights ? wAbove[j, i]
                         : i < unitsAbove && j < fanInAbove ? wAbove[i, j] : TransposedFill;
                sum += w * fromAbove[j];
            }
            dE_dout[i] = sum;
            if (Bug == Bug.MissingActivationDerivative && l == 0) delta[i] = sum;
            else if (Bug == Bug.SigmoidDerivativeEverywhere) delta[i] = sum * Activations.Derivative(Activation.Sigmoid, net[i]);
            else if (Bug == Bug.DerivativeOfOutput && layer.Activation is Activation.Sigmoid or Activation.Tanh)
                delta[i] = sum * Activations.Derivative(layer.Activation, o[i]);
            else if (layer.Activation == Activation.Sigmoid) delta[i] = sum * o[i] * Activations.SigmoidOneMinusOut(net[i], o[i]);
            else delta[i] = sum * Derivative(layer.Activation, net[i]);
        }
        return (delta, dE_dout);
    }

    double Derivative(Activation f, double net) =>
        Bug == Bug.ReluDerivativeOneAtZero && f == Activation.Relu ? (net >= 0 ? 1.0 : 0.0) : Activations.Derivative(f, net);

    static double[] SoftmaxJacobian(double[] o, double[] g) => Activations.SoftmaxJacobianTimes(o, g);
}
