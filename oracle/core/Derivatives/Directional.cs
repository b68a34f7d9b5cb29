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

    public static DirectionalCheck Verify(Truth truth, int directions = DefaultDirections, ulong seed = RunSettings.DefaultSeed)
    {
        Network n = truth.Network;
        ExactValues x = truth.Exact;
        var problems = new List<string>();
        var rng = new SplitMix(SplitMix.Hash(seed, (ulong)x.Gradient.Length));
        for (int d = 0; d < directions; d++)
        {
            var u = new double[x.Gradient.Length];                        // [P]  entries ±1
            for (int k = 0; k < u.Length; k++) u[k] = (rng.NextULong() & 1) == 0 ? 1 : -1;
            // uᵀg in double-double: exact to 2⁻¹⁰⁰ of Σ|g|
            DoubleDouble exact = new(0, 0);
            double size = 0;
            for (int k = 0; k < u.Length; k++)
            {
                exact += new DoubleDouble(u[k] * x.Gradient[k], u[k] * x.GradientLo[k]);
                size += Math.Abs(x.Gradient[k]);
            }
            double uTg = exact.Hi + exact.Lo, own = size * Math.ScaleB(1, -98);

            var (dual, magnitude, errorBound) = Oracles.Directional(n, u);
            // a ReLU within rounding of its kink: the double computations may take either derivative
            // there, by as much as the careful bounds of the entries through it
            double kinks = truth.Careful.AmbiguousKinks.Count == 0 ? 0 : truth.Careful.Gradient.Sum();
            double tolerance = DualTolerance.Of(n, dual, magnitude, errorBound) + own + kinks;
            if (!(Math.Abs(dual - uTg) <= tolerance))
                problems.Add($"direction {d}: the exact u·g is {uTg:R}, forward mode on dual numbers gives {dual:R} (tolerance {tolerance:G3})");

            // θ ± s·u rounds each θ_k by ≤ ε/2·|θ_k|: the step along u is off by that over s ≤ 2⁻¹²·max|θ|,
            // which moves the difference by ≤ 2¹²·ε·Σ|g| (a bound on Σ|∂E/∂θ_k|·|δθ_k|/s)
            double stepRounding = 4096 * Validation.MachineEpsilon * size;
            if (Richardson(n, u) is { } fd && !(Math.Abs(fd.value - uTg) <= fd.estimate + tolerance + stepRounding))
                problems.Add($"direction {d}: the exact u·g is {uTg:R}, the Richardson difference gives {fd.value:R} ± {fd.estimate:G3}");
        }
        return new DirectionalCheck(directions, problems);
    }

    /// <summary>
    /// (E(θ + s·u) − E(θ − s·u))/2s at s = h, h/2, h/4 with h = 2⁻¹⁰·max(1, max|θ|), extrapolated
    /// twice. Null when a ReLU changes sign within the steps (a kink: no difference converges) or
    /// when the three differences do not shrink like h² (|D₀ − D₁| ≥ 2|D₁ − D₂|, beyond the noise):
    /// then the function is not smooth enough at this scale for the estimate to be a bound.
    /// </summary>
    static (double value, double estimate)? Richardson(Network n, double[] u)
    {
        var p = Parameters<Real>.Of(n);
        ParameterRef[] ps = ParameterRef.All(n);
        var theta = new double[ps.Length];
        double scale = 1;
        for (int k = 0; k < ps.Length; k++) { theta[k] = ps[k].Get(p).Value; scale = Math.Max(scale, Math.Abs(theta[k])); }
        sbyte[] basePattern = Oracles.ReluPattern(n, Forward.Evaluate(n, p));
        double noise = Oracles.EvaluationNoise(n), h = scale / 1024;
        var d = new double[3];
        for (int rung = 0; rung < 3; rung++)
        {
            double s = h / (1 << rung);
            double E(double sign)
            {
                for (int k = 0; k < ps.Length; k++) ps[k].Set(p, new Real(theta[k] + sign * s * u[k]));
                ForwardPass<Real> f = Forward.Evaluate(n, p);
                if (!Oracles.ReluPattern(n, f).AsSpan().SequenceEqual(basePattern)) return double.NaN;
                return f.E.Value;
            }
            d[rung] = (E(1) - E(-1)) / (2 * s);
            if (double.IsNaN(d[rung]) || !double.IsFinite(d[rung])) return null;
        }
        double floor = 16 * noise / (h / 4);
        if (Math.Abs(d[1] - d[2]) > floor && Math.Abs(d[0] - d[1]) < 2 * Math.Abs(d[1] - d[2])) return null;
        double r1 = (4 * d[1] - d[0]) / 3, r2 = (4 * d[2] - d[1]) / 3;
        return ((16 * r2 - r1) / 15, Math.Abs(r2 - r1) + 8 * noise / (h / 4));
    }
}
