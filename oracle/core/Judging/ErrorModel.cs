namespace BackpropSpec.Oracle.Judging;

/// <summary>
/// The ways a correct backprop may be written that round differently. Each is a standard textbook
/// formulation; <see cref="ErrorModel.Textbook"/> allows all of them (and any mix: a bound is taken
/// per operation), <see cref="ErrorModel.Careful"/> none.
/// </summary>
[Flags]
public enum Formulation
{
    /// <summary>The careful forms the reference uses: σ′ = σ(net)·σ(−net), tanh′ = 1/cosh², the
    /// cancellation-free softmax Jacobian, losses from the logits with the fused δ = (o − t)/m, the
    /// softmax shifted by its largest net input.</summary>
    Careful = 0,
    /// <summary>Derivatives through out: σ′ = out·(1 − out), tanh′ = 1 − out², softmax Jacobian
    /// out_j·(g_j − Σ_k g_k·out_k), or formed as the matrix J_jk = out_j·([j = k] − out_k) and applied
    /// to g (its products out_j·out_k may underflow).</summary>
    DerivativesFromOut = 1,
    /// <summary>Cross-entropy losses from probabilities (−[t ln o + (1 − t) ln(1 − o)], −Σ t ln o),
    /// and their δ through ∂E/∂o and the activation's derivative instead of the fused (o − t)/m.</summary>
    LossesFromProbabilities = 2,
    /// <summary>Softmax as e^{net_j}/Σ_k e^{net_k}, without subtracting the largest net input.</summary>
    UnshiftedSoftmax = 4,
    /// <summary>tanh from exponentials, (e^x − e^{−x})/(e^x + e^{−x}), (1 − e^{−2x})/(1 + e^{−2x}) or
    /// 2σ(2x) − 1, instead of the library's tanh: the difference cancels near 0.</summary>
    TanhFromExponentials = 8,
    /// <summary>The sigmoid from exponentials where they may overflow: σ = e^{x}/(1 + e^{x}), ∞/∞ = NaN for x
    /// above ln(max) (its rounding is σ's own, <see cref="ErrorModel.SigmoidError"/>); and σ′ from its
    /// definition's derivative, e^{−x}/(1 + e^{−x})² (or e^{−x}/(1 + e^{−x})/(1 + e^{−x})): accurate, but
    /// (1 + e^{−x})² overflows to ∞ for x below −ln(max)/2 (σ′ = 0, every digit of a representable value
    /// lost) and e^{−x} itself below −ln(max) (∞/∞ = NaN).</summary>
    SigmoidFromExponentials = 16,
    /// <summary>The frameworks' cross-entropies from probabilities, which clamp o away from 0 and 1
    /// (<see cref="ErrorModel.ProbabilityClip"/>): TensorFlow.js's layers losses ('binaryCrossentropy',
    /// 'categoricalCrossentropy' in model.compile, tf.metrics.*) and Keras on probabilities clip o to
    /// [1e-7, 1 − 1e-7], whose derivative is 0 outside; PyTorch's nn.BCELoss clamps ln o at −100 and divides
    /// its derivative by max(o(1 − o), 1e-12), both inside that. Where o may lie there the answer is the
    /// clamp's, not the derivative's (PyTorch's gradient at z = −30, t = 1 is a tenth of the true one;
    /// TensorFlow.js's is 0 for a softmax output of 7.6e-10 whose target is 0.66). The bound there grows by what
    /// the clip may move (<see cref="RoundingBounds"/>: up to the whole δ of a clipped sigmoid output), so the
    /// clip's answer is an accuracy finding named <c>probability-clamp</c>, and an answer beyond it still wrong.
    /// The other way to keep ln o finite, an ε added inside it (ln(o + ε), and −t/(o + ε) for its derivative:
    /// tf.losses.logLoss with its 1e-7, and many tutorials with 1e-8 to 1e-15), moves every answer a little:
    /// the loss term by t·ln(1 + ε/o), δ by about t·ε/o. The bound grows by that too, for ε up to 1e-7.</summary>
    ClampedProbabilities = 32,
    /// <summary>The probabilities from log space: σ = exp(−softplus(−x)), the softmax as exp(x_j − logsumexp(x))
    /// (SciPy 1.2's softmax, exp of a log-softmax or of a log-sigmoid). The exponent is a difference of numbers as
    /// large as |x|, rounded to u·|x|, which exp turns into a relative error of the output: at a softmax over
    /// 35 and 2, 2.4e-15 where the library's form keeps 1e-16.</summary>
    ProbabilitiesFromLogSpace = 64,
    All = DerivativesFromOut | LossesFromProbabilities | UnshiftedSoftmax | TanhFromExponentials | SigmoidFromExponentials | ClampedProbabilities
          | ProbabilitiesFromLogSpace,
}

