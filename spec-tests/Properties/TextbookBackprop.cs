using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// Backprop as a textbook writes it, in-process, so the zero-false-alarm promise is tested on every
/// `dotnet test` over thousands of networks: σ′ = out·(1 − out), tanh′ = 1 − out², softmax without
/// the max shift, both cross-entropies from probabilities with δ through ∂E/∂o and the activation's
/// derivative (no fused o − t), sums left to right, per-example loops. Written from PROTOCOL.md, not
/// from the reference. In float32 every number of the document is stored as a float32 and every
/// result rounded to float32 (double arithmetic then one rounding to float32 is the correctly rounded
/// float32 result for + − × ÷, as 53 ≥ 2·24 + 2; exp, ln and tanh are double's, rounded).
/// With <paramref name="fromDefinitions"/>, three more forms a textbook writes out from the definitions
/// (found by writing an implementation from PROTOCOL.md alone): tanh from exponentials,
/// (e^net − e^−net)/(e^net + e^−net), which cancels near 0 and is ∞/∞ = NaN past |net| = ln(max);
/// σ = e^net/(1 + e^net), NaN past net = ln(max); σ′ = e^−net/(1 + e^−net)², which is 0 once the
/// square overflows and NaN once e^−net does; and the
/// softmax Jacobian as a matrix, J_jk = out_j·([j = k] − out_k), then δ = J·g, whose products
/// out_j·out_k may underflow.
/// With <paramref name="clamp"/>, the cross-entropies as frameworks compute them from probabilities:
/// <see cref="ProbabilityClamp.PyTorch"/>, binary cross-entropy as nn.BCELoss does (ln o and ln(1 − o) clamped
/// at −100, ∂E/∂o = (o − t)/max(o(1 − o), 1e-12)); <see cref="ProbabilityClamp.Clip"/>, both as TensorFlow.js's
/// layers losses and Keras do (o clipped to [1e-7, 1 − 1e-7] before ln, the clip's derivative 0 outside);
/// <see cref="ProbabilityClamp.Epsilon"/>, both with 1e-7 added inside the logarithm and its derivative, as
/// tf.losses.logLoss and many tutorials do (ln(o + ε), −t/(o + ε) + (1 − t)/(1 − o + ε)).
/// </summary>
/// With <paramref name="forms"/>, the probabilities computed another standard way (found by a newcomer's Java
/// implementation): <see cref="ActivationForms.LogSpace"/>, σ = exp(−softplus(−net)) and the softmax as
/// exp(net_j − logsumexp(net)) (SciPy 1.2's softmax, exp of a log-softmax), where the exponent's rounding,
/// u·|net|, becomes a relative error of the output.
public class TextbookBackprop(Precision precision, bool fromDefinitions = false, ProbabilityClamp clamp = ProbabilityClamp.None,
                              ActivationForms forms = ActivationForms.Library) : IBackprop
{
    public string Name => $"textbook-{(fromDefinitions ? "definitions-" : "")}{(clamp == ProbabilityClamp.None ? "" : clamp.ToString().ToLowerInvariant() + "-")}{(forms == ActivationForms.Library ? "" : forms.ToString().ToLowerInvariant() + "-")}{PrecisionProfile.Of(precision).Name}";
    public Capabilities Capabilities => Capabilities.Everything with { Precision = precision };

    double R(double x) => precision == Precision.Float32 ? (float)x : x;

    /// <summary>ln of a probability o: of o clipped to [ε, 1 − ε] (Clip), clamped at −100 (PyTorch), of o + ε (Epsilon).</summary>
    double Ln(double o) => clamp switch
    {
        ProbabilityClamp.PyTorch => Math.Max(R(Math.Log(o)), -100),
        ProbabilityClamp.Clip => R(Math.Log(Math.Clamp(o, Epsilon, R(1 - Epsilon)))),
        ProbabilityClamp.Epsilon => R(Math.Log(R(o + Epsilon))),
        _ => R(Math.Log(o)),
    };

    double Epsilon => R(1e-7);

    /// <summary>Whether the clip holds o at its edge (its derivative 0 there; inside, and on the edge itself, 1).</summary>
    bool Clipped(double o) => clamp == ProbabilityClamp.Clip && (o < Epsilon || o > R(1 - Epsilon));

    public Evaluation Forward(Network network)
    {
        var (outs, _, loss) = Pass(network);
        return new Evaluation(outs.Select(o => o[^1]).ToArray(), loss);
    }

    public Gradients Gradients(Network network)
    {
        var (outs, nets, loss) = Pass(network);
        var (dW, db) = Backprop(network, outs, nets);
        return new Gradients(outs.Select(o => o[^1]).ToArray(), loss, dW, db);
    }

    public Parameters Step(Network network)
    {
        var (outs, nets, _) = Pass(network);
        var (dW, db) = Backprop(network, outs, nets);
        double eta = R(network.LearningRate);
        var p = Parameters.Of(network);
        for (int l = 0; l < p.W.Length; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++) p.W[l][j, i] = R(R(p.W[l][j, i]) - R(eta * dW[l][j, i]));
            if (p.B[l] is { } b)
                for (int j = 0; j < b.Length; j++)
                    b[j] = network.Layers[l].Bias == BiasMode.Trainable ? R(R(b[j]) - R(eta * db[l]![j])) : R(b[j]);
        }
        return p;
    }

    /// <summary>Per example: outs[n][l] and nets[n][l] of every layer (l = 0 … L−1), and E.</summary>
    (double[][][] outs, double[][][] nets, double loss) Pass(Network network)
    {
        int m = network.BatchSize, L = network.Layers.Count;
        var outs = new double[m][][];
        var nets = new double[m][][];
        double E = 0;
        for (int n = 0; n < m; n++)
        {
            outs[n] = new double[L][];
            nets[n] = new double[L][];
            double[] a = network.X[n].Select(R).ToArray();
            for (int l = 0; l < L; l++)
            {
                Layer layer = network.Layers[l];
                var z = new double[layer.Units];
                for (int j = 0; j < layer.Units; j++)
                {
                    double s = 0;
                    for (int i = 0; i < layer.FanIn; i++) s = R(s + R(R(layer.W[j, i]) * a[i]));
                    if (layer.B is { } b) s = R(s + R(b[j]));
                    z[j] = s;
                }
                nets[n][l] = z;
                a = Activate(layer.Activation, z);
                outs[n][l] = a;
            }
            double[] t = network.T[n].Select(R).ToArray();
            for (int k = 0; k < t.Length; k++)
                E = R(E + network.Loss switch
                {
                    LossKind.HalfSse or LossKind.HalfMse => R(0.5 * R(R(t[k] - a[k]) * R(t[k] - a[k]))),
                    LossKind.BinaryCrossEntropy when clamp == ProbabilityClamp.Clip => -R(R(t[k] * Ln(a[k])) + R(R(1 - t[k]) * R(Math.Log(R(1 - Math.Clamp(a[k], Epsilon, R(1 - Epsilon))))))),
                    LossKind.BinaryCrossEntropy => -R(R(t[k] * Ln(a[k])) + R(R(1 - t[k]) * Ln(R(1 - a[k])))),
                    _ => -R(t[k] * (clamp == ProbabilityClamp.PyTorch ? R(Math.Log(a[k])) : Ln(a[k]))),
                });
        }
        return (outs, nets, Loss.IsMean(network.Loss) ? R(E / m) : E);
    }

    double[] Activate(Activation f, double[] z)
    {
        if (f == Activation.Softmax && forms == ActivationForms.LogSpace)
        {
            double c = z.Max(), S = 0;
            foreach (double v in z) S = R(S + R(Math.Exp(R(v - c))));
            double lse = R(c + R(Math.Log(S)));
            return z.Select(v => R(Math.Exp(R(v - lse)))).ToArray();
        }
        if (f == Activation.Softmax)
        {
            double[] e = z.Select(v => R(Math.Exp(v))).ToArray();      // no max shift
            double sum = 0;
            foreach (double v in e) sum = R(sum + v);
            return e.Select(v => R(v / sum)).ToArray();
        }
        return z.Select(v => f switch
        {
            Activation.Identity => v,
            Activation.Sigmoid when forms == ActivationForms.LogSpace => R(Math.Exp(-Softplus(-v))),
            Activation.Sigmoid => fromDefinitions ? SigmoidFromExponentials(v) : R(1 / R(1 + R(Math.Exp(-v)))),
            Activation.Tanh => fromDefinitions ? TanhFromExponentials(v) : R(Math.Tanh(v)),
            _ => v > 0 ? v : 0,
        }).ToArray();
    }

    /// <summary>softplus(y) = max(y, 0) + ln(1 + e^−|y|), the overflow-free form.</summary>
    double Softplus(double y) => R(Math.Max(y, 0) + R(Math.Log(R(1 + R(Math.Exp(-Math.Abs(y)))))));

    /// <summary>tanh(v) = (e^v − e^−v)/(e^v + e^−v): the definition as written, overflow and all.</summary>
    double TanhFromExponentials(double v)
    {
        double ep = R(Math.Exp(v)), em = R(Math.Exp(-v));
        return R(R(ep - em) / R(ep + em));
    }

    /// <summary>σ(v) = e^v/(1 + e^v), the other way a textbook writes it: ∞/∞ past v = ln(max).</summary>
    double SigmoidFromExponentials(double v)
    {
        double e = R(Math.Exp(v));
        return R(e / R(1 + e));
    }

    /// <summary>σ′(v) = e^−v/(1 + e^−v)², the derivative of 1/(1 + e^−v) as a textbook derives it.</summary>
    double SigmoidDerivativeFromExponentials(double v)
    {
        double e = R(Math.Exp(-v)), s = R(1 + e);
        return R(e / R(s * s));
    }

    /// <summary>δ = J·g through the softmax's Jacobian: out_j·(g_j − Σ_k g_k·out_k), or (from the
    /// definitions) the matrix J_kj = out_k·([k = j] − out_j) formed first, δ_j = Σ_k J_kj·g_k.</summary>
    double[] SoftmaxDelta(double[] a, double[] g)
    {
        if (!fromDefinitions)
            return a.Select((aj, j) => { double s = 0; for (int k = 0; k < a.Length; k++) s = R(s + R(g[k] * a[k])); return R(aj * R(g[j] - s)); }).ToArray();
        return a.Select((aj, j) =>
        {
            double s = 0;
            for (int k = 0; k < a.Length; k++) s = R(s + R(R(a[k] * R((k == j ? 1 : 0) - aj)) * g[k]));
            return s;
        }).ToArray();
    }

    /// <summary>δ from ∂E/∂out and f′(out) layer by layer, ∂E/∂W = Σ_n δ·in.</summary>
    (double[][,] dW, double[]?[] db) Backprop(Network network, double[][][] outs, double[][][] nets)
    {
        int m = network.BatchSize, L = network.Layers.Count;
        double scale = Loss.IsMean(network.Loss) ? m : 1;
        var dW = network.Layers.Select(l => new double[l.Units, l.FanIn]).ToArray();
        var db = network.Layers.Select(l => l.B is null ? null : new double[l.Units]).ToArray();
        for (int n = 0; n < m; n++)
        {
            double[] o = outs[n][L - 1], t = network.T[n].Select(R).ToArray();
            // ∂E/∂out of the output layer, from the loss as written (probabilities, no fusing)
            double[] g = o.Select((ok, k) => network.Loss switch
            {
                LossKind.BinaryCrossEntropy or LossKind.SoftmaxCrossEntropy when Clipped(ok) => 0,
                LossKind.BinaryCrossEntropy when clamp == ProbabilityClamp.Epsilon => R(R(R(-t[k] / R(ok + Epsilon)) + R(R(1 - t[k]) / R(R(1 - ok) + Epsilon))) / scale),
                LossKind.BinaryCrossEntropy => R(R(R(ok - t[k]) / (clamp == ProbabilityClamp.PyTorch ? Math.Max(R(ok * R(1 - ok)), R(1e-12)) : R(ok * R(1 - ok)))) / scale),
                LossKind.SoftmaxCrossEntropy => R(R(-t[k] / (clamp == ProbabilityClamp.Epsilon ? R(ok + Epsilon) : ok)) / scale),
                _ => R(R(ok - t[k]) / scale),
            }).ToArray();
            for (int l = L - 1; l >= 0; l--)
            {
                Layer layer = network.Layers[l];
                double[] a = outs[n][l], z = nets[n][l];
                double[] delta = layer.Activation == Activation.Softmax
                    ? SoftmaxDelta(a, g)
                    : a.Select((aj, j) => R(g[j] * layer.Activation switch
                    {
                        Activation.Sigmoid => fromDefinitions ? SigmoidDerivativeFromExponentials(z[j]) : R(aj * R(1 - aj)),
                        Activation.Tanh => R(1 - R(aj * aj)),
                        Activation.Relu => z[j] > 0 ? 1.0 : 0.0,
                        _ => 1.0,
                    })).ToArray();
                double[] input = l == 0 ? network.X[n].Select(R).ToArray() : outs[n][l - 1];
                for (int j = 0; j < layer.Units; j++)
                {
                    for (int i = 0; i < layer.FanIn; i++) dW[l][j, i] = R(dW[l][j, i] + R(delta[j] * input[i]));
                    if (db[l] is { } bias) bias[j] = R(bias[j] + delta[j]);
                }
                if (l == 0) break;
                var below = new double[layer.FanIn];
                for (int i = 0; i < layer.FanIn; i++)
                {
                    double s = 0;
                    for (int j = 0; j < layer.Units; j++) s = R(s + R(R(layer.W[j, i]) * delta[j]));
                    below[i] = s;
                }
                g = below;
            }
        }
        return (dW, db);
    }
}

