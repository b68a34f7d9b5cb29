using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

public static partial class Diagnosis
{
    /// <summary>
    /// The loose tolerance of a class comparison: two numbers "agree" when
    /// |a − b| ≤ <see cref="Relative"/>·(|a| + |b|) + <see cref="Normwise"/>·S + 2m·B, with S the largest
    /// number of the same answer, m the batch size and B the textbook bound of the entry (for a step
    /// entry, the step property's bound). Why loose: the implementation and the class's prediction
    /// compute the same wrong formula in different arithmetic (float32, textbook formulas, another
    /// summation order); that differs by rounding, at most about 1e-6 relative in float32 (B covers the
    /// cancellations, times m because a bug may scale the chain rule's terms by the batch size, S the
    /// entries that cancel to nearly 0 in the wrong formula). The classes differ from each other and
    /// from correct backprop by factors (−1, 2, m, 1/m, 0) or by whole terms of the chain rule, so
    /// 1e-4 lies two orders of magnitude from either: a match is no accident of rounding, and no
    /// rounding hides a match. The tolerance never decides a verdict.
    /// </summary>
    const double Relative = 1e-4, Normwise = 1e-6;

    /// <summary>What one way of making a class's mistake predicts on one network: the answers it
    /// changes (null for a part it leaves alone), NaN for an entry its detail decides.</summary>
    internal sealed record Prediction(double? Loss = null, double[]? Gradient = null, double[]? Step = null);

    /// <summary>One way of making a class's mistake: the zoos' own, or a detail real code differs in.</summary>
    internal sealed record Variant(Bug Bug, string Detail, Func<Observation, Prediction> Predict);

    /// <summary>A class that explains answers: the wrong answers it explains, how many of its
    /// predictions were put to the test (answers it changes that the implementation reproduced), and
    /// the wrong answers its open detail decides (NaN predictions: explained in kind, not in value).</summary>
    internal sealed record Match(Bug Bug, string Detail, IReadOnlySet<Item> Explained, int Tested, IReadOnlySet<Item> Open);

    /// <summary>
    /// How each class is recognised. Factor classes: the exact gradient (and loss) times a factor of
    /// the network. Step rules: the step applied to the implementation's own gradient, so a gradient
    /// bug and a step bug are seen apart. Structural classes: the mutant's answers, with the detail
    /// left open where real code differs (NaN compares with nothing).
    /// </summary>
    internal static IReadOnlyList<Variant> Variants(Bug bug) => bug switch
    {
        Bug.SignFlip => [Factor(bug, (o, k) => -1)],
        Bug.GradientFactorTwo => [Factor(bug, (o, k) => Loss.IsFused(o.Network.Loss) ? 1 : 2)],
        Bug.MissingOneOverM =>
        [
            Factor(bug, (o, k) => Loss.IsMean(o.Network.Loss) ? o.M : 1),
            // the fused δ = (o − t)/m of a cross-entropy written without its /m, the squared losses' kept
            Factor(bug, (o, k) => Loss.IsFused(o.Network.Loss) ? o.M : 1, detail: "in the cross-entropy's fused delta only"),
        ],
        Bug.ExtraOneOverM => [Factor(bug, (o, k) => o.Network.Loss == LossKind.HalfSse ? 1.0 / o.M : 1)],
        Bug.MeanOverOutputsToo => [Factor(bug, (o, k) => o.Network.Loss == LossKind.HalfMse ? 1.0 / o.Outputs : 1, scalesLoss: true)],
        Bug.BiasGradientZero => [Factor(bug, (o, k) => o.Layer[k].Bias ? 0 : 1)],
        Bug.StepClimbs => [StepRule(bug, o => -o.Network.LearningRate)],
        Bug.LearningRateIgnored => [StepRule(bug, o => 1)],
        Bug.LearningRateIsOutput => [StepRule(bug, o => o.OwnOutputs is { } own ? own[o.M - 1][0] : double.NaN)],
        Bug.FrozenBiasMoved => [StepRule(bug, o => o.Network.LearningRate, movesFrozen: true)],
        Bug.UpdatedWeightsInBackprop =>
        [
            MutantStep(new Mutant(bug), "in the step only", gradientsToo: false),
            MutantStep(new Mutant(bug) { UpdatesInGradients = true }, "in the gradients too (one backward pass for both)", gradientsToo: true),
        ],
        Bug.TransposedWeights =>
        [
            MutantGradients(new Mutant(bug), "0 where W[i][j] does not exist"),
            MutantGradients(new Mutant(bug) { TransposedFill = double.NaN }, "any value where W[i][j] does not exist"),
        ],
        Bug.SoftmaxJacobianTwice =>
        [
            MutantGradients(new Mutant(bug), "the full softmax Jacobian"),
            MutantGradients(new Mutant(bug) { DiagonalJacobian = true }, "the Jacobian's diagonal out(1 - out) alone"),
        ],
        _ => [MutantGradients(new Mutant(bug), "the mutant's gradients")],
    };

    /// <summary>The exact gradient times <paramref name="factor"/> (of the network and the entry; k = −1 for the loss).</summary>
    static Variant Factor(Bug bug, Func<Observation, int, double> factor, bool scalesLoss = false, string detail = "a factor of the exact values") =>
        new(bug, detail, o => new Prediction(
            Loss: scalesLoss ? factor(o, -1) * o.ExactLoss : null,
            Gradient: o.ExactGradient.Select((g, k) => factor(o, k) * g).ToArray()));

    /// <summary>W − rate·g with the implementation's own gradient g; frozen biases kept unless <paramref name="movesFrozen"/> (then b − η·g).</summary>
    static Variant StepRule(Bug bug, Func<Observation, double> rate, bool movesFrozen = false) =>
        new(bug, "a step rule on the implementation's own gradient", o => new Prediction(Step: StepBy(o, rate(o), movesFrozen)));