/// <summary>
/// <b>The tolerance model, in one place.</b> A first-order, worst-case (running) error analysis of
/// backprop in the arithmetic of a <see cref="PrecisionProfile"/>, for the formulations allowed. Every
/// judged number (an output, the loss, a gradient entry, a stepped weight) gets a bound on how far
/// a correct implementation's answer may lie from the <em>exact</em> value:
/// <list type="bullet">
/// <item><see cref="Careful"/> (float64): what careful, backward-stable double arithmetic gives: an
/// answer within it <em>agrees</em>;</item>
/// <item><see cref="Textbook"/> (the declared precision): what any standard textbook formulation
/// gives: an answer beyond the careful bound but within this one is an <em>accuracy</em> finding;
/// beyond it, the answer is <em>wrong</em>. Where this bound is infinite (ln 0, e^{net} overflowing,
/// a division by a number that may round to 0), the textbook cannot represent the answer: a
/// non-finite value or an error reply there is a <em>range</em> finding.</item>
/// </list>
/// <see cref="RoundingBounds"/> propagates the bounds through the network (the same loops as
/// backprop, on absolute values); this class states what each operation adds. The rules, with
/// e(·) the bound of a computed value and u the unit roundoff:
/// <list type="number">
/// <item>Reading: a float32 implementation stores every number of the document: e = u·|x|, or |x|
/// below the smallest normal (flushed to 0); float64 reads exactly.</item>
/// <item>A sum of k terms, in any order, with or without fused multiply-adds, pairwise or blocked:
/// e ≤ Σ e(terms) + γ_k·Σ|terms| + k·floor, γ_k = k·u/(1 − k·u) (Higham, Accuracy and Stability of
/// Numerical Algorithms, §3.1; the k·u also covers the k products' own roundings). A sum whose terms
/// are exact, of one binary scale and small enough that every partial sum is representable, is
/// exact in any order: e = Σ e(terms) (<see cref="RoundingBounds"/> checks this, so a ReLU placed
/// exactly on its kink stays there in every implementation).</item>
/// <item>A product: e(ab) = |a|·e(b) + |b|·e(a) + e(a)·e(b) + u·|ab|; a quotient a/b: relative
/// e(a)/|a| + e(b)/(|b| − e(b)) + u, infinite when e(b) ≥ |b|.</item>
/// <item>exp, ln, tanh, cosh from the library: within <see cref="LibmUlps"/> ulps of the exact
/// function of the computed argument (glibc and V8's fdlibm port document &lt; 1 ulp for exp and ln in
/// double; numpy's SIMD float32 kernels up to 4), so a relative <see cref="Fn"/> = 2·ulps·u; tanh and
/// cosh within at least 2 ulps (<see cref="FnHyperbolic"/>: glibc's table of known maximum errors
/// gives 2 for them in double on x86_64; in a selftest of a million networks Math.Tanh(0.8749999999989999)
/// was 1.41 ulps from the exact value), plus the argument's
/// error through the function's largest slope within it (the mean value theorem: rigorous, not
/// only first order).</item>
/// <item>ln x with x in error by e: −ln(1 − e/x) (rigorous), infinite when e ≥ x: the textbook may
/// take ln 0.</item>
/// </list>
/// Local bounds of the nonlinear steps are below, each with its derivation. First order means
/// products of two rounding errors (u²) are dropped except where they are kept explicitly; at the
/// sizes checked (at most 2²⁰ terms in a sum) they are below 2⁻³⁰ of the first-order terms.
/// </summary>
public sealed record ErrorModel(PrecisionProfile Profile, Formulation Formulations, double LibmUlps)
{
    /// <summary>Careful double arithmetic, the library functions within 1 ulp (tanh and cosh 2): <em>agrees</em>.</summary>
    public static ErrorModel Careful(Precision p = Precision.Float64) => new(PrecisionProfile.Of(p), Formulation.Careful, 1);