/// <summary>The textbook backprop in float64, constructed without arguments (for <c>NetworkFor&lt;TextbookFloat64&gt;</c>).</summary>
public sealed class TextbookFloat64() : TextbookBackprop(Precision.Float64);

/// <summary>The textbook backprop in float32, constructed without arguments (for <c>NetworkFor&lt;TextbookFloat32&gt;</c>).</summary>
public sealed class TextbookFloat32() : TextbookBackprop(Precision.Float32);

/// <summary>The textbook backprop from the definitions (tanh and σ′ from exponentials, the softmax
/// Jacobian as a matrix) in float64, for <c>NetworkFor&lt;…&gt;</c>.</summary>
public sealed class TextbookDefinitionsFloat64() : TextbookBackprop(Precision.Float64, fromDefinitions: true);

/// <summary>The same in float32.</summary>
public sealed class TextbookDefinitionsFloat32() : TextbookBackprop(Precision.Float32, fromDefinitions: true);

/// <summary>How the probabilities are computed: σ = 1/(1 + e^−net) and the softmax from exponentials (Library),
/// or both from log space (exp(−softplus(−net)), exp(net − logsumexp)).</summary>
public enum ActivationForms { Library, LogSpace }

/// <summary>The textbook backprop with σ and the softmax from log space, in float64.</summary>
public sealed class TextbookLogSpaceFloat64() : TextbookBackprop(Precision.Float64, forms: ActivationForms.LogSpace);

