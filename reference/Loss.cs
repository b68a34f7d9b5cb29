namespace BackpropSpec.Reference;

/// <summary>The error E of a batch, and its derivatives at the output layer.</summary>
public static class Loss
{
    /// <summary>
    /// E for the whole batch, on any number type. <paramref name="net"/> and <paramref name="out"/>
    /// are the output layer's [m][outputs]; <paramref name="t"/> the targets.
    /// </summary>
    public static T Evaluate<T>(LossKind loss, T[][] net, T[][] @out, double[][] t) where T : IScalar<T>
    {
        int m = t.Length;
        T E = T.FromDouble(0);
        for (int n = 0; n < m; n++)
        {
            // softmax cross-entropy: the shift c and ln Σ e^{z − c} of this example, once
            var (c, logSum) = loss == LossKind.SoftmaxCrossEntropy ? LogSumExp(net[n]) : (0.0, T.FromDouble(0));
            for (int k = 0; k < t[n].Length; k++)
            {
                switch (loss)
                {
                    case LossKind.HalfSse:
                    case LossKind.HalfMse:
                        // 002: E_o = ½(target − out)²
                        T diff = T.FromDouble(t[n][k]) - @out[n][k];
                        E += T.FromDouble(0.5) * diff * diff;
                        break;
                    case LossKind.BinaryCrossEntropy:
                        // −[t ln o + (1 − t) ln(1 − o)] with o = σ(z) equals softplus(z) − t·z.
                        // The second form never takes ln 0 when o rounds to 0 or 1.
                        E += Softplus(net[n][k]) - T.FromDouble(t[n][k]) * net[n][k];
                        break;
                    case LossKind.SoftmaxCrossEntropy:
                        // −t_k ln o_k, with ln o_k = z_k − logΣexp(z) (log-sum-exp, no ln 0)
                        E -= T.FromDouble(t[n][k]) * (net[n][k] - T.FromDouble(c) - logSum);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(loss));
                }
            }
        }
        return loss == LossKind.HalfSse ? E : E / T.FromDouble(m);   // the 1/m of the mean losses (004)
    }

    /// <summary>∂E/∂out for one output of one example, on doubles.</summary>
    public static double DerivativeByOut(LossKind loss, double o, double t, int m) => DerivativeByOut(loss, new Real(o), t, m).Value;

    /// <summary>∂E/∂out for one output of one example, on any number type.</summary>
    public static T DerivativeByOut<T>(LossKind loss, T o, double target, int m) where T : IScalar<T>
    {
        T t = T.FromDouble(target), one = T.FromDouble(1), batch = T.FromDouble(m);
        return loss switch
        {
            LossKind.HalfSse => -(t - o),                                 // 002: −(target − out)
            LossKind.HalfMse => -(t - o) / batch,
            LossKind.BinaryCrossEntropy => (o - t) / (o * (one - o)) / batch,   // ±∞ when o rounds to 0 or 1
            LossKind.SoftmaxCrossEntropy => -t / o / batch,
            _ => throw new ArgumentOutOfRangeException(nameof(loss)),
        };
    }

    /// <summary>True when δ = ∂E/∂net of the output layer is (o − t)/m directly (004's dZ = A − Y):
    /// cross-entropy after its matching output activation.</summary>
    public static bool IsFused(LossKind loss) => loss is LossKind.BinaryCrossEntropy or LossKind.SoftmaxCrossEntropy;

    /// <summary>The output activation a loss requires, if any.</summary>
    public static Activation? RequiredOutput(LossKind loss) => loss switch
    {
        LossKind.BinaryCrossEntropy => Activation.Sigmoid,
        LossKind.SoftmaxCrossEntropy => Activation.Softmax,
        _ => null,
    };

    public static bool IsMean(LossKind loss) => loss != LossKind.HalfSse;

    static T Softplus<T>(T z) where T : IScalar<T>
    {
        // ln(1 + e^z), on the side where e^{·} ≤ 1
        T one = T.FromDouble(1);
        return T.RealPart(z) >= 0 ? z + T.Log(one + T.Exp(-z)) : T.Log(one + T.Exp(z));
    }

    /// <summary>The shift c = max z and ln Σ_k e^{z_k − c}: ln o_k = z_k − c − ln Σ e^{z − c}.</summary>
    static (double c, T logSum) LogSumExp<T>(T[] z) where T : IScalar<T>
    {
        double c = z.Max(T.RealPart);
        T sum = T.FromDouble(0);
        foreach (T zi in z) sum += T.Exp(zi - T.FromDouble(c));
        return (c, T.Log(sum));
    }

    public static string Name(LossKind loss) => loss switch
    {
        LossKind.HalfSse => "half-sse",
        LossKind.HalfMse => "half-mse",
        LossKind.BinaryCrossEntropy => "binary-cross-entropy",
        LossKind.SoftmaxCrossEntropy => "softmax-cross-entropy",
        _ => throw new ArgumentOutOfRangeException(nameof(loss)),
    };

    public static readonly IReadOnlyList<LossKind> All =
        [LossKind.HalfSse, LossKind.HalfMse, LossKind.BinaryCrossEntropy, LossKind.SoftmaxCrossEntropy];
}