    /// <summary>Every standard formulation, in the declared precision, library functions within 4 ulps.</summary>
    public static ErrorModel Textbook(Precision p) => new(PrecisionProfile.Of(p), Formulation.All, 4);

    /// <summary>One formulation alone (or none), for naming the cause of an accuracy finding.</summary>
    public ErrorModel Only(Formulation f) => this with { Formulations = f };

    public double U => Profile.U;
    public double Floor => Profile.Floor;

    /// <summary>γ_k = k·u/(1 − k·u): the relative error of k roundings in a row.</summary>
    public double Gamma(int k) => k * U / (1 - k * U);

    /// <summary>Relative error of one exp, ln, tanh or cosh result: ulps × 2u.</summary>
    public double Fn => 2 * LibmUlps * U;

    /// <summary>Relative error of one tanh or cosh result: <see cref="Fn"/>, but never below 2 ulps
    /// (glibc documents up to 2 for both in double).</summary>
    public double FnHyperbolic => 2 * Math.Max(LibmUlps, 2) * U;

    public bool Allows(Formulation f) => (Formulations & f) == f && f != Formulation.Careful;

    // ------------------------------------------------------------------ elementary rules

    /// <summary>e(ln x) for x computed with error e: −ln(1 − e/x) + the library's own Fn·|ln x|;
    /// infinite when x may be 0.</summary>
    public double LogError(double x, double e)
    {
        if (!(x > 0) || e >= x) return double.PositiveInfinity;
        return -Math.Log(1 - e / x) + Fn * Math.Abs(Math.Log(x)) + Floor;
    }

    /// <summary>The ε frameworks clip a probability to before its cross-entropy: the backend epsilon of Keras
    /// and TensorFlow.js, 1e-7. PyTorch's clamps act inside it: o(1 − o) ≥ 1e-12 in nn.BCELoss's derivative
    /// (ATen's Loss.cpp, EPSILON), ln o ≥ −100 in its loss. Also the largest ε the model allows added inside
    /// the logarithm, ln(o + ε) (tf.losses.logLoss's default).</summary>
    public const double ProbabilityClip = 1e-7;

    /// <summary>Whether a probability o computed within e (1 − o = <paramref name="oneMinusO"/>, exactly) may lie
    /// where a clip to [ε, 1 − ε] acts (<see cref="Formulation.ClampedProbabilities"/>): o below ε as stored,
    /// ε(1 + u), or 1 − o below ε + u, as 1 − ε is stored up to u below it (in float32, 1 − 1.19e-7).</summary>
    public bool ProbabilityMayBeClamped(double o, double oneMinusO, double e) =>
        Allows(Formulation.ClampedProbabilities) && (o - e < ProbabilityClip * (1 + U) || oneMinusO - e < ProbabilityClip + U);

    /// <summary>Relative error of 1/b for b computed with error e: e/(|b| − e) + u; infinite when b may be 0.</summary>
    public double ReciprocalRelativeError(double b, double e) =>
        e >= Math.Abs(b) ? double.PositiveInfinity : e / (Math.Abs(b) - e) + U;

    // ------------------------------------------------------------------ activations

