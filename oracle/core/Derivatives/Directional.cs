using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Derivatives;

/// <summary>The exact gradient's cross-check along a few random directions: what disagreed, if anything.</summary>
public sealed record DirectionalCheck(int Directions, IReadOnlyList<string> Problems)
{
    public bool Agrees => Problems.Count == 0;
}

/// <summary>
/// Independence at O(P). The exact gradient g comes from the reference's own algorithm (backprop,
/// in double-double), so on every network it is cross-checked by methods that share nothing with
/// it, along k random directions u (entries ±1), each in O(P):
/// <list type="bullet">
/// <item>forward mode: the forward pass on dual numbers seeded with u gives uᵀg directly, with its
/// own running error bound (<see cref="DualTolerance"/>);</item>
/// <item>Richardson-extrapolated central differences of E along u, at steps h, h/2, h/4, with the
/// estimate |R₂ − R₁| + 8·noise/(h/4), used only when the three differences converge like h² and no
/// ReLU changes sign along the way: a difference that has not converged says nothing.</item>
/// </list>
/// A disagreement is a problem of the oracle, reported as such; it never decides an implementation's
/// verdict. On small networks the per-parameter oracles (<see cref="Oracles"/>) check g entry by entry.
/// </summary>
public static class Directional
{
    public const int DefaultDirections = 2;

    /// <summary>The problems <see cref="Verify"/> finds with its default directions: what <c>check</c> and <c>selftest</c>
    /// ask of every network (a parameter of theirs, so tests can show how a problem of the oracle is reported).</summary>
    public static IReadOnlyList<string> Problems(Truth truth, ulong seed) => Verify(truth, seed: seed).Problems;

    public static DirectionalCheck Verify(Truth truth, int directions = DefaultDirections, ulong seed = RunSettings.DefaultSeed)
    {
        Network n = truth.Network;
        ExactValues x = truth.Exact;
        var problems = new List<string>();
        var rng = new SplitMix(SplitMix.Hash(seed, (ulong)x.Gradient.Length));
        double[] theta = Parameters.Of(n).Flatten();                      // [P]
        Parameters<Dual>? dualParameters = null;                          // reused across directions
        var realParameters = Parameters<Real>.Of(n);
        double noise = Oracles.EvaluationNoise(n);
        // which ReLUs are on at θ: a difference is taken only where every step keeps this pattern
        sbyte[] basePattern = Oracles.ReluPattern(n, Forward.Evaluate(n, realParameters));
        for (int d = 0; d < directions; d++)
        {
            // v_k = ±max(1, |θ_k|)·2⁻¹⁰/√P: every parameter moves by at most 2⁻¹⁰ of its size, and the
            // whole step stays as short as one parameter's step of the per-parameter differences
            var v = new double[x.Gradient.Length];                        // [P]
            double shrink = Math.ScaleB(1, -10) / Math.Sqrt(Math.Max(1, v.Length));
            for (int k = 0; k < v.Length; k++)
                v[k] = ((rng.NextULong() & 1) == 0 ? 1 : -1) * Math.Max(1, Math.Abs(theta[k])) * shrink;
            // vᵀg in double-double: exact to 2⁻¹⁰⁰ of Σ|v·g|
            DoubleDouble exact = new(0, 0);
            double size = 0;
            for (int k = 0; k < v.Length; k++)
            {
                exact += DoubleDouble.TwoProd(v[k], x.Gradient[k]) + new DoubleDouble(v[k] * x.GradientLo[k], 0);
                size += Math.Abs(v[k] * x.Gradient[k]);
            }
            double vTg = exact.Hi + exact.Lo, own = size * Math.ScaleB(1, -98);

            var (dual, magnitude, errorBound) = Oracles.Directional(n, v, dualParameters ??= Parameters<Dual>.Of(n));
            // a ReLU within rounding of its kink: the double computations may take either derivative
            // there, by as much as the careful bounds of the entries through it
            double kinks = truth.Careful.AmbiguousKinks.Count == 0 ? 0 : v.Select((vk, k) => Math.Abs(vk) * truth.Careful.Gradient[k]).Sum();
            double tolerance = DualAllowance(DualTolerance.Of(n, dual, magnitude, errorBound), own, kinks);
            if (DualProblem(d, vTg, dual, tolerance) is { } problem) problems.Add(problem);

            // θ + s·v rounds each θ_k by ≤ ε/2·|θ_k| ≤ ε/2·2¹⁰·√P·|v_k|: the step along v is off by that
            // over s ≥ 1/4, which moves the difference by ≤ 2¹²·√P·ε·Σ|v·g|
            double stepRounding = 4096 * Math.Sqrt(v.Length) * Validation.MachineEpsilon * size;
            if (Richardson(n, realParameters, basePattern, noise, theta, v) is { } fd && !Within(fd.value, vTg, fd.estimate + tolerance + stepRounding))
                problems.Add($"direction {d}: the exact v·g is {vTg:R}, the Richardson difference gives {fd.value:R} ± {fd.estimate:G3}");
        }
        return new DirectionalCheck(directions, problems);
    }

