using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Derivatives;

/// <summary>One parameter: a weight W[j, i] or a bias b[j] of layer l.</summary>
public readonly record struct ParameterRef(int Layer, int J, int I, bool IsBias)
{
    public override string ToString() => IsBias ? $"layers[{Layer}].biases[{J}]" : $"layers[{Layer}].weights[{J}][{I}]";

    /// <summary>Every parameter, in the order of <see cref="ParameterIndex.Flatten"/>.</summary>
    public static ParameterRef[] All(Network n)
    {
        var all = new List<ParameterRef>();
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++) all.Add(new ParameterRef(l, j, i, false));
            if (layer.B is not null)
                for (int j = 0; j < layer.Units; j++) all.Add(new ParameterRef(l, j, 0, true));
        }
        return all.ToArray();
    }

    /// <summary>The <paramref name="k"/>-th parameter in that order, without listing them all.</summary>
    public static ParameterRef At(Network n, int k)
    {
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            int weights = layer.Units * layer.FanIn;
            if (k < weights) return new ParameterRef(l, k / layer.FanIn, k % layer.FanIn, false);
            k -= weights;
            int biases = layer.B?.Length ?? 0;
            if (k < biases) return new ParameterRef(l, k, 0, true);
            k -= biases;
        }
        throw new ArgumentOutOfRangeException(nameof(k), "beyond the network's parameters");
    }

    public T Get<T>(Parameters<T> p) where T : IScalar<T> => IsBias ? p.B[Layer]![J] : p.W[Layer][J, I];

    public void Set<T>(Parameters<T> p, T value) where T : IScalar<T>
    {
        if (IsBias) p.B[Layer]![J] = value; else p.W[Layer][J, I] = value;
    }
}

/// <summary>The three independent derivative oracles for one network.</summary>
public sealed class OracleGradients
{
    public required Network Network { get; init; }
    public required ParameterRef[] Parameters { get; init; }
    /// <summary>(2) exact forward mode: dE/dθ from the forward pass on dual numbers.</summary>
    public required double[] Dual { get; init; }
    /// <summary>Σ|terms| behind each <see cref="Dual"/> entry: the scale of its rounding error.</summary>
    public required double[] Magnitude { get; init; }
    /// <summary>The running error bound of each <see cref="Dual"/> entry (Dual.ED).</summary>
    public required double[] ErrorBound { get; init; }

    /// <summary>How far a correct reverse-mode value may lie from <see cref="Dual"/>[k] (<see cref="DualTolerance"/>).</summary>
    public double Tolerance(int k) => DualTolerance.Of(Network, Dual[k], Magnitude[k], ErrorBound[k]);
    /// <summary>(3) Richardson-extrapolated central difference; NaN where skipped (a kink).</summary>
    public required double[] FiniteDifference { get; init; }
    /// <summary>The finite difference's own error estimate.</summary>
    public required double[] FiniteDifferenceError { get; init; }
    /// <summary>True where a ReLU pre-activation changes sign within the difference's steps.</summary>
    public required bool[] Kink { get; init; }
    /// <summary>(3′) complex step, on networks without ReLU; null otherwise.</summary>
    public required double[]? ComplexStep { get; init; }
}

/// <summary>
/// How far two careful double computations of the same derivative may differ when one is the dual
/// number's forward mode: the per-parameter oracles' own agreement (the reference's proof on small
/// networks). Implementations are judged by <see cref="Judging.ErrorModel"/> against the exact values.
/// </summary>
public static class DualTolerance
{
    /// <summary>
    /// K for the reverse-vs-dual comparison: |reverse − dual| ≤ K·ε·(M + |dual|), with M the dual's
    /// Σ|terms|. Both sides sum the same chain-rule products in different orders, so each is within
    /// γ·M of the exact value, γ ≈ (roundings per term + terms per sum)·ε: per layer about 32 roundings
    /// (net's product and sum, exp, the sigmoid's divide, 1 − out's inherited ≤ 16ε, δ's products),
    /// and the longest sum is the larger of a fan-in + 1, a layer's units, or the m·outputs terms of E.
    /// Twice that, for the two sides.
    /// </summary>
    public static double K(Network n)
    {
        int longestSum = Math.Max(n.BatchSize * n.Output.Units, n.Layers.Max(l => Math.Max(l.FanIn + 1, l.Units)));
        return 2.0 * (32 * n.Layers.Count + longestSum + 16);
    }

