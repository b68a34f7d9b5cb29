using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// Names the bug class behind a wrong implementation: the <see cref="Bug"/>s whose <see cref="Mutant"/>
/// gives every answer the implementation gave while failing its properties. The answers are
/// recorded (<see cref="Recorder"/>) while the properties run on the shrunk counterexample and on the
/// original failing network, so they include the derived networks the failing property built (the
/// batch doubled, a single example, the hidden units permuted): a bug such as bias-not-summed, which
/// changes nothing on a batch of one, is seen where it shows. Two networks, so a bug that happens to
/// coincide with another on one small network is told apart on the other.
/// </summary>
public static class Diagnosis
{
    /// <summary>One answer: the request's network and what came back (Evaluation, Gradients or Parameters).</summary>
    public sealed record Answer(Network Network, object Value);

    /// <summary>Passes every call on to the implementation and keeps its answers.</summary>
    public sealed class Recorder(IBackprop inner) : IBackprop
    {
        public List<Answer> Answers { get; } = [];
        public string Name => inner.Name;
        public Evaluation Forward(Network n) => Keep(n, inner.Forward(n));
        public Gradients Gradients(Network n) => Keep(n, inner.Gradients(n));
        public Parameters Step(Network n) => Keep(n, inner.Step(n));

        T Keep<T>(Network n, T value) where T : notnull { Answers.Add(new Answer(n, value)); return value; }
    }

    /// <summary>Runs the properties on each network through a <see cref="Recorder"/> and returns every
    /// answer the implementation gave (up to and including the first failing property's).</summary>
    public static IReadOnlyList<Answer> Record(IBackprop impl, params Network[] networks)
    {
        var recorder = new Recorder(impl);
        foreach (Network n in networks) Properties.FirstFailure(recorder, n);
        return recorder.Answers;
    }

    /// <summary>Every bug class whose mutant reproduces all of <paramref name="answers"/>.</summary>
    public static IReadOnlyList<Bug> Matching(IReadOnlyList<Answer> answers)
    {
        var cache = new Dictionary<Network, OracleGradients>(ReferenceEqualityComparer.Instance);
        OracleGradients Oracle(Network n) =>
            cache.TryGetValue(n, out OracleGradients? o) ? o : cache[n] = Oracles.Compute(n, finiteDifferences: false, complexStep: false);
        // When correct backprop gives these answers too, no bug class explains the failure: a bug
        // that changes nothing on these networks would "match" (say, softmax-jacobian-twice without
        // a softmax), so none is named.
        if (answers.All(a => Reproduces(new Mutant(Bug.None), a, Oracle(a.Network)))) return [];
        return Bugs.All.Where(bug => answers.All(a => Reproduces(new Mutant(bug), a, Oracle(a.Network)))).ToArray();
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> gives this answer. The comparison allows what two
    /// computations of the same formula in different orders may differ by:
    /// <list type="bullet">
    /// <item>outputs and loss: the forward tolerance of <see cref="Properties.ForwardAgreesWithReference"/>
    /// (every mutant's forward pass is the reference's);</item>
    /// <item>each gradient entry: m × the GradientCheck tolerance of the correct gradient, plus K·ε of
    /// the two values compared: a bug rescales or re-weights the same chain-rule terms (by m at most,
    /// missing 1/m), and its own products (by W or o) are relative roundings of the results;</item>
    /// <item>each stepped parameter: the step's two roundings, plus η′ × that gradient tolerance, with
    /// η′ the larger of η and the largest output (learning-rate-is-output steps with an output).</item>
    /// </list>
    /// A diagnosis is a classification, not a verdict: these bounds never decide pass or fail.
    /// </summary>
    public static bool Reproduces(IBackprop candidate, Answer answer, OracleGradients o)
    {
        Network n = answer.Network;
        double eps = Validation.MachineEpsilon, K = GradientCheck.K(n);
        switch (answer.Value)
        {
            case Evaluation e:
                return SameForward(n, e.Outputs, e.Loss, candidate.Forward(n));
            case Gradients g:
            {
                Gradients theirs = candidate.Gradients(n);
                if (!SameForward(n, g.Outputs, g.Loss, new Evaluation(theirs.Outputs, theirs.Loss))) return false;
                double[] a = g.Flatten(), b = theirs.Flatten();
                for (int k = 0; k < a.Length; k++)
                    if (!(Math.Abs(a[k] - b[k]) <= GradientTolerance(n, o, k, a[k], b[k]))) return false;
                return true;
            }
            case Parameters p:
            {
                double[] before = Parameters.Of(n).Flatten(), stepped = p.Flatten(), expected = candidate.Step(n).Flatten();
                double[] gradient = candidate.Gradients(n).Flatten();
                Evaluation f = new ReferenceBackprop().Forward(n);
                double eta = Math.Max(n.LearningRate, f.Outputs.SelectMany(r => r).Select(Math.Abs).DefaultIfEmpty(0).Max());
                for (int k = 0; k < before.Length; k++)
                {
                    double moved = Math.Abs(before[k] - expected[k]) + Math.Abs(before[k] - stepped[k]);
                    double tolerance = 4 * eps * (Math.Abs(before[k]) + moved) + K * eps * moved
                                     + eta * GradientTolerance(n, o, k, gradient[k], gradient[k]) + double.Epsilon;
                    if (!(Math.Abs(stepped[k] - expected[k]) <= tolerance)) return false;
                }
                return true;
            }
            default:
                throw new ArgumentException($"unknown answer {answer.Value.GetType().Name}");
        }
    }

    static double GradientTolerance(Network n, OracleGradients o, int k, double a, double b) =>
        n.BatchSize * o.Tolerance(k) + GradientCheck.K(n) * Validation.MachineEpsilon * (Math.Abs(a) + Math.Abs(b));

    static bool SameForward(Network n, double[][] outputs, double loss, Evaluation theirs)
    {
        ForwardPass<double> f = Forward.Run(n);
        double[][] bound = Properties.ForwardErrorBound(n, f);
        for (int e = 0; e < n.BatchSize; e++)
            for (int k = 0; k < n.Output.Units; k++)
                if (!(Math.Abs(outputs[e][k] - theirs.Outputs[e][k]) <= bound[e][k])) return false;
        double lossBound = Oracles.EvaluationNoise(n) + Math.Abs(f.E) * GradientCheck.K(n) * Validation.MachineEpsilon;
        return Math.Abs(loss - theirs.Loss) <= lossBound;
    }
}
