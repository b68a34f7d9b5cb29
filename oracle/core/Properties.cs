using System.Globalization;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>A property's verdict on one network: its worst zone, the findings (worst first) and one line saying what differs.</summary>
public sealed record PropertyVerdict(Zone Zone, IReadOnlyList<Finding> Findings, string Message)
{
    public static PropertyVerdict Holds { get; } = new(Zone.Agrees, [], "holds");

    /// <summary>The gradient table, when the property judged gradients entry by entry.</summary>
    public GradientReport? Table { get; init; }

    public bool Fails(bool strict) => Zones.Fails(Zone, strict);

    /// <summary>The verdict of a list of findings: the worst one names it.</summary>
    public static PropertyVerdict Of(IEnumerable<Finding> findings, string? lead = null)
    {
        Finding[] all = findings.Where(f => f.Zone != Zone.Agrees)
            .OrderByDescending(f => f.Zone).ThenByDescending(f => f.Deviation / Math.Max(f.Careful, double.Epsilon)).ToArray();
        if (all.Length == 0) return Holds;
        string more = all.Length > 1 ? $" (and {all.Length - 1} more)" : "";
        return new PropertyVerdict(all[0].Zone, all, $"{lead}{all[0].Describe()}{more}");
    }
}

/// <summary>A property of backprop, checked on one network against one implementation in the
/// arithmetic it declares.</summary>
public delegate PropertyVerdict NetworkProperty(IBackprop impl, Network network, Precision precision);

/// <summary>
/// The properties every implementation must satisfy. The property tests run them on the reference
/// for thousands of random networks; the conformance kit and `check` run them on yours. Each judges
/// numbers with the tolerance model (<see cref="ErrorModel"/>): agrees, accuracy, range or wrong.
/// </summary>
public static class Properties
{
    /// <summary>Every property, by name, in the order they are reported.</summary>
    public static IReadOnlyList<(string Name, NetworkProperty Check)> All { get; } =
    [
        ("gradients agree with the exact derivatives", GradientsAgreeWithExactValues),
        ("forward outputs and loss agree with the exact values", ForwardAgreesWithExactValues),
        ("a step is W - eta * dE/dW from the original weights", StepUsesOriginalWeights),
        ("the batch gradient is the sum or mean of per-example gradients", BatchGradientCombinesExamples),
        ("half-mse gradients are half-sse gradients over m", MeanLossScalesGradients),
        ("duplicating the batch of a summed loss doubles every gradient", DuplicatedBatchDoublesGradients),
        ("permuting hidden units permutes the gradients", PermutingHiddenUnitsPermutesGradients),
        ("zero error gives zero gradient", ZeroErrorGivesZeroGradient),
        ("a small enough step does not increase the loss", SmallStepDoesNotIncreaseLoss),
    ];

    public static NetworkProperty Named(string name) =>
        All.FirstOrDefault(p => p.Name == name).Check
        ?? throw new ArgumentException($"no property named '{name}'; the properties are: {string.Join("; ", All.Select(p => p.Name))}");

    /// <summary>Runs every property in order and returns the verdicts that are not <em>agrees</em>,
    /// stopping after the first that fails (wrong; or accuracy and range too when strict).</summary>
    public static IReadOnlyList<(string Name, PropertyVerdict Verdict)> Run(IBackprop impl, Network network, Precision precision = Precision.Float64, bool strict = false)
    {
        var found = new List<(string, PropertyVerdict)>();
        foreach (var (name, check) in All)
        {
            PropertyVerdict v = Judge(check, impl, network, precision);
            if (v.Zone == Zone.Agrees) continue;
            found.Add((name, v));
            if (v.Fails(strict)) break;
        }
        return found;
    }

    /// <summary>The first property that fails, with its name; null when none does.</summary>
    public static (string Name, PropertyVerdict Verdict)? FirstFailure(IBackprop impl, Network network, Precision precision = Precision.Float64, bool strict = false)
    {
        foreach (var (name, verdict) in Run(impl, network, precision, strict))
            if (verdict.Fails(strict)) return (name, verdict);
        return null;
    }