    /// <summary>σ(x) = 1/(1 + e^{−x}) or e^{x}/(1 + e^{x}): the exp's Fn enters at most twice (the
    /// second form divides by 1 + e^{x}), the add and the divide one u each: (2·Fn + 2u)·σ. The
    /// argument's error moves σ by at most max σ′ on [net − e, net + e] times e (in every form).
    /// From log space (ProbabilitiesFromLogSpace), exp(−s) with s = softplus(−x) = max(−x, 0) + ln(1 + e^{−|x|}):
    /// the logarithm's term, at most ln 2, within 2·Fn + u (its argument's exp and 1 + e^{−|x|} rounded too), the
    /// sum within u·s, so σ within expm1(u·s + 2·Fn + u) relative, and exp's own Fn. (σ = (1 + tanh(x/2))/2 is not
    /// allowed: right only to an absolute u, it would make ln σ of every saturated unit a range issue.)</summary>
    public double SigmoidError(double net, double eNet, double @out)
    {
        double rounding = (2 * Fn + 2 * U) * @out;
        if (Allows(Formulation.ProbabilitiesFromLogSpace))
        {
            double s = Math.Max(-net, 0) + eNet + Math.Log(2);            // softplus of any x within eNet of net, at most
            rounding = Math.Max(rounding, @out * (ExpM1Upper(U * s + 2 * Fn + U) * (1 + Fn) + Fn));
        }
        return SigmoidSlope(net, eNet) * eNet + rounding + Floor;
    }

    /// <summary>
    /// tanh from the library: FnHyperbolic·|tanh|, plus max sech² on the interval times e(net). From
    /// exponentials (TanhFromExponentials), each exp within Fn and its argument ±x or ±2x exact:
    /// (e^x − e^{−x})/(e^x + e^{−x}) errs in its numerator by Fn·(e^x + e^{−x}) + u·|e^x − e^{−x}|,
    /// which over the denominator is Fn + u·|tanh| absolute, however small tanh is (it cancels near 0);
    /// the denominator adds (Fn + u)·|tanh| and the divide u·|tanh|. (1 − E)/(1 + E) with
    /// E = e^{−2x} is within the same, and 2σ(2x) − 1 within Fn/2 + 4u + u·|tanh| (2σ(1 − σ) ≤ 1/2).
    /// So: Fn + 5u + (Fn + 3u)·|tanh| covers the three, and the library's FnHyperbolic·|tanh| too
    /// (FnHyperbolic ≤ Fn + 3u at 4 ulps). At net = −1.76e-8 in float64 that is 13u absolute where the
    /// library's tanh keeps 8u·|tanh| relative: eight digits of the sixteen gone.
    /// </summary>
    public double TanhError(double net, double eNet, double @out)
    {
        double argument = SechSquared(Math.Max(0, Math.Abs(net) - eNet)) * eNet;
        double rounding = Allows(Formulation.TanhFromExponentials) ? Fn + 5 * U + (Fn + 3 * U) * Math.Abs(@out) : FnHyperbolic * Math.Abs(@out);
        return argument + rounding + Floor;
    }

    /// <summary>
    /// e(σ′). Careful: σ(net)·σ(−net) (each σ within <see cref="SigmoidError"/>; the reference
    /// uses out·(1 − out) below net = 2.75, where 1 − out carries out's relative error times
    /// out/(1 − out) ≤ e^{2.75} &lt; 16) plus the product's u; the argument's error through
    /// |σ″| ≤ max σ′. From out (DerivativesFromOut): out·(1 − out) with 1 − out exact arithmetic on a
    /// rounded out: e = |1 − 2·out|·e(out) + out·u·|1 − out| + u·σ′ ≤ e(out) + 2u·σ′. At net = 30
    /// that is e(out) ≈ 6u absolute against σ′ ≈ 1e-13: the textbook keeps three digits.
    /// From exponentials (SigmoidFromExponentials), E/(1 + E)² with E = e^{−x}: E within Fn,
    /// 1 + E within E·Fn/(1 + E) + u ≤ Fn + u, its square within 2(Fn + u) + u, the divide u:
    /// (3·Fn + 4u)·σ′, plus the argument's error as above; and where (1 + E)² may overflow
    /// (<see cref="SigmoidDerivativeSquareOverflows"/>) the result is 0: off by σ′ itself. At net = −50 in
    /// float32 that is 1.9e-22 lost whole, which no other form loses.
    /// </summary>
    public double SigmoidDerivativeError(double net, double eNet, double eOut, double sigmoidPrime)
    {
        double relOut = 2 * Fn + 2 * U;
        double argument = SigmoidSlope(net, eNet) * eNet;
        double careful = argument + sigmoidPrime * (relOut * (1 + Math.Min(Math.Exp(Math.Min(net, 710)), 16)) + relOut + 2 * U) + Floor;
        // out·(1 − out) from out; and σ(x)·σ(−x) with σ from log space, each factor within its own relative error, so the
        // product within e(out)/out of σ′ (the relative error largest at the most negative argument) and its u: the same bound
        double bound = Allows(Formulation.DerivativesFromOut) || Allows(Formulation.ProbabilitiesFromLogSpace)
            ? Math.Max(careful, eOut + 2 * U * sigmoidPrime + Floor) : careful;
        if (Allows(Formulation.SigmoidFromExponentials))
            bound = Math.Max(bound, argument + (3 * Fn + 4 * U) * sigmoidPrime + (SigmoidDerivativeSquareOverflows(net, eNet) ? sigmoidPrime : 0) + Floor);
        return bound;
    }

