namespace BackpropSpec.Reference;

/// <summary>
/// out = f(net), written once for every number type, and f′(net) on doubles for backprop.
/// </summary>
public static class Activations
{
    /// <summary>out[j] = f(net[j]) for one example of one layer. Softmax mixes the units of the layer.</summary>
    public static T[] Apply<T>(Activation f, T[] net) where T : IScalar<T>
    {
        var @out = new T[net.Length];                          // [units]
        if (f == Activation.Softmax)
        {
            // out_j = e^{net_j − c} / Σ_k e^{net_k − c}; the shift c = max net keeps e^{·} ≤ 1.
            double c = net.Max(T.RealPart);
            T sum = T.FromDouble(0);
            for (int j = 0; j < net.Length; j++) { @out[j] = T.Exp(net[j] - T.FromDouble(c)); sum += @out[j]; }
            for (int j = 0; j < net.Length; j++) @out[j] /= sum;
            return @out;
        }
        for (int j = 0; j < net.Length; j++) @out[j] = Apply(f, net[j]);
        return @out;
    }

    /// <summary>f(net) for the elementwise activations.</summary>
    public static T Apply<T>(Activation f, T net) where T : IScalar<T> => f switch
    {
        Activation.Identity => net,                                   // 003: z_o = s_o
        Activation.Sigmoid => Sigmoid(net),                           // 002: out = 1/(1 + e^{−net})
        Activation.Tanh => T.Tanh(net),
        Activation.Relu => T.RealPart(net) > 0 ? net : T.FromDouble(0), // 004: max(0, net)
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "softmax is not elementwise"),
    };

    /// <summary>σ(x) = 1/(1 + e^{−x}), evaluated on the side where e^{·} cannot overflow:
    /// for x &lt; 0 it uses the equal form e^{x}/(1 + e^{x}).</summary>
    public static T Sigmoid<T>(T x) where T : IScalar<T>
    {
        T one = T.FromDouble(1);
        if (T.RealPart(x) >= 0) return one / (one + T.Exp(-x));
        T e = T.Exp(x);
        return e / (one + e);
    }

    /// <summary>∂out/∂net = f′(net) for the elementwise activations, on doubles.</summary>
    public static double Derivative(Activation f, double net) => Derivative(f, new Real(net)).Value;

    /// <summary>
    /// ∂out/∂net = f′(net) for the elementwise activations, on any number type.
    /// </summary>
    public static T Derivative<T>(Activation f, T net) where T : IScalar<T> => f switch
    {
        Activation.Identity => T.FromDouble(1),
        // 002: ∂out/∂net = out(1 − out)
        Activation.Sigmoid => SigmoidDerivative(net),
        // tanh′ = 1 − tanh² = 1/cosh²; the second form keeps its digits when tanh rounds to ±1.
        Activation.Tanh => T.FromDouble(1) / (T.Cosh(net) * T.Cosh(net)),
        // 004: "1 if net > 0 … and 0 otherwise … at net = 0 … in practice we take it to be 0".
        Activation.Relu => T.FromDouble(T.RealPart(net) > 0 ? 1.0 : 0.0),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "softmax has a Jacobian, not a derivative"),
    };

    static T SigmoidDerivative<T>(T net) where T : IScalar<T>
    {
        T @out = Sigmoid(net);
        return @out * SigmoidOneMinusOut(net, @out);
    }

    /// <summary>
    /// 1 − out for a sigmoid unit, to full precision. 1 − out itself is exact arithmetic on a
    /// rounded out, so its relative error is up to ε·out/(1 − out) = ε·e^{net}: at most 16ε while
    /// net ≤ 2.75, but 1e-3 at net = 30 and 100% once out rounds to 1. Past 2.75 it is taken as
    /// σ(−net), the same number in exact arithmetic, computed without the cancellation.
    /// </summary>
    public static double SigmoidOneMinusOut(double net, double @out) => SigmoidOneMinusOut(new Real(net), new Real(@out)).Value;

    /// <inheritdoc cref="SigmoidOneMinusOut(double, double)"/>
    public static T SigmoidOneMinusOut<T>(T net, T @out) where T : IScalar<T> =>
        T.RealPart(net) <= SigmoidCancellationThreshold ? T.FromDouble(1) - @out : Sigmoid(-net);

    /// <summary>Where 1 − out starts losing more than 4 bits (e^{2.75} ≈ 15.6).</summary>
    public const double SigmoidCancellationThreshold = 2.75;

    /// <summary>
    /// δ_j = Σ_k ∂E/∂out_k · out_k(1[j = k] − out_j), the softmax Jacobian applied to ∂E/∂out
    /// (a softmax output under a squared loss). Written as out_j·(g_j·(1 − out_j) − Σ_{k≠j} g_k·out_k),
    /// with 1 − out_j taken as Σ_{k≠j} out_k: the same number, without the cancellation that
    /// makes 1 − out_j zero once out_j rounds to 1.
    /// </summary>
    public static double[] SoftmaxJacobianTimes(double[] @out, double[] g) =>
        SoftmaxJacobianTimes(@out.Select(v => new Real(v)).ToArray(), g.Select(v => new Real(v)).ToArray()).Select(r => r.Value).ToArray();

    /// <inheritdoc cref="SoftmaxJacobianTimes(double[], double[])"/>
    public static T[] SoftmaxJacobianTimes<T>(T[] @out, T[] g) where T : IScalar<T>
    {
        var delta = new T[@out.Length];                         // [units]
        for (int j = 0; j < @out.Length; j++)
        {
            T oneMinusOut = T.FromDouble(0), others = T.FromDouble(0);
            for (int k = 0; k < @out.Length; k++)
            {
                if (k == j) continue;
                oneMinusOut += @out[k];
                others += g[k] * @out[k];
            }
            delta[j] = @out[j] * (g[j] * oneMinusOut - others);
        }
        return delta;
    }

    public static string Name(Activation f) => f switch
    {
        Activation.Identity => "identity",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        Activation.Relu => "relu",
        Activation.Softmax => "softmax",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    public static readonly IReadOnlyList<Activation> All =
        [Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu, Activation.Softmax];
}