    /// <summary>K·ε·(M + |dual|) + 2·ED: summing the same chain-rule terms in another order, and the
    /// errors carried in from rounded values (ED bounds the dual's; reverse mode uses the same rounded
    /// values, so at most as much again).</summary>
    public static double Of(Network n, double dual, double magnitude, double errorBound) =>
        K(n) * Validation.MachineEpsilon * (magnitude + Math.Abs(dual)) + 2 * errorBound + double.Epsilon;
}

public static class Oracles
{
    /// <summary>The largest step of the central differences, relative to max(1, |θ|): 2⁻¹⁰ ≈ 1e-3.
    /// Richardson extrapolation over h, h/2, h/4 cancels the h² and h⁴ terms, so a large step keeps
    /// the rounding error (≈ ε·E/h) small without a large truncation error.</summary>
    public const double Step = 1.0 / 1024;

    /// <summary>The complex step: small enough that h² terms vanish below ε, with no cancellation.</summary>
    public const double ComplexStepSize = 1e-20;

    /// <summary>2⁻⁹⁶⁰: an imaginary part this large kept all 53 bits through 60 halvings' worth of
    /// products below it; smaller ones may have passed through the subnormal range.</summary>
    public const double ComplexStepFloor = 1.0265992597076214E-289;

    /// <summary>
    /// The oracles of a network, remembered for the networks seen last: the property tests and
    /// `check` judge the same seeded networks several times. Keyed by the whole network document,
    /// so equal networks share one (immutable) result; bounded, so memory stays flat.
    /// </summary>
    public static OracleGradients Compute(Network network, bool finiteDifferences = true, bool complexStep = true)
    {
        string document = network.ToString(), key = $"{finiteDifferences}{complexStep}{document}";
        if (Memo.TryGetValue(key, out OracleGradients? known)) return known;
        // a full computation answers any request: its dual part is the same
        if (Memo.TryGetValue($"{true}{true}{document}", out OracleGradients? full)) return full;
        OracleGradients computed = ComputeNow(network, finiteDifferences, complexStep);
        if (Memo.Count >= MemoCapacity) Memo.Clear();
        Memo[key] = computed;
        return computed;
    }

    internal const int MemoCapacity = 2048;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, OracleGradients> Memo = new();

    /// <summary>How many oracles the memo holds now (at most <see cref="MemoCapacity"/>).</summary>
    internal static int MemoCount => Memo.Count;

    static OracleGradients ComputeNow(Network network, bool finiteDifferences, bool complexStep)
    {
        ParameterRef[] ps = ParameterRef.All(network);
        var dual = new double[ps.Length];
        var magnitude = new double[ps.Length];
        var errorBound = new double[ps.Length];
        var dualParams = Parameters<Dual>.Of(network);
        for (int k = 0; k < ps.Length; k++)
        {
            Dual original = ps[k].Get(dualParams);
            ps[k].Set(dualParams, original with { D = 1, M = 1 });
            Dual e = Forward.Evaluate(network, dualParams).E;
            ps[k].Set(dualParams, original);
            dual[k] = e.D;
            magnitude[k] = e.M;
            errorBound[k] = e.ED;
        }

        var fd = new double[ps.Length];
        var fdError = new double[ps.Length];
        var kink = new bool[ps.Length];
        if (finiteDifferences) FiniteDifferences(network, ps, fd, fdError, kink);
        else Array.Fill(fd, double.NaN);

        double[]? cs = null;
        if (complexStep && !HasKinks(network))
        {
            cs = new double[ps.Length];
            var cParams = Parameters<ComplexStep>.Of(network);
            for (int k = 0; k < ps.Length; k++)
            {
                ComplexStep original = ps[k].Get(cParams);
                ps[k].Set(cParams, original with { Im = ComplexStepSize });
                double im = Forward.Evaluate(network, cParams).E.Im;
                // Im E = h·dE/dθ must itself be a normal number with digits to spare, or it holds
                // no digits of the derivative: then the complex step has nothing to say (NaN).
                cs[k] = ComplexStepDerivative(im);
                ps[k].Set(cParams, original);
            }
        }
        return new OracleGradients
        {
            Network = network, Parameters = ps, Dual = dual, Magnitude = magnitude, ErrorBound = errorBound,
            FiniteDifference = fd, FiniteDifferenceError = fdError, Kink = kink, ComplexStep = cs,
        };
    }