    /// <summary>How far forward mode's v·g may lie from the exact one: the duals' own running bound, the exact side's
    /// own error (<paramref name="own"/>, 2⁻⁹⁸·Σ|v·g|: the double-double sum's), and where a ReLU sits within rounding
    /// of its kink the allowance of the entries through it (<paramref name="kinks"/>).</summary>
    internal static double DualAllowance(double dualTolerance, double own, double kinks) => dualTolerance + own + kinks;

    /// <summary>The problem to report when forward mode's <paramref name="dual"/> lies beyond <paramref name="tolerance"/>
    /// (<see cref="DualAllowance"/>) of the exact <paramref name="vTg"/> along direction <paramref name="d"/>; null when within it.</summary>
    internal static string? DualProblem(int d, double vTg, double dual, double tolerance) =>
        Within(dual, vTg, tolerance) ? null : $"direction {d}: the exact v·g is {vTg:R}, forward mode on dual numbers gives {dual:R} (tolerance {tolerance:G3})";

    /// <summary>Two values agree when they differ by at most the bound, the bound itself included; a NaN
    /// on either side, or as the bound, is a disagreement.</summary>
    internal static bool Within(double value, double exact, double bound) => Math.Abs(value - exact) <= bound;

    /// <summary>
    /// (E(θ + s·v) − E(θ − s·v))/2s at s = 1, 1/2, 1/4, extrapolated twice. Null when a ReLU changes
    /// sign within the steps (a kink: no difference converges) or when the three differences do not
    /// shrink like s² (their successive changes in a ratio between 3 and 5, unless both are within
    /// the noise), or when the last change is still above 1/16 of the last difference: then the
    /// function is not smooth at this scale and no estimate is a bound. (In a selftest of a million
    /// networks a tanh saturated by weights near 10 gave differences 0.297, −0.075, −0.163: changes in
    /// the ratio 4.2 by chance, far from converged, and an extrapolation 0.017 from v·g.)
    /// </summary>
    static (double value, double estimate)? Richardson(Network n, Parameters<Real> p, sbyte[] basePattern, double noise, double[] theta, double[] v)
    {
        var d = new double[3];                                            // D(1), D(1/2), D(1/4)
        for (int rung = 0; rung < 3; rung++)
        {
            double s = 1.0 / (1 << rung);
            double E(double sign)
            {
                Move(p, theta, v, sign * s);
                ForwardPass<Real> f = Forward.Evaluate(n, p);
                if (!Oracles.ReluPattern(n, f).AsSpan().SequenceEqual(basePattern)) return double.NaN;
                return f.E.Value;
            }
            d[rung] = (E(1) - E(-1)) / (2 * s);
            if (!double.IsFinite(d[rung])) return null;
        }
        return Extrapolate(d[0], d[1], d[2], noise);
    }

    /// <summary>
    /// The rule on the three differences D(1), D(1/2), D(1/4), each with a rounding of E of at most
    /// <paramref name="noise"/>: null unless their changes shrink like s² (a ratio from 3 to 5, both
    /// edges accepted) with the last change at most 1/16 of the last difference, or the last change is
    /// within the noise floor 16·noise/¼ (then the ratio says nothing). Otherwise the difference
    /// extrapolated twice (h² and h⁴ terms removed) and its estimate |R₂ − R₁| + 8·noise/¼.
    /// </summary>
    internal static (double value, double estimate)? Extrapolate(double d0, double d1, double d2, double noise)
    {
        double floor = 16 * noise / 0.25, first = Math.Abs(d0 - d1), second = Math.Abs(d1 - d2);
        if (second > floor && (first < 3 * second || first > 5 * second || second > Math.Abs(d2) / 16)) return null;
        return Oracles.Richardson(d0, d1, d2, noise, h: 1);
    }

    /// <summary>p ← θ + s·v, in <see cref="ParameterIndex"/> order.</summary>
    static void Move(Parameters<Real> p, double[] theta, double[] v, double s)
    {
        int k = 0;
        for (int l = 0; l < p.W.Length; l++)
        {
            for (int j = 0; j < p.W[l].GetLength(0); j++)
                for (int i = 0; i < p.W[l].GetLength(1); i++, k++) p.W[l][j, i] = new Real(theta[k] + s * v[k]);
            if (p.B[l] is { } b)
                for (int j = 0; j < b.Length; j++, k++) b[j] = new Real(theta[k] + s * v[k]);
        }
    }
}
