using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>
/// Names the bug classes behind a wrong implementation by the shape of its error, not by its bits.
/// <list type="number">
/// <item><b>Record</b> (<see cref="Record"/>): every property runs on the shrunk counterexample and on
/// the original failing network through a <see cref="Recorder"/>, so the answers include the derived
/// networks the properties build (each example alone, the batch doubled, the loss swapped, the hidden
/// units permuted, the targets set to the outputs): a bug such as bias-not-summed, which changes
/// nothing on a batch of one, is seen where it shows. The gradients and the step of a few fixed
/// <see cref="Probes"/> are asked too.</item>
/// <item><b>Judge every answer</b> against the exact values (<see cref="Observation"/>): which
/// outputs, loss and gradient entries are wrong (beyond the textbook bound), and which step entries
/// do not follow from the implementation's own gradient.</item>
/// <item><b>Match</b> (Diagnosis.Classes.cs): each class predicts only what it changes (a factor of the
/// exact gradient, a step rule applied to the implementation's own gradient, or its mutant's answers
/// with the detail left open) and is named when it reproduces every answer it changes, within a loose
/// tolerance, and explains at least one wrong answer.</item>
/// <item><b>Say the pattern</b> in words (Diagnosis.Pattern.cs), whatever was named.</item>
/// </list>
/// A diagnosis is a classification, not a verdict: nothing here decides pass or fail.
/// </summary>
public static partial class Diagnosis
{
    /// <summary>One answer: the request's network and what came back (Evaluation, Gradients or Parameters).</summary>
    public sealed record Answer(Network Network, object Value);

    /// <summary>Passes every call on to the implementation and keeps its answers.</summary>
    public sealed class Recorder(IBackprop inner) : IBackprop
    {
        public List<Answer> Answers { get; } = [];
        public string Name => inner.Name;
        public Capabilities Capabilities => inner.Capabilities;
        public Evaluation Forward(Network n) => Keep(n, inner.Forward(n));
        public Gradients Gradients(Network n) => Keep(n, inner.Gradients(n));
        public Parameters Step(Network n) => Keep(n, inner.Step(n));

        T Keep<T>(Network n, T value) where T : notnull { Answers.Add(new Answer(n, value)); return value; }
    }

    /// <summary>What the diagnosis made of a wrong implementation's answers: the bug classes that
    /// explain them, the one that explains most first (empty when none does), and the pattern of the
    /// error in words (always said).</summary>
    public sealed record Result(IReadOnlyList<Bug> Classes, string Pattern);

    /// <summary>Records the implementation's answers on the networks (the shrunk counterexample first)
    /// and on the <see cref="Probes"/> within its capabilities, and names the bug classes that explain them.</summary>
    public static Result Diagnose(IBackprop impl, Precision precision, params Network[] networks) =>
        Explain(Record(impl, precision, networks), precision, AskProbes(impl));

    /// <summary>The gradients and the step of each probe: the probes themselves show what the failing
    /// networks may not (no derived network is needed, and none outside the capabilities is asked).
    /// A probe the implementation refuses is left out (a process implementation records the refusal,
    /// and check reports it).</summary>
    static IReadOnlyList<Answer> AskProbes(IBackprop impl)
    {
        var recorder = new Recorder(impl);
        foreach (Network probe in Probes(impl.Capabilities))
        {
            try { recorder.Gradients(probe); recorder.Step(probe); }
            catch (Exception e) when (e is not OutOfMemoryException) { }
        }
        return recorder.Answers;
    }

    /// <summary>Runs every property on each network through a <see cref="Recorder"/> (each question
    /// asked once per network object) and returns every answer the implementation gave.</summary>
    public static IReadOnlyList<Answer> Record(IBackprop impl, Precision precision, params Network[] networks)
    {
        var recorder = new Recorder(impl);
        foreach (Network n in networks)
        {
            var once = new CachingBackprop(recorder);
            foreach (var (_, check) in Properties.All) Properties.Judge(check, once, n, precision);
        }
        return recorder.Answers;
    }

    /// <summary>The classes and the pattern of recorded answers: the classes from every answer, the
    /// pattern from the answers on the failing networks (and on the <paramref name="probes"/> where a
    /// named class shows only there). No class when correct backprop gives these answers too; the
    /// pattern then says that no answer is wrong (asked again, a wrong answer may not come back).</summary>
    public static Result Explain(IReadOnlyList<Answer> answers, Precision precision = Precision.Float64, IReadOnlyList<Answer>? probes = null)
    {
        int failing = answers.Select(a => a.Network).Distinct(ReferenceEqualityComparer.Instance).Count();
        Observation[] seen = Observe([.. answers, .. probes ?? []], precision, failing);
        if (!seen.Any(o => o.Wrong().Any())) return new Result([], NothingWrong(seen));
        IReadOnlyList<Match> matches = Matches(seen);
        return new Result(matches.Select(m => m.Bug).ToArray(), Describe(seen, matches));
    }

    /// <summary>One observation per network object asked, in the order first asked.</summary>
    static Observation[] Observe(IReadOnlyList<Answer> answers, Precision precision, int failing)
    {
        var order = new List<Network>();
        var gradients = new Dictionary<Network, Gradients>(ReferenceEqualityComparer.Instance);
        var evaluations = new Dictionary<Network, Evaluation>(ReferenceEqualityComparer.Instance);
        var steps = new Dictionary<Network, Parameters>(ReferenceEqualityComparer.Instance);
        foreach (Answer a in answers)
        {
            if (!gradients.ContainsKey(a.Network) && !evaluations.ContainsKey(a.Network) && !steps.ContainsKey(a.Network)) order.Add(a.Network);
            switch (a.Value)
            {
                case Gradients g: gradients[a.Network] = g; break;
                case Evaluation e: evaluations[a.Network] = e; break;
                case Parameters p: steps[a.Network] = p; break;
                default: throw new ArgumentException($"unknown answer {a.Value.GetType().Name}");
            }
        }
        return order.Select((n, index) => new Observation(index, n, Truth.For(n, precision),
            gradients.GetValueOrDefault(n), evaluations.GetValueOrDefault(n), steps.GetValueOrDefault(n)) { Probe = index >= failing }).ToArray();
    }
}