/// <summary>The same in float32.</summary>
public sealed class TextbookLogSpaceFloat32() : TextbookBackprop(Precision.Float32, forms: ActivationForms.LogSpace);

/// <summary>How a framework keeps a probability away from 0 and 1 before its cross-entropy.</summary>
public enum ProbabilityClamp { None, PyTorch, Clip, Epsilon }

/// <summary>The textbook backprop with PyTorch's clamps in binary cross-entropy (nn.BCELoss after a sigmoid) in float64.</summary>
public sealed class TextbookPyTorchClampsFloat64() : TextbookBackprop(Precision.Float64, clamp: ProbabilityClamp.PyTorch);

/// <summary>The same in float32 (PyTorch's float32 tensors).</summary>
public sealed class TextbookPyTorchClampsFloat32() : TextbookBackprop(Precision.Float32, clamp: ProbabilityClamp.PyTorch);

/// <summary>The textbook backprop with the cross-entropies clipped to [1e-7, 1 − 1e-7] as TensorFlow.js's layers
/// losses and Keras do, in float32 (TensorFlow.js's only precision on its CPU backend).</summary>
public sealed class TextbookClippedFloat32() : TextbookBackprop(Precision.Float32, clamp: ProbabilityClamp.Clip);

/// <summary>The same in float64 (Keras on float64 tensors).</summary>
public sealed class TextbookClippedFloat64() : TextbookBackprop(Precision.Float64, clamp: ProbabilityClamp.Clip);

