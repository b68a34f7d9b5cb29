using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
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

    /// <summary>What the diagnosis made of a wrong implementation's answers: the bug classes that
    /// explain them (empty when none does) and the pattern of the error in words.</summary>
    public sealed record Result(IReadOnlyList<Bug> Classes, string Pattern);

    /// <summary>Records the implementation's answers on the networks (the shrunk counterexample first)
    /// and names the bug classes that explain them.</summary>
    public static Result Diagnose(IBackprop impl, Precision precision, params Network[] networks)
    {
        IReadOnlyList<Answer> answers = Record(impl, precision, networks);
        return new Result(Matching(answers, precision), "");
    }

    /// <summary>Runs the properties on each network through a <see cref="Recorder"/> and returns every
    /// answer the implementation gave (up to and including the first failing property's).</summary>
    public static IReadOnlyList<Answer> Record(IBackprop impl, Precision precision, params Network[] networks)
    {
        var recorder = new Recorder(impl);
        foreach (Network n in networks) Properties.FirstFailure(recorder, n, precision);
        return recorder.Answers;
    }

    /// <summary>Every bug class whose mutant reproduces all of <paramref name="answers"/>.</summary>
    public static IReadOnlyList<Bug> Matching(IReadOnlyList<Answer> answers, Precision precision = Precision.Float64)
    {
        // When correct backprop gives these answers too, no bug class explains the failure: a bug
        // that changes nothing on these networks would "match", so none is named.
        if (answers.All(a => Reproduces(new Mutant(Bug.None), a, Truth.For(a.Network, precision)))) return [];
        return Bugs.All.Where(bug => answers.All(a => Reproduces(new Mutant(bug), a, Truth.For(a.Network, precision)))).ToArray();
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> gives this answer, within what two computations of the
    /// same formula may differ by: twice the textbook bound of each number (m times for gradients: a
    /// bug rescales the same chain-rule terms by m at most), plus K·ε of the two values compared.
    /// A diagnosis is a classification, not a verdict: these bounds never decide pass or fail.
    /// </summary>
    public static bool Reproduces(IBackprop candidate, Answer answer, Truth truth)
    {
        Network n = answer.Network;
        double eps = Validation.MachineEpsilon, K = DualTolerance.K(n);
        double Slack(int k, double a, double b) => 2 * n.BatchSize * truth.Textbook.Gradient[k] + K * eps * (Math.Abs(a) + Math.Abs(b));
        switch (answer.Value)
        {
            case Evaluation e:
                return SameForward(truth, e.Outputs, e.Loss, candidate.Forward(n));
            case Gradients g:
            {
                Gradients theirs = candidate.Gradients(n);
                if (!SameForward(truth, g.Outputs, g.Loss, new Evaluation(theirs.Outputs, theirs.Loss))) return false;
                double[] a = g.Flatten(), b = theirs.Flatten();
                for (int k = 0; k < a.Length; k++)
                    if (!(Math.Abs(a[k] - b[k]) <= Slack(k, a[k], b[k]))) return false;
                return true;
            }
            case Parameters p:
            {
                double[] before = Parameters.Of(n).Flatten(), stepped = p.Flatten(), expected = candidate.Step(n).Flatten();
                double[] gradient = candidate.Gradients(n).Flatten();
                double eta = Math.Max(n.LearningRate, truth.Exact.Outputs.SelectMany(r => r).Select(Math.Abs).DefaultIfEmpty(0).Max());
                for (int k = 0; k < before.Length; k++)
                {
                    double moved = Math.Abs(before[k] - expected[k]) + Math.Abs(before[k] - stepped[k]);
                    double tolerance = 4 * eps * (Math.Abs(before[k]) + moved) + K * eps * moved
                                     + eta * Slack(k, gradient[k], gradient[k]) + double.Epsilon;
                    if (!(Math.Abs(stepped[k] - expected[k]) <= tolerance)) return false;
                }
                return true;
            }
            default:
                throw new ArgumentException($"unknown answer {answer.Value.GetType().Name}");
        }
    }

    static bool SameForward(Truth truth, double[][] outputs, double[][] theirs, double loss, double theirLoss)
    {
        for (int e = 0; e < outputs.Length; e++)
            for (int k = 0; k < outputs[e].Length; k++)
                if (!(Math.Abs(outputs[e][k] - theirs[e][k]) <= 2 * truth.Textbook.Outputs[e][k] + double.Epsilon)) return false;
        return Math.Abs(loss - theirLoss) <= 2 * truth.Textbook.Loss + double.Epsilon;
    }

    static bool SameForward(Truth truth, double[][] outputs, double loss, Evaluation theirs) =>
        SameForward(truth, outputs, theirs.Outputs, loss, theirs.Loss);
}