    /// <summary>dE/dθ from Im E at the complex step: NaN below <see cref="ComplexStepFloor"/> (the floor
    /// itself still holds its digits).</summary>
    internal static double ComplexStepDerivative(double im) => Math.Abs(im) >= ComplexStepFloor ? im / ComplexStepSize : double.NaN;

    /// <summary>dE/dθ·v along a direction v, exactly, in one forward pass on duals. Returns the
    /// directional derivative and the magnitude Σ|terms| behind it.</summary>
    public static (double derivative, double magnitude, double errorBound) Directional(Network network, double[] v, Parameters<Dual>? reuse = null)
    {
        // every parameter's value is the network's; only D and M are set here, so a reused set is as new
        var p = reuse ?? Parameters<Dual>.Of(network);
        int k = 0;                                           // ParameterIndex order
        for (int l = 0; l < p.W.Length; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++, k++) p.W[l][j, i] = p.W[l][j, i] with { D = v[k], M = Math.Abs(v[k]) };
            if (p.B[l] is { } b)
                for (int j = 0; j < b.Length; j++, k++) b[j] = b[j] with { D = v[k], M = Math.Abs(v[k]) };
        }
        Dual e = Forward.Evaluate(network, p).E;
        return (e.D, e.M, e.ED);
    }

    public static bool HasKinks(Network n) => n.Layers.Any(l => l.Activation == Activation.Relu);

    static void FiniteDifferences(Network network, ParameterRef[] ps, double[] fd, double[] fdError, bool[] kink)
    {
        var p = Parameters<Real>.Of(network);
        ForwardPass<Real> basePass = Forward.Evaluate(network, p);
        sbyte[] basePattern = ReluPattern(network, basePass);
        double noise = EvaluationNoise(network);
        for (int k = 0; k < ps.Length; k++)
        {
            double theta = ps[k].Get(p).Value;
            double h = Step * Math.Max(1, Math.Abs(theta));
            // D(s) = (E(θ + s) − E(θ − s)) / ((θ + s) − (θ − s)), dividing by the step actually taken
            var d = new double[3];
            bool crossed = false;
            for (int rung = 0; rung < 3; rung++)
            {
                double s = h / (1 << rung);
                double up = theta + s, down = theta - s;
                ps[k].Set(p, new Real(up));
                ForwardPass<Real> fUp = Forward.Evaluate(network, p);
                ps[k].Set(p, new Real(down));
                ForwardPass<Real> fDown = Forward.Evaluate(network, p);
                crossed |= !ReluPattern(network, fUp).AsSpan().SequenceEqual(basePattern)
                         || !ReluPattern(network, fDown).AsSpan().SequenceEqual(basePattern);
                d[rung] = (fUp.E.Value - fDown.E.Value) / (up - down);
            }
            ps[k].Set(p, new Real(theta));
            if (crossed)
            {
                // A ReLU turns on or off inside [θ − h, θ + h]: E is not smooth there and no difference
                // quotient converges to the derivative the convention relu′(0) = 0 defines. The
                // coordinate is judged by the dual result alone (same convention, no step).
                kink[k] = true;
                fd[k] = double.NaN;
                fdError[k] = double.NaN;
                continue;
            }
            (fd[k], fdError[k]) = Extrapolate(d[0], d[1], d[2], noise, h);
        }
    }

    /// <summary>
    /// The rule on one coordinate's differences D(h), D(h/2), D(h/4), each with a rounding of E of at
    /// most <paramref name="noise"/>. Unless they shrink like h² beyond the noise (the last change at
    /// most 16·noise/(h/4), or the first at least twice the last), the function is not smooth at this
    /// scale (a saturated unit that the step pulls out of saturation): no estimate is a bound there,
    /// and the coordinate has no finite-difference value, (NaN, NaN), like a kink. Otherwise the
    /// difference extrapolated twice and its error estimate: |r2 − r1| is the size of the h⁴ term of
    /// r1, far above what is left in r; the rounding of E enters each D(s) as noise/s, and r weighs
    /// D(h/4) by 64/45.
    /// </summary>
    internal static (double value, double error) Extrapolate(double d0, double d1, double d2, double noise, double h)
    {
        if (Math.Abs(d1 - d2) > 16 * noise / (h / 4) && Math.Abs(d0 - d1) < 2 * Math.Abs(d1 - d2))
            return (double.NaN, double.NaN);
        return Richardson(d0, d1, d2, noise, h);
    }

    /// <summary>D(h), D(h/2), D(h/4) extrapolated twice, and the estimate of what is left: the one
    /// formula of both numeric oracles, once their own rule has accepted the differences.</summary>
    internal static (double value, double error) Richardson(double d0, double d1, double d2, double noise, double h)
    {
        double r1 = (4 * d1 - d0) / 3, r2 = (4 * d2 - d1) / 3;   // h² term removed
        double r = (16 * r2 - r1) / 15;                           // h⁴ term removed
        return (r, Math.Abs(r2 - r1) + 8 * noise / (h / 4));
    }

    /// <summary>
    /// A bound on the rounding error of one evaluation of E: 64·ε times the absolute size of what E
    /// sums, Σ|loss terms| plus, for every unit, |∂E/∂net| · Σ|W·in| (how far a relative rounding
    /// of a net input moves E). 64 covers the ≈ 3 roundings per layer of five layers with sums of up to
    /// 17 terms, exp and log.
    /// </summary>
    public static double EvaluationNoise(Network network)
    {
        ForwardPass<double> f = Forward.Run(network);
        LayerGradients<double>[] g = Backward.Run(network, f);
        double size = Math.Abs(f.E) + LossTermSize(network, f);
        for (int l = 0; l < network.Layers.Count; l++)
        {
            Layer layer = network.Layers[l];
            double[][] input = l == 0 ? network.X : f.Out[l - 1];
            for (int n = 0; n < network.BatchSize; n++)
                for (int j = 0; j < layer.Units; j++)
                {
                    double sum = layer.B is null ? 0 : Math.Abs(layer.B[j]);
                    for (int i = 0; i < layer.FanIn; i++) sum += Math.Abs(layer.W[j, i] * input[n][i]);
                    double sensitivity = Math.Abs(g[l].delta[n][j]);
                    if (double.IsFinite(sensitivity)) size += sensitivity * sum;
                }
        }
        return 64 * Validation.MachineEpsilon * size;
    }

    static double LossTermSize(Network network, ForwardPass<double> f)
    {
        if (!Loss.IsFused(network.Loss)) return 0;
        double size = 0;
        for (int n = 0; n < network.BatchSize; n++)
            for (int k = 0; k < network.Output.Units; k++)
                size += Math.Abs(network.T[n][k] * f.Net[^1][n][k]) + Math.Abs(f.Net[^1][n][k]);
        return size / network.BatchSize;
    }

    /// <summary>The sign (−1, 0, +1) of every ReLU pre-activation, for every example.</summary>
    internal static sbyte[] ReluPattern(Network network, ForwardPass<Real> pass)
    {
        var pattern = new List<sbyte>();
        for (int l = 0; l < network.Layers.Count; l++)
            if (network.Layers[l].Activation == Activation.Relu)
                foreach (Real[] example in pass.Net[l])
                    foreach (Real net in example) pattern.Add((sbyte)Math.Sign(net.Value));
        return pattern.ToArray();
    }
}