/// <summary>The textbook backprop with 1e-7 added inside the cross-entropies' logarithms and their derivatives, as
/// tf.losses.logLoss and many tutorials do, in float64.</summary>
public sealed class TextbookEpsilonFloat64() : TextbookBackprop(Precision.Float64, clamp: ProbabilityClamp.Epsilon);

/// <summary>The same in float32.</summary>
public sealed class TextbookEpsilonFloat32() : TextbookBackprop(Precision.Float32, clamp: ProbabilityClamp.Epsilon);

/// <summary>
/// An implementation whose answers travel as text, as over the protocol: each number is written by
/// <paramref name="print"/> and read back as a double. A float32 program in C writes "%.9g", one in
/// numpy, .NET or Java the shortest form that reads back as the same float; both are the float, but
/// neither is the float's exact double value.
/// </summary>
public class PrintedBackprop(IBackprop inner, Func<double, string> print)
    : MappedBackprop(inner, x => double.Parse(print(x), System.Globalization.CultureInfo.InvariantCulture))
{
    public override string Name => $"{base.Name}, printed";

    /// <summary>The shortest decimal that reads back as the same float (.NET's float.ToString, numpy's float32 repr).</summary>
    public static string ShortestFloat(double x) => ((float)x).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>C's printf("%.9g"): nine significant digits, enough to read back every float.</summary>
    public static string NineDigits(double x) => x.ToString("G9", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The textbook float32 backprop writing its answers in the shortest float form (for <c>NetworkFor&lt;…&gt;</c>).</summary>
public sealed class TextbookFloat32Shortest() : PrintedBackprop(new TextbookFloat32(), ShortestFloat);

/// <summary>
/// The reference's gradients with the step done as one fused multiply-add per parameter,
/// fma(−η, g, W): one rounding instead of two, as `cc -march=native` (gcc contracts w - eta*g), a
/// BLAS axpy or a vectorized optimizer computes it. Frozen biases stay.
/// </summary>
public sealed class FusedStepBackprop : IBackprop
{
    readonly ReferenceBackprop reference = new();
    public string Name => "reference, fused step";
    public Evaluation Forward(Network network) => reference.Forward(network);
    public Gradients Gradients(Network network) => reference.Gradients(network);

    public Parameters Step(Network network)
    {
        Gradients g = reference.Gradients(network);
        double eta = network.LearningRate;
        var w = network.Layers.Select((l, i) =>
        {
            var r = new double[l.Units, l.FanIn];
            for (int j = 0; j < l.Units; j++)
                for (int k = 0; k < l.FanIn; k++) r[j, k] = Math.FusedMultiplyAdd(-eta, g.dE_dW[i][j, k], l.W[j, k]);
            return r;
        }).ToArray();
        var b = network.Layers.Select((l, i) => l.B is null ? null
            : l.Bias == BiasMode.Frozen ? (double[])l.B.Clone()
            : l.B.Select((v, j) => Math.FusedMultiplyAdd(-eta, g.dE_db[i]![j], v)).ToArray()).ToArray();
        return new Parameters(w, b);
    }
}