    /// <summary>One property's verdict on one network. An exception of the implementation is a
    /// finding too: a range finding where the textbook formulations cannot represent some answer of
    /// the network (ln 0, overflow), otherwise wrong.</summary>
    public static PropertyVerdict Judge(NetworkProperty check, IBackprop impl, Network network, Precision precision = Precision.Float64)
    {
        // a float32 implementation's answers are judged as the floats they are, whatever decimal it wrote
        IBackprop answers = precision == Precision.Float32 ? new Float32Answers(impl) : impl;
        try { return check(answers, network, precision); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Truth truth = Truth.For(network, precision);
            Zone zone = truth.OutOfRange ? Zone.Range : Zone.Wrong;
            string why = truth.OutOfRange ? $"; here {truth.RangeCause}" : "";
            return new PropertyVerdict(zone, [new Finding(zone, "the implementation", double.NaN, double.NaN, 0, 0, $"threw {e.GetType().Name}")],
                $"the implementation threw {e.GetType().Name}: {e.Message}{why}");
        }
    }

    // ------------------------------------------------------------------ the exact values

    public static PropertyVerdict GradientsAgreeWithExactValues(IBackprop impl, Network n, Precision precision)
    {
        GradientReport report = GradientCheck.Compare(Truth.For(n, precision), impl.Gradients(n).Flatten());
        if (report.Zone == Zone.Agrees) return PropertyVerdict.Holds;
        return PropertyVerdict.Of(report.Rows.Select(r => r.ToFinding())) with { Table = report };
    }

    /// <summary>Outputs and loss (from the gradients reply, which carries them) against the exact values.</summary>
    public static PropertyVerdict ForwardAgreesWithExactValues(IBackprop impl, Network n, Precision precision)
    {
        Gradients mine = impl.Gradients(n);
        Truth truth = Truth.For(n, precision);
        ExactValues x = truth.Exact;
        var findings = new List<Finding>();
        for (int e = 0; e < n.BatchSize; e++)
            for (int k = 0; k < n.Output.Units; k++)
            {
                double a = mine.Outputs[e][k];
                Zone z = truth.OutputZone(e, k, a);
                if (z != Zone.Agrees) findings.Add(new Finding(z, $"outputs[{e}][{k}]", a, x.Outputs[e][k] + x.OutputsLo[e][k], truth.Careful.Outputs[e][k], truth.OutputBound(z, e, k))
                    { On = AnswerKind.Output, Index = e * n.Output.Units + k });
            }
        Zone lossZone = truth.LossZone(mine.Loss);
        if (lossZone != Zone.Agrees) findings.Add(new Finding(lossZone, "loss", mine.Loss, x.Loss + x.LossLo, truth.Careful.Loss, truth.LossBound(lossZone)) { On = AnswerKind.Loss, Index = 0 });
        return PropertyVerdict.Of(findings);
    }

    // ------------------------------------------------------------------ the step

    /// <summary>
    /// W⁺ against W − η·g with g the implementation's own gradient. Careful: the step's two roundings,
    /// u·(|η·g| + |W⁺|) (and, in float32, storing W and η: u·|W| + u·|η·g|), plus η·2·(careful bound of g):
    /// the step may compute its gradient again, anywhere within that bound of the exact one. Textbook:
    /// the same with the textbook bound of g (or, where some formulation cannot represent the network, the
    /// bound of those that can, <see cref="Truth.InRange"/>). A frozen bias comes back unchanged (as stored).
    /// </summary>
    public static PropertyVerdict StepUsesOriginalWeights(IBackprop impl, Network n, Precision precision)
    {
        Gradients g = impl.Gradients(n);
        Parameters after = impl.Step(n);
        Truth truth = Truth.For(n, precision);
        PrecisionProfile p = PrecisionProfile.Of(precision);
        double eta = n.LearningRate;
        double[] before = Parameters.Of(n).Flatten(), stepped = after.Flatten(), gradient = g.Flatten();
        string[] names = ParameterIndex.Names(n);
        bool[] frozen = FrozenEntries(n);
        if (stepped.Length != before.Length) return Wrong($"the step returned {stepped.Length} numbers for {before.Length} parameters");
        var findings = new List<Finding>();
        for (int k = 0; k < before.Length; k++)
        {
            if (frozen[k])
            {
                double stored = p.StoreError(before[k]);
                Zone zone = Math.Abs(stepped[k] - before[k]) <= stored ? Zone.Agrees : Zone.Wrong;
                findings.Add(new Finding(zone, $"{names[k]} (frozen)", stepped[k], before[k], stored, stored, "it must stay"));
                continue;
            }
            // W − η·g of the doubles, exactly (hi + lo): computed in double it would round twice, and
            // an implementation that fuses the step (an FMA: one rounding) lands on the other
            // neighbour of a near-tie, one ulp from it (examples/c/RESULTS.md, FA-2). The bound below
            // is then the implementation's own roundings alone.
            DoubleDouble exactStep = (DoubleDouble)before[k] - DoubleDouble.TwoProd(eta, gradient[k]);
            double expected = exactStep.Hi;
            double rounding = p.U * (Math.Abs(eta * gradient[k]) + Math.Abs(stepped[k]))
                              + (p.RoundsInputs ? p.U * (Math.Abs(before[k]) + Math.Abs(eta * gradient[k])) : 0) + 2 * p.Floor;
            double careful = rounding + 2 * eta * truth.Careful.Gradient[k];
            int kk = k;
            double Bound(RoundingBounds tier) => rounding + 2 * eta * tier.Gradient[kk];
            Zone z = Zones.Of(stepped[k], expected, exactStep.Lo, careful, () => Bound(truth.Textbook), () => Bound(truth.InRange));
            if (z != Zone.Agrees)
                findings.Add(new Finding(z, $"{names[k]} after the step", stepped[k], expected, careful, Truth.Shown(z, Bound(truth.Textbook), () => Bound(truth.InRange)),
                    $"W - eta*dE/dW (eta = {R(eta)}) is"));
        }
        return PropertyVerdict.Of(findings);
    }