    /// <summary>Whether (1 + e^{−x})² may overflow for a computed x within eNet of net: e^{−x} is at
    /// most e^{eNet − net}·(1 + Fn), and its square (one u more) passes the largest number once
    /// 2·(eNet − net + Fn) + u exceeds ln(max).</summary>
    public bool SigmoidDerivativeSquareOverflows(double net, double eNet) => ExpOverflows(2 * (eNet - net + Fn) + U);

    /// <summary>Whether e^{x} may overflow in σ = e^{x}/(1 + e^{x}) (∞/∞ = NaN).</summary>
    public bool SigmoidFromExponentialsOverflows(double net, double eNet) => ExpOverflows(net + eNet + Fn);

    /// <summary>Whether e^{−x} itself may overflow (σ′ from exponentials is then ∞/∞ = NaN).</summary>
    public bool SigmoidDerivativeExpOverflows(double net, double eNet) => ExpOverflows(eNet - net + Fn);

    /// <summary>Whether tanh from exponentials may overflow to ∞/∞ = NaN: (e^x − e^{−x})/(e^x + e^{−x})
    /// past |x| = ln(max), (1 − e^{−2x})/(1 + e^{−2x}) for x below −ln(max)/2, (e^{2x} − 1)/(e^{2x} + 1)
    /// above ln(max)/2; the earliest is 2·|x| > ln(max), with the exp's Fn. (2σ(2x) − 1 never does.)</summary>
    public bool TanhFromExponentialsOverflows(double net, double eNet) => ExpOverflows(2 * (Math.Abs(net) + eNet) + Fn);

    /// <summary>
    /// e(tanh′). Careful: 1/cosh² (cosh within FnHyperbolic, the square and the divide u each:
    /// (2·FnHyperbolic + 2u)·sech²),
    /// the argument's error through |d sech²/dx| = 2·sech²·|tanh| ≤ min(0.77, 8·e^{−2|x|}) on the
    /// interval. From out: 1 − out², e = 2|out|·e(out) + u (the square's and the difference's roundings,
    /// u·out² + u·(1 − out²)). At net = −8, e(out) ≈ Fn: relative 2e-10 of sech² ≈ 4.5e-7.
    /// </summary>
    public double TanhDerivativeError(double net, double eNet, double @out, double eOut, double sech2)
    {
        double slope = Math.Min(0.7698, 8 * Math.Exp(-2 * Math.Max(0, Math.Abs(net) - eNet)));
        double careful = slope * eNet + (2 * FnHyperbolic + 2 * U) * sech2 + Floor;
        return Allows(Formulation.DerivativesFromOut) ? Math.Max(careful, 2 * Math.Abs(@out) * eOut + U + Floor) : careful;
    }

    /// <summary>relu′ ∈ {0, 1}: when the net input lies within its own rounding of 0, an implementation
    /// summing in another order may see either sign, so either derivative is correct: e = 1.
    /// An exactly computed net of 0 (e = 0) has relu′(0) = 0 by the convention, no choice.</summary>
    public static double ReluDerivativeError(double net, double eNet) => eNet > 0 && Math.Abs(net) <= eNet ? 1 : 0;

    /// <summary>max σ′ on [x − e, x + e]: σ′ at the point nearest 0.</summary>
    public static double SigmoidSlope(double x, double e)
    {
        double d = Math.Max(0, Math.Abs(x) - e);
        double s = 1 / (1 + Math.Exp(-d));
        return Math.Exp(-d) * s * s;                          // σ(d)·σ(−d) = e^{−d}·σ(d)², no cancellation
    }

