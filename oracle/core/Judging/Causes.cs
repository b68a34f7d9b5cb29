using System.Globalization;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Judging;

/// <summary>An operation that loses digits, where in the network it does, and the standard fix.</summary>
public sealed record Cause(string Key, string Operation, string Where, string Fix)
{
    public override string ToString() => $"{Operation} ({Where}); the standard fix: {Fix}";
}

/// <summary>
/// Names the operation behind an accuracy finding. Each textbook formulation is switched on alone
/// (<see cref="ErrorModel.Only"/>) and the magnitude pass run again: the formulations whose bound
/// alone covers the finding's deviation explain it. When none does alone, the ones that widen the
/// bound of that answer most are named. O(P) per formulation, and only for findings.
/// </summary>
public static class Causes
{
    /// <summary>The causes of a finding about <paramref name="truth"/>'s network (empty for a finding
    /// that is not about an output, the loss or a gradient entry).</summary>
    public static IReadOnlyList<Cause> Explain(Truth truth, Finding finding)
    {
        if (finding.On == AnswerKind.Other || finding.Index < 0) return [];
        var candidates = new List<(Formulation f, double bound)>();
        double careful = Bound(truth.Careful, finding);
        // An ε inside the logarithm widens every cross-entropy's bound a little (t·ε/o), so the clamp's bound alone
        // covers many deviations the other formulations make together: it is named only beyond the bound of all
        // of them that stay in range on this network.
        // So do the probabilities from log space (u·|net| relative at every sigmoid and softmax output): the two are
        // named only beyond the bound of the common formulations together.
        double common = Bound(BoundsAlone(truth, truth.InRangeFormulations & ~Rare), finding);
        bool beyondCommon = finding.Deviation > common;
        foreach (Formulation f in new[] { Formulation.DerivativesFromOut, Formulation.LossesFromProbabilities, Formulation.UnshiftedSoftmax, Formulation.TanhFromExponentials,
                                                 Formulation.SigmoidFromExponentials, Formulation.ProbabilitiesFromLogSpace, Formulation.ClampedProbabilities, Formulation.Careful })
        {
            if (f != Formulation.Careful && !Applies(f, truth.Network)) continue;
            if ((f & Rare) != 0 && !beyondCommon) continue;
            double bound = Bound(BoundsAlone(truth, f), finding);
            // the clip names no answer it cannot move (its bound alone is the library's then)
            if (f == Formulation.ClampedProbabilities && bound == Bound(BoundsAlone(truth, Formulation.Careful), finding)) continue;
            candidates.Add((f, bound));
        }
        // a formulation that cannot represent some answer of the network has an infinite bound, which
        // covers any finding: it explains one only when no formulation with a finite bound does
        if (candidates.Any(c => double.IsFinite(c.bound) && c.f != Formulation.Careful))
            candidates.RemoveAll(c => double.IsInfinity(c.bound));
        var alone = candidates.Where(c => finding.Deviation <= c.bound).Select(c => c.f).ToList();
        // Where the cross-entropy from probabilities cannot represent the network (o may round to 1: ln 0) its bound is
        // infinite and it left the candidates, so that only a rare form's wide bound covers a loss it rounded: a finite
        // loss within what that form gives when its answer does come out finite is named after it (the Rust newcomer's
        // ln(1 − o) at z = 36.44, named a clamp), one beyond that after the rare form (an ε's −ln 1e-12 of an o that
        // underflows: AccuracyContractTests).
        if (alone.Count > 0 && alone.All(f => (f & Rare) != 0) && finding.On == AnswerKind.Loss && Applies(Formulation.LossesFromProbabilities, truth.Network)
            && double.IsInfinity(Bound(BoundsAlone(truth, Formulation.LossesFromProbabilities), finding))
            && finding.Deviation <= common + FiniteLossFromProbabilities(truth))
            alone = [Formulation.LossesFromProbabilities];
        if (alone.Count == 0)
        {
            // beyond every bound the clamp, which widens a cross-entropy's most, does not explain it either, nor the
            // log space, which widens a saturated sigmoid's or softmax's most
            candidates.RemoveAll(c => (c.f & Rare) != 0);
            double widest = candidates.Max(c => c.bound) - careful;
            alone = candidates.Where(c => c.bound - careful >= 0.1 * widest).Select(c => c.f).ToList();
        }
        // The library's few extra ulps explain a finding only when no formulation does.
        if (alone.Count > 1) alone.Remove(Formulation.Careful);
        return alone.Select(f => Describe(f, truth)).ToArray();
    }