    static bool[] FrozenEntries(Network n)
    {
        var frozen = new List<bool>();
        foreach (Layer l in n.Layers)
        {
            frozen.AddRange(Enumerable.Repeat(false, l.Units * l.FanIn));
            if (l.B is not null) frozen.AddRange(Enumerable.Repeat(l.Bias == BiasMode.Frozen, l.Units));
        }
        return frozen.ToArray();
    }

    // ------------------------------------------------------------------ the laws

    /// <summary>
    /// The batch gradient against the implementation's own gradients of the batch's two halves:
    /// their sum (half-sse), or their mean weighted by size (m₁·g₁ + m₂·g₂)/m for the mean losses.
    /// Each half's gradient is the sum or mean of its examples', so this is the per-example law with
    /// two requests instead of m (at 784-128-10, batch 32, that is 2 answers of 100,000 numbers instead
    /// of 32); a bias or weight gradient taken from one example, or a missing 1/m, breaks it the same
    /// way. Each side may lie within its own bound of the exact value.
    /// </summary>
    public static PropertyVerdict BatchGradientCombinesExamples(IBackprop impl, Network n, Precision precision)
    {
        if (n.BatchSize == 1) return PropertyVerdict.Holds;
        double[] batch = impl.Gradients(n).Flatten();
        Truth whole = Truth.For(n, precision);
        bool mean = Loss.IsMean(n.Loss);
        var law = new double[batch.Length];
        var parts = new List<(Truth truth, double scale)>();
        foreach (Network part in Derived.Halves(n))
        {
            double scale = mean ? (double)part.BatchSize / n.BatchSize : 1.0;
            double[] g = impl.Gradients(part).Flatten();
            parts.Add((Truth.For(part, precision), scale));
            for (int k = 0; k < g.Length; k++) law[k] += scale * g[k];
        }
        // the law's own products and sum
        PrecisionProfile p = PrecisionProfile.Of(precision);
        double[] rounding = law.Select(v => 3 * p.U * Math.Abs(v)).ToArray();
        double[] Bounds(Func<Truth, RoundingBounds> tier)
        {
            var bound = (double[])tier(whole).Gradient.Clone();
            foreach (var (t, scale) in parts)
            {
                double[] part = tier(t).Gradient;
                for (int k = 0; k < bound.Length; k++) bound[k] += scale * part[k];
            }
            return Add(bound, rounding, 1);
        }
        string what = mean ? "the mean of its halves' gradients, weighted by size, is" : "the sum of its halves' gradients is";
        return Law(n, batch, law, Bounds, what, "the gradient of the batch");
    }