    static double SechSquared(double x)
    {
        double q = Math.Exp(-2 * Math.Abs(x));                // sech² x = 4q/(1 + q)²
        return 4 * q / ((1 + q) * (1 + q));
    }

    /// <summary>
    /// Relative error of softmax output j. Its logarithm moves by at most e(net_j) + max_k e(net_k)
    /// (∂ln o_j/∂net_k = [j = k] − o_k, and Σ o_k = 1), hence expm1 of that. Roundings: each exp
    /// within Fn of e^{net_k − c} (whose own subtraction is u·|net_k − c| in the exponent), the sum
    /// γ_K, the divide u. Unshifted, the subtraction is gone but e^{net} may overflow (range) or
    /// underflow: a sum of exponentials near the underflow floor loses floor/Σe^{net} of it.
    /// </summary>
    public double SoftmaxRelativeError(double[] net, double[] eNet, double[] @out, int j, double maxENet)
    {
        double c = net.Max();
        double shiftRounding = U * Math.Abs(net[j] - c);
        for (int k = 0; k < net.Length; k++) shiftRounding += @out[k] * U * Math.Abs(net[k] - c);
        double rounding = shiftRounding + 2 * Fn + Gamma(net.Length + 2);
        double relative = ExpM1Upper(eNet[j] + maxENet) + rounding;
        if (!Allows(Formulation.ProbabilitiesFromLogSpace)) return relative;
        // exp(x_j − lse), lse = c + ln S, S = Σ e^{x_k − c}: S within Σ o_k·(u·|x_k − c| + Fn) + γ_K relative, so
        // ln S within that over 1 − it, and Fn·|ln S|; lse rounds by u·|lse|, x_j − lse by u·|x_j − lse|; exp's Fn
        double S = net.Sum(x => Math.Exp(x - c)), lse = c + Math.Log(S);
        double relS = Gamma(net.Length), exponent = eNet[j] + maxENet;
        for (int k = 0; k < net.Length; k++) relS += @out[k] * (U * Math.Abs(net[k] - c) + Fn);
        exponent += relS / (1 - relS) + Fn * Math.Abs(Math.Log(S)) + U * Math.Abs(lse) + U * Math.Abs(net[j] - lse) * (1 + U);
        return Math.Max(relative, ExpM1Upper(exponent) * (1 + Fn) + Fn);
    }

    /// <summary>
    /// The absolute error of every softmax output from exponentials that underflow: unshifted, each
    /// e^{net_k} below the smallest normal number errs by up to that number (it may flush to 0), which
    /// reaches out_j = e^{net_j}/Σ_k e^{net_k} divided by the sum: K·floor·e^{−LSE}. (Shifted, the sum
    /// is at least 1 and this is K·floor.) A small output computed from an underflowed e^{net_j} may so
    /// lose every digit, or be 0.
    /// </summary>
    public double SoftmaxUnderflowError(double[] net)
    {
        if (!Allows(Formulation.UnshiftedSoftmax)) return net.Length * Floor;
        double c = net.Max(), lse = c + Math.Log(net.Sum(z => Math.Exp(z - c)));
        return net.Length * Math.Exp(Math.Log(Floor) - lse) + net.Length * Floor;
    }

    /// <summary>An upper bound on e^x − 1 for x ≥ 0 without cancellation: x(1 + x) ≥ e^x − 1 for x ≤ 1.</summary>
    static double ExpM1Upper(double x) => x <= 1e-3 ? x * (1 + x) : Math.Exp(x) - 1;

    /// <summary>Whether e^{x} lies below the smallest normal number of this precision: its relative
    /// precision is gone (or it flushes to 0), so a sum of such terms may be 0.</summary>
    public bool ExpUnderflows(double x) => x < Math.Log(Profile.MinNormal);

    /// <summary>Whether e^{x} overflows in this precision (the unshifted softmax, e^{−net} in a sigmoid
    /// overflows harmlessly to out = 0).</summary>
    public bool ExpOverflows(double x) => x > Math.Log(Profile.Max);
}