    /// <summary>
    /// The range issue a range finding is filed under: of the formulations that cannot represent some answer
    /// of the network, the commonest (<see cref="Truth.RangeCause"/>'s order) that alone cannot bound this
    /// answer. An output the loss never touches is not filed under ln 0 of the loss from probabilities, but
    /// under the σ that overflows at it. A finding on no single answer (a law between answers, an exception:
    /// no index, or <see cref="AnswerKind.Other"/>, whose bound is NaN) takes the network's <see cref="Truth.RangeCause"/>.
    /// </summary>
    public static RangeIssue RangeIssueOf(Truth truth, Finding finding)
    {
        if (finding.Index >= 0)
            foreach (RangeIssue issue in truth.Textbook.Range.OrderBy(r => (int)r.By))
                if (double.IsInfinity(Bound(BoundsAlone(truth, issue.By), finding))) return issue;
        return truth.RangeCause;
    }

    /// <summary>
    /// How far a cross-entropy from probabilities may lie from the exact loss where o may round to 1 (or to 0) and the
    /// answer still came out finite: a rounded 1 − o is then at least the spacing of the numbers below 1, and a rounded o
    /// at least the smallest positive number, so each such term moves by at most (1 − t)·(ln 4u − ln(1 − o)) or
    /// t·(ln 4·min − ln o) (a factor 4 for the ulps o may be off). Only to name a cause: the model bounds nothing there.
    /// </summary>
    internal static double FiniteLossFromProbabilities(Truth truth)
    {
        Network n = truth.Network;
        PrecisionProfile p = PrecisionProfile.Of(truth.Precision);
        double nearOne = Math.Log(4 * p.U), nearZero = Math.Log(4 * p.MinNormal * 2 * p.U);   // 2u·MinNormal: the least subnormal
        double[][] z = truth.Exact.Net[^1];
        double sum = 0;
        for (int e = 0; e < n.BatchSize; e++)
        {
            double lse = n.Loss == LossKind.SoftmaxCrossEntropy ? z[e].Max() + Math.Log(z[e].Sum(v => Math.Exp(v - z[e].Max()))) : 0;
            for (int k = 0; k < n.Output.Units; k++)
            {
                double t = n.T[e][k], zk = z[e][k];
                if (n.Loss == LossKind.SoftmaxCrossEntropy) { sum += Math.Abs(t) * Math.Max(0, nearZero - (zk - lse)); continue; }
                double lnO = zk >= 0 ? -Math.Log(1 + Math.Exp(-zk)) : zk - Math.Log(1 + Math.Exp(zk));   // ln σ(z); ln(1 − σ(z)) = ln σ(z) − z
                sum += Math.Abs(t) * Math.Max(0, nearZero - lnO) + Math.Abs(1 - t) * Math.Max(0, nearOne - (lnO - zk));
            }
        }
        return sum / n.BatchSize;                     // both cross-entropies are means over the batch
    }

    /// <summary>The forms named only where the common ones together cannot explain a finding: each widens some bound
    /// more than any common form, so alone it would cover, and name, what the common ones explain.</summary>
    const Formulation Rare = Formulation.ClampedProbabilities | Formulation.ProbabilitiesFromLogSpace;