    public static PropertyVerdict MeanLossScalesGradients(IBackprop impl, Network n, Precision precision)
    {
        if (n.Loss is not (LossKind.HalfSse or LossKind.HalfMse)) return PropertyVerdict.Holds;
        Network sse = Derived.WithLoss(n, LossKind.HalfSse), mse = Derived.WithLoss(n, LossKind.HalfMse);
        double[] gSse = impl.Gradients(sse).Flatten(), gMse = impl.Gradients(mse).Flatten();
        Truth tSse = Truth.For(sse, precision), tMse = Truth.For(mse, precision);
        int m = n.BatchSize;
        return Law(mse, gMse, gSse.Select(v => v / m).ToArray(), tier => Add(tier(tMse).Gradient, tier(tSse).Gradient, 1.0 / m),
            "half-sse's gradient / m is", "the half-mse gradient");
    }

    public static PropertyVerdict DuplicatedBatchDoublesGradients(IBackprop impl, Network n, Precision precision)
    {
        if (n.Loss != LossKind.HalfSse) return PropertyVerdict.Holds;
        Network twice = Derived.Twice(n);
        double[] g = impl.Gradients(n).Flatten(), g2 = impl.Gradients(twice).Flatten();
        Truth t = Truth.For(n, precision), t2 = Truth.For(twice, precision);
        return Law(twice, g2, g.Select(v => 2 * v).ToArray(), tier => Add(tier(t2).Gradient, tier(t).Gradient, 2),
            "twice the gradient of the single batch is", "the gradient of the doubled batch");
    }

    public static PropertyVerdict PermutingHiddenUnitsPermutesGradients(IBackprop impl, Network n, Precision precision)
    {
        if (n.Layers.Count < 2 || n.Layers[0].Units < 2) return PropertyVerdict.Holds;
        int units = n.Layers[0].Units;
        int[] perm = Enumerable.Range(0, units).Select(j => (j + 1) % units).ToArray();   // a rotation: every unit moves
        Network permuted = Derived.Permuted(n);
        Gradients g = impl.Gradients(n), gp = impl.Gradients(permuted);
        Truth t = Truth.For(n, precision), tp = Truth.For(permuted, precision);
        double[] Moved(Func<int, double> value) => PermuteFlat(n, perm, value);
        double[] flat = g.Flatten();
        return Law(permuted, gp.Flatten(), Moved(k => flat[k]), tier => Add(tier(tp).Gradient, Moved(k => tier(t).Gradient[k]), 1),
            "the original gradient, permuted the same way, is", "the permuted network's gradient");
    }

    /// <summary>Layer 0's units rotated by <paramref name="perm"/> (unit j moves to perm[j]), with the
    /// layer above's columns moved to match: the same function of the inputs.</summary>
    internal static Network Permute(Network n, int[] perm)
    {
        var layers = n.Layers.ToArray();
        Layer h = layers[0], above = layers[1];
        int units = h.Units;
        var w = new double[units, h.FanIn];
        var wAbove = new double[above.Units, units];
        double[]? b = h.B is null ? null : new double[units];
        for (int j = 0; j < units; j++)
        {
            for (int i = 0; i < h.FanIn; i++) w[perm[j], i] = h.W[j, i];
            if (b is not null) b[perm[j]] = h.B![j];
            for (int k = 0; k < above.Units; k++) wAbove[k, perm[j]] = above.W[k, j];
        }
        layers[0] = new Layer(h.Activation, w, b, h.Bias);
        layers[1] = new Layer(above.Activation, wAbove, above.B, above.Bias);
        return n.WithLayers(layers);
    }

    /// <summary>A per-parameter quantity of the original network, moved to where <see cref="Permute"/> put each parameter.</summary>
    static double[] PermuteFlat(Network n, int[] perm, Func<int, double> value)
    {
        var p = Parameters.Of(n);
        var w = p.W.Select(x => (double[,])x.Clone()).ToArray();
        var b = p.B.Select(x => (double[]?)x?.Clone()).ToArray();
        int k = 0;
        for (int l = 0; l < n.Layers.Count; l++)
        {
            for (int j = 0; j < w[l].GetLength(0); j++)
                for (int i = 0; i < w[l].GetLength(1); i++) w[l][j, i] = value(k++);
            if (b[l] is { } bias) for (int j = 0; j < bias.Length; j++) bias[j] = value(k++);
        }
        var wm = w.Select(x => (double[,])x.Clone()).ToArray();
        var bm = b.Select(x => (double[]?)x?.Clone()).ToArray();
        Layer h = n.Layers[0], above = n.Layers[1];
        for (int j = 0; j < h.Units; j++)
        {
            for (int i = 0; i < h.FanIn; i++) wm[0][perm[j], i] = w[0][j, i];
            if (bm[0] is not null) bm[0]![perm[j]] = b[0]![j];
            for (int q = 0; q < above.Units; q++) wm[1][q, perm[j]] = w[1][q, j];
        }
        return ParameterIndex.Flatten(wm, bm);
    }