    static double[]? StepBy(Observation o, double rate, bool movesFrozen)
    {
        if (o.Gradient is not { } g) return null;
        return o.Before.Select((b, k) => !o.Frozen[k] ? b - rate * g[k] : movesFrozen ? b - o.Network.LearningRate * g[k] : b).ToArray();
    }

    static Variant MutantStep(Mutant mutant, string detail, bool gradientsToo) =>
        new(mutant.Bug, detail, o => new Prediction(Gradient: gradientsToo ? mutant.Gradients(o.Network).Flatten() : null, Step: mutant.Step(o.Network).Flatten()));

    static Variant MutantGradients(Mutant mutant, string detail) =>
        new(mutant.Bug, detail, o => new Prediction(Gradient: mutant.Gradients(o.Network).Flatten()));

    /// <summary>Every class that explains some wrong answer, without a class whose explained answers
    /// another explains and more (bias-not-summed within gradient-not-accumulated), ordered: the one
    /// that explains most first, then the one whose predictions were tested most.</summary>
    static IReadOnlyList<Match> Matches(IReadOnlyList<Observation> seen)
    {
        var found = new List<Match>();
        foreach (Bug bug in Bugs.All)
        {
            Match? best = null;
            foreach (Variant v in Variants(bug))
                if (Test(v, seen) is { } m && (best is null || m.Explained.Count > best.Explained.Count)) best = m;
            if (best is not null) found.Add(best);
        }
        return found.Where(b => !found.Any(a => a != b && a.Explained.IsProperSupersetOf(b.Explained)))
            .OrderByDescending(m => m.Explained.Count).ThenByDescending(m => m.Tested).ThenBy(m => m.Bug).ToArray();
    }

    /// <summary>
    /// A variant explains the answers when, on every network, every answer it changes (its prediction
    /// differs from the correct answer) is what the implementation gave, and at least one of those is
    /// wrong. Answers it leaves alone are not compared: another bug may have changed them. A network
    /// whose targets are the implementation's own outputs confirms or contradicts nothing: every class
    /// scales or reroutes the output error o − t, which is rounding noise there, and the noise of a
    /// forward pass one ulp different is not the class's.
    /// </summary>
    static Match? Test(Variant v, IReadOnlyList<Observation> seen)
    {
        var explained = new HashSet<Item>();
        var open = new HashSet<Item>();
        int tested = 0;
        foreach (Observation o in seen.Where(o => !o.AtOwnOutputs))
        {
            Prediction p = v.Predict(o);
            if (p.Loss is { } loss && o.Loss is { } actualLoss)
            {
                double exact = o.ExactLoss, bound = 2 * o.Truth.Textbook.Loss;
                if (Differs(loss, exact, bound, 0))
                {
                    tested++;
                    if (Differs(actualLoss, loss, bound, 0)) return null;
                    if (o.LossWrong) explained.Add(new Item(o.Index, Part.Loss, 0));
                }
            }
            if (p.Gradient is { } g && o.Gradient is { } a)
            {
                double scale = Largest(g, o.ExactGradient);
                for (int k = 0; k < g.Length; k++)
                {
                    double bound = 2 * o.M * o.Truth.Textbook.Gradient[k];
                    if (double.IsNaN(g[k]) && o.GradientWrong[k]) open.Add(new Item(o.Index, Part.Gradient, k));
                    if (double.IsNaN(g[k]) || !Differs(g[k], o.ExactGradient[k], bound, scale)) continue;
                    tested++;
                    if (Differs(a[k], g[k], bound, scale)) return null;
                    if (o.GradientWrong[k]) explained.Add(new Item(o.Index, Part.Gradient, k));
                }
            }
            if (p.Step is { } s && o.After is { } after && o.Rule is { } rule)
            {
                // compared as movements from W, the part a step computes
                double[] predicted = s.Select((x, k) => x - o.Before[k]).ToArray(), correct = rule.Select((x, k) => x - o.Before[k]).ToArray();
                double scale = Largest(predicted, correct);
                for (int k = 0; k < s.Length; k++)
                {
                    double bound = 2 * o.M * o.StepBound(k, o.Gradient![k]);
                    if (double.IsNaN(predicted[k]) || !Differs(predicted[k], correct[k], bound, scale)) continue;
                    tested++;
                    if (Differs(after[k] - o.Before[k], predicted[k], bound, scale)) return null;
                    if (o.StepWrong[k]) explained.Add(new Item(o.Index, Part.Step, k));
                }
            }
        }
        return explained.Count > 0 ? new Match(v.Bug, v.Detail, explained, tested, open) : null;
    }

    /// <summary>Whether a and b differ beyond the loose tolerance (<see cref="Relative"/>). Where the
    /// tolerance model has no bound (NaN, on some networks a textbook formulation cannot represent),
    /// they cannot be told apart. Under a finite bound an infinity matches only itself: the relative term of |∞ − b| ≤ 1e-4·(∞ + |b|) is infinite too, so the sum alone
    /// would let an infinite answer match every prediction (and ∞ − ∞ is NaN, so ∞ would not match ∞).</summary>
    internal static bool Differs(double a, double b, double bound, double scale)
    {
        if (double.IsNaN(bound)) return false;
        if ((double.IsInfinity(a) || double.IsInfinity(b)) && double.IsFinite(bound)) return a != b;
        return !(Math.Abs(a - b) <= Relative * (Math.Abs(a) + Math.Abs(b)) + Normwise * scale + bound);
    }

    static double Largest(double[] a, double[] b) =>
        a.Concat(b).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
}