    /// <summary>The magnitude pass with one formulation alone, once per truth (a network's findings share it).</summary>
    static RoundingBounds BoundsAlone(Truth truth, Formulation f)
    {
        Dictionary<Formulation, RoundingBounds> known = Alone.GetOrCreateValue(truth);
        lock (known)
        {
            if (known.TryGetValue(f, out RoundingBounds? b)) return b;
            return known[f] = RoundingBounds.Of(truth.Exact, ErrorModel.Textbook(truth.Precision).Only(f));
        }
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Truth, Dictionary<Formulation, RoundingBounds>> Alone = new();

    static double Bound(RoundingBounds b, Finding f) => f.On switch
    {
        AnswerKind.Gradient => b.Gradient[f.Index],
        AnswerKind.Loss => b.Loss,
        AnswerKind.Output => b.Outputs[f.Index / b.Outputs[0].Length][f.Index % b.Outputs[0].Length],
        _ => double.NaN,
    };

    static bool Applies(Formulation f, Network n) => f switch
    {
        Formulation.DerivativesFromOut => n.Layers.Any(l => l.Activation is Activation.Sigmoid or Activation.Tanh or Activation.Softmax),
        Formulation.LossesFromProbabilities => Loss.IsFused(n.Loss),
        Formulation.UnshiftedSoftmax => n.Layers.Any(l => l.Activation == Activation.Softmax),
        Formulation.TanhFromExponentials => n.Layers.Any(l => l.Activation == Activation.Tanh),
        Formulation.SigmoidFromExponentials => n.Layers.Any(l => l.Activation == Activation.Sigmoid),
        Formulation.ClampedProbabilities => Loss.IsFused(n.Loss),
        Formulation.ProbabilitiesFromLogSpace => n.Layers.Any(l => l.Activation is Activation.Sigmoid or Activation.Softmax),
        _ => true,
    };

    static Cause Describe(Formulation f, Truth truth)
    {
        Network n = truth.Network;
        ExactValues x = truth.Exact;
        string P = truth.Precision == Precision.Float32 ? "float32" : "float64";
        switch (f)
        {
            case Formulation.DerivativesFromOut:
            {
                var (l, e, j, net) = MostSaturated(n, x, a => a is Activation.Sigmoid or Activation.Tanh, (a, v) => a == Activation.Sigmoid ? v : Math.Abs(v));
                if (l < 0 || n.Layers[l].Activation == Activation.Softmax)
                    return new Cause("softmax-jacobian-from-out", "the softmax Jacobian as out_j*(g_j - sum_k g_k*out_k), which cancels where out_j is near 1",
                        "the softmax layer", "out_j*(g_j*sum_{k!=j} out_k - sum_{k!=j} g_k*out_k)");
                return n.Layers[l].Activation == Activation.Sigmoid
                    ? new Cause("sigmoid-derivative-from-out", "sigma' computed as out*(1 - out): 1 - out cancels where out is near 1",
                        $"layers[{l}] unit {j}, example {e}, net = {G(net)}", "sigma'(net) = sigma(net)*sigma(-net)")
                    : new Cause("tanh-derivative-from-out", "tanh' computed as 1 - out^2: it cancels where |out| is near 1",
                        $"layers[{l}] unit {j}, example {e}, net = {G(net)}", "tanh'(net) = 1/cosh(net)^2");
            }
            case Formulation.LossesFromProbabilities:
            {
                var (_, e, k, z) = MostSaturated(n, x, a => a == n.Output.Activation, (a, v) => a == Activation.Sigmoid ? v : Math.Abs(v), outputOnly: true);
                return n.Loss == LossKind.BinaryCrossEntropy
                    ? new Cause("cross-entropy-from-probabilities", "binary cross-entropy (or its derivative) from the probability o: ln(1 - o) and o*(1 - o) lose the digits o = sigma(z) rounded away",
                        $"output {k}, example {e}, z = {G(z)}", "from the logit: E = softplus(z) - t*z, delta = (o - t)/m")
                    : new Cause("cross-entropy-from-probabilities", "softmax cross-entropy (or its derivative) from the probabilities: ln o and t/o of a small softmax output",
                        $"output {k}, example {e}, net = {G(z)}", "from the logits: ln o_k = z_k - max z - ln sum e^(z - max z), delta = (o - t)/m");
            }
            case Formulation.UnshiftedSoftmax:
                return new Cause("unshifted-softmax", "softmax as e^net/sum e^net, without subtracting the largest net input",
                    "the softmax layer", "e^(net - max net)/sum e^(net - max net)");
            case Formulation.TanhFromExponentials:
            {
                var (l, e, j, net) = MostSaturated(n, x, a => a == Activation.Tanh, (_, v) => -Math.Abs(v));
                return new Cause("tanh-from-exponentials", "tanh computed from exponentials, (e^net - e^-net)/(e^net + e^-net): the difference cancels where net is near 0",
                    $"layers[{l}] unit {j}, example {e}, net = {G(net)}", "the library's tanh(net)");
            }
            case Formulation.SigmoidFromExponentials:
            {
                var (l, e, j, net) = MostSaturated(n, x, a => a == Activation.Sigmoid, (_, v) => -v);
                return new Cause("sigmoid-derivative-from-exponentials", "sigma' computed as e^-net/(1 + e^-net)^2: (1 + e^-net)^2 overflows to infinity where net is very negative, and sigma' to 0",
                    $"layers[{l}] unit {j}, example {e}, net = {G(net)}", "sigma'(net) = sigma(net)*sigma(-net)");
            }
            case Formulation.ProbabilitiesFromLogSpace:
            {
                // σ from log space loses most at the most negative net (softplus(−net) ≈ |net|), the softmax at the largest |net|
                var (l, e, j, net) = MostSaturated(n, x, a => a is Activation.Sigmoid or Activation.Softmax, (a, v) => a == Activation.Sigmoid ? -v : Math.Abs(v));
                string place = n.Layers[l].Activation == Activation.Softmax ? $"the softmax layer, example {e}" : $"layers[{l}] unit {j}, example {e}, net = {G(net)}";
                return new Cause("probabilities-from-log-space", "sigma or softmax computed from log space, exp(-softplus(-net)) or exp(net - logsumexp(net)): the exponent is rounded at the size of |net|, and exp makes that a relative error of the output",
                    place, "sigma(net) = 1/(1 + e^-net), softmax e^(net - max net)/sum e^(net - max net)");
            }
            case Formulation.ClampedProbabilities:
            {
                var (_, e, k, z) = MostSaturated(n, x, a => a == n.Output.Activation, (_, v) => Math.Abs(v), outputOnly: true);
                return new Cause("probability-clamp", "the cross-entropy from probabilities clamped away from 0 and 1, as frameworks do: TensorFlow.js's layers losses and Keras clip o to [1e-7, 1 - 1e-7] (derivative 0 outside), PyTorch's nn.BCELoss divides dE/do by max(o(1 - o), 1e-12); where o is within 1e-7 of 0 or 1 the gradient is cut; or an epsilon up to 1e-7 added inside the logarithm (ln(o + eps), as tf.losses.logLoss and many tutorials do), which moves the loss by t*ln(1 + eps/o) and the gradient by about t*eps/o",
                    $"output {k}, example {e}, {(n.Loss == LossKind.BinaryCrossEntropy ? "z" : "net")} = {G(z)}",
                    "the loss from the logits: nn.BCEWithLogitsLoss or F.cross_entropy on z in PyTorch, tf.losses.sigmoidCrossEntropy or softmaxCrossEntropy in TensorFlow.js, from_logits=True in Keras");
            }
            default:
                return new Cause("library-functions", $"exp, ln or tanh in {P} less accurate than 1 ulp, or rounding beyond careful {P} arithmetic",
                    "throughout", "correctly rounded library functions; sum in a fixed order");
        }
    }

    /// <summary>The unit where the cause loses most, the one of largest <paramref name="saturation"/>: a
    /// sigmoid's 1 − out cancels only where out is near 1 (the largest net, not the largest |net|: at
    /// net = −170, out·(1 − out) is exact to an ulp); tanh's 1 − out² and the softmax at the largest
    /// |net|; tanh from exponentials at the smallest |net|; σ′ from exponentials at the most negative net.</summary>
    static (int layer, int example, int unit, double net) MostSaturated(Network n, ExactValues x, Func<Activation, bool> which, Func<Activation, double, double> saturation, bool outputOnly = false)
    {
        (int, int, int, double) best = (-1, 0, 0, 0);
        double most = -1;
        for (int l = outputOnly ? n.Layers.Count - 1 : 0; l < n.Layers.Count; l++)
        {
            if (!which(n.Layers[l].Activation)) continue;
            for (int e = 0; e < n.BatchSize; e++)
                for (int j = 0; j < n.Layers[l].Units; j++)
                {
                    double s = saturation(n.Layers[l].Activation, x.Net[l][e][j]);
                    if (best.Item1 < 0 || s > most) { most = s; best = (l, e, j, x.Net[l][e][j]); }
                }
        }
        return best;
    }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