    /// <summary>With every target equal to the implementation's own output, E is at its minimum:
    /// the gradient must agree with the exact gradient there (0 up to the targets' own rounding).</summary>
    public static PropertyVerdict ZeroErrorGivesZeroGradient(IBackprop impl, Network n, Precision precision)
    {
        double[][] outputs = impl.Gradients(n).Outputs;
        Network exact;
        try { exact = n.WithBatch(n.X, outputs.Select(r => (double[])r.Clone()).ToArray()); }
        catch (NetworkFormatException) { return PropertyVerdict.Holds; }   // e.g. softmax outputs that do not sum to 1 within k·ε
        GradientReport report = GradientCheck.Compare(Truth.For(exact, precision), impl.Gradients(exact).Flatten());
        if (report.Zone == Zone.Agrees) return PropertyVerdict.Holds;
        return PropertyVerdict.Of(report.Rows.Select(r => r.ToFinding()), "with every target equal to its output: ") with { Table = report };
    }

    /// <summary>
    /// The exact slope of E along the step direction −g is s = −Σ_k (∂E/∂θ_k)·g_k, which is −‖g‖² when g
    /// is the gradient. With g within its bound B of the exact gradient, s ≤ −‖g‖² + Σ_k |g_k|·B_k: the
    /// step goes downhill unless the gradient is lost in its own rounding. Beyond that, E increases
    /// along the step: the gradient points the wrong way.
    /// </summary>
    public static PropertyVerdict SmallStepDoesNotIncreaseLoss(IBackprop impl, Network n, Precision precision)
    {
        double[] g = impl.Gradients(n).Flatten();
        double norm2 = g.Sum(v => v * v);
        if (norm2 == 0 || !double.IsFinite(norm2)) return PropertyVerdict.Holds;
        Truth t = Truth.For(n, precision);
        double slope = 0, size = 0;
        for (int k = 0; k < g.Length; k++)
        {
            double term = -(t.Exact.Gradient[k] + t.Exact.GradientLo[k]) * g[k];
            slope += term;
            size += Math.Abs(term);
        }
        double rounding = g.Length * Validation.MachineEpsilon * size;
        // how far above −‖g‖² the slope may lie with g within one tier's bounds (0·∞ is no error, not NaN)
        double Allowed(RoundingBounds tier) => Math.Max(0, g.Select((v, k) => v == 0 ? 0 : Math.Abs(v) * tier.Gradient[k]).Sum() - norm2) + rounding;
        double cAllowed = Allowed(t.Careful);
        if (slope <= cAllowed) return PropertyVerdict.Holds;
        double tAllowed = Allowed(t.Textbook);
        Zone z = double.IsInfinity(tAllowed) ? Zone.Range : slope <= tAllowed ? Zone.Accuracy : Zone.Wrong;
        // as for an answer: within the bounds of the formulations that can represent the network, accuracy
        if (z == Zone.Range && Allowed(t.InRange) is var inRange && slope <= inRange) (z, tAllowed) = (Zone.Accuracy, inRange);
        var f = new Finding(z, "the exact slope of E along -dE/dW", slope, -norm2, cAllowed + norm2, tAllowed + norm2, "a correct gradient makes it");
        string what = slope > 0 ? $"E increases along the step direction -dE/dW: its exact slope there is {R(slope)} > 0"
                                : $"the exact slope of E along -dE/dW is {R(slope)}, shallower than rounding allows";
        return new PropertyVerdict(z, [f], $"{what} (a correct gradient gives -{R(norm2)})");
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Entry by entry, actual against what the law predicts from the implementation's other
    /// answers, with the two sides' bounds added.</summary>
    /// <param name="bounds">The law's bound entry by entry, from one tier of its truths' bounds: careful,
    /// textbook, or the textbook without the formulations that cannot represent the network
    /// (<see cref="Truth.InRange"/>), as an answer judged against its exact value is.</param>
    static PropertyVerdict Law(Network n, double[] actual, double[] predicted, Func<Func<Truth, RoundingBounds>, double[]> bounds, string what, string whose)
    {
        if (actual.Length != predicted.Length) return Wrong($"{whose} has {actual.Length} entries, expected {predicted.Length}");
        double[] careful = bounds(t => t.Careful);
        bool agrees = true;
        for (int k = 0; k < actual.Length && agrees; k++)
            agrees = double.IsFinite(actual[k]) && Math.Abs(actual[k] - predicted[k]) <= careful[k];
        if (agrees) return PropertyVerdict.Holds;
        double[] textbook = bounds(t => t.Textbook);
        double[]? inRange = null;
        double[] InRange() => inRange ??= bounds(t => t.InRange);
        string[] names = ParameterIndex.Names(n);
        var findings = new List<Finding>();
        for (int k = 0; k < actual.Length; k++)
        {
            int kk = k;
            Zone z = Zones.Of(actual[k], predicted[k], 0, careful[k], () => textbook[kk], () => InRange()[kk]);
            if (z != Zone.Agrees)
                findings.Add(new Finding(z, $"{names[k]}: {whose}", actual[k], predicted[k], careful[k], Truth.Shown(z, textbook[k], () => InRange()[kk]), what)
                    { On = AnswerKind.Gradient, Index = k });
        }
        return PropertyVerdict.Of(findings);
    }

    static double[] Add(double[] a, double[] b, double scale) => a.Select((v, k) => v + scale * b[k]).ToArray();

    static PropertyVerdict Wrong(string message) =>
        new(Zone.Wrong, [new Finding(Zone.Wrong, "the answer's shape", double.NaN, double.NaN, 0, 0, message)], message);


    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The networks the properties derive from a network, made once per network object and remembered
/// with it: the properties and `check`'s pipelined requests must ask about the same objects.
/// </summary>
public static class Derived
{
    sealed class Set
    {
        public Network[]? Halves;
        public Network? Sse, Mse, Twice, Permuted;
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Network, Set> Sets = new();

    static Set Of(Network n) => Sets.GetOrCreateValue(n);

    /// <summary>The first ⌈m/2⌉ examples, and the rest (m ≥ 2).</summary>
    public static IReadOnlyList<Network> Halves(Network n)
    {
        Set s = Of(n);
        int first = (n.BatchSize + 1) / 2;
        lock (s) return s.Halves ??= [n.WithBatch(n.X[..first], n.T[..first]), n.WithBatch(n.X[first..], n.T[first..])];
    }

    /// <summary>The same network and batch under another squared loss (itself when it has it).</summary>
    public static Network WithLoss(Network n, LossKind loss)
    {
        if (n.Loss == loss) return n;
        Set s = Of(n);
        lock (s)
            return loss == LossKind.HalfSse ? s.Sse ??= Create(n, loss) : s.Mse ??= Create(n, loss);

        static Network Create(Network n, LossKind loss) => Network.Create(n.Inputs, n.Layers, loss, n.LearningRate, n.X, n.T, n.Name, n.Source);
    }

    /// <summary>The batch twice over.</summary>
    public static Network Twice(Network n)
    {
        Set s = Of(n);
        lock (s) return s.Twice ??= n.WithBatch([.. n.X, .. n.X], [.. n.T, .. n.T]);
    }

    /// <summary>Layer 0's units rotated by one (and the layer above's columns with them).</summary>
    public static Network Permuted(Network n)
    {
        Set s = Of(n);
        lock (s) return s.Permuted ??= Properties.Permute(n, Enumerable.Range(0, n.Layers[0].Units).Select(j => (j + 1) % n.Layers[0].Units).ToArray());
    }

    /// <summary>Every network whose gradients the properties will ask for, besides the network itself,
    /// as far as it is known before any answer: the requests `check` can send ahead.</summary>
    public static IEnumerable<Network> Ahead(Network n)
    {
        if (n.BatchSize > 1) foreach (Network half in Halves(n)) yield return half;
        if (n.Loss is LossKind.HalfSse or LossKind.HalfMse)
            yield return WithLoss(n, n.Loss == LossKind.HalfSse ? LossKind.HalfMse : LossKind.HalfSse);
        if (n.Loss == LossKind.HalfSse) yield return Twice(n);
        if (n.Layers.Count >= 2 && n.Layers[0].Units >= 2) yield return Permuted(n);
    }
}
