using System.Globalization;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

public static partial class Diagnosis
{
    /// <summary>
    /// The pattern of the error in words, over the failing networks asked (the shrunk and the original
    /// network and those the properties derived from them): the forward pass, the gradients layer by
    /// layer (weights and biases apart when only one is wrong) with the count of wrong entries and the
    /// factor of the deviation, and the step against the implementation's own gradient. Said whether
    /// or not a class is named. When a named class shows only on the probe networks, what the probes
    /// show is said too; when some wrong answer is left unexplained by the named classes, so is that.
    /// </summary>
    static string Describe(IReadOnlyList<Observation> seen, IReadOnlyList<Match> matches)
    {
        Observation[] failing = seen.Where(o => !o.Probe).ToArray(), probes = seen.Where(o => o.Probe).ToArray();
        if (!failing.Any(o => o.Wrong().Any())) (failing, probes) = (seen.ToArray(), []);   // asked again, the failing networks agree
        var said = new List<string> { ForwardInWords(failing), GradientsInWords(failing), StepInWords(failing) };

        Match[] onProbesOnly = matches.Where(m => m.Explained.All(i => seen[i.Network].Probe)).ToArray();
        if (onProbesOnly.Length > 0 && probes.Length > 0)
        {
            HashSet<Part> parts = onProbesOnly.SelectMany(m => m.Explained.Select(i => i.Part)).ToHashSet();
            var there = new List<string>();
            if (parts.Contains(Part.Loss) || parts.Contains(Part.Output)) there.Add(ForwardInWords(probes));
            if (parts.Contains(Part.Gradient)) there.Add(GradientsInWords(probes));
            if (parts.Contains(Part.Step)) there.Add(StepInWords(probes));
            said.Add($"{string.Join(" and ", onProbesOnly.Select(m => Bugs.Name(m.Bug)))} {(onProbesOnly.Length == 1 ? "is" : "are")} recognised on the fixed probe networks ({probes.Length} asked), where {string.Join(", ", there)}");
        }
        if (matches.Count > 0)
        {
            HashSet<Item> left = failing.SelectMany(o => o.Wrong()).ToHashSet();
            foreach (Match m in matches) { left.ExceptWith(m.Explained); left.ExceptWith(m.Open); }
            if (left.Count > 0)
                said.Add($"the named classes leave {Count(left.Count, "wrong answer")} unexplained ({string.Join(", ", left.GroupBy(i => i.Part).Select(g => PartName(g.Key, g.Count())))})");
        }
        return $"on the {Count(failing.Length, "network")} asked, {string.Join("; ", said)}";
    }

    /// <summary>When no answer asked is wrong: say so, and how many could not be judged at all.</summary>
    static string NothingWrong(IReadOnlyList<Observation> seen)
    {
        int unjudged = seen.Sum(o => o.Unjudged);
        string why = unjudged == 0 ? ""
            : $"; {Count(unjudged, "gradient entry", "gradient entries")} beyond the careful bound could not be judged: the tolerance model has no textbook bound for them (NaN)";
        return $"on the {Count(seen.Count, "network")} asked, no answer is wrong{why}";
    }

    static string ForwardInWords(IReadOnlyList<Observation> seen)
    {
        Observation[] asked = seen.Where(o => o.Loss is not null).ToArray();
        // every gradients reply carries the outputs: none kept means none came back in the right shape
        if (asked.Length == 0) return "no outputs of the right shape came back: the forward pass could not be judged";
        int outputs = asked.Sum(o => o.OutputWrong.Length), outputsWrong = asked.Sum(o => o.OutputWrong.Count(w => w));
        Observation[] lossWrong = asked.Where(o => o.LossWrong).ToArray();
        if (outputsWrong == 0 && lossWrong.Length == 0) return "the outputs and the loss agree";
        var said = new List<string>();
        if (outputsWrong > 0)
        {
            var ratios = asked.SelectMany(o => o.OutputWrong.Select((w, i) => (w, i)).Where(x => x.w)
                .Select(x => (o.OwnOutputs![x.i / o.Outputs][x.i % o.Outputs], o.Truth.Exact.Outputs[x.i / o.Outputs][x.i % o.Outputs], o)));
            said.Add($"the outputs are wrong ({outputsWrong} of {outputs} entries, {FactorInWords(ratios.ToArray())}): every later answer rests on a wrong forward pass");
        }
        else said.Add("the outputs agree");
        if (lossWrong.Length > 0)
            said.Add($"the loss is wrong on {lossWrong.Length} of {asked.Length} networks ({FactorInWords(lossWrong.Select(o => (o.Loss!.Value, o.Truth.Exact.Loss, o)).ToArray())})");
        else said.Add("the loss agrees");
        return string.Join(", ", said);
    }

    /// <summary>Layer by layer: "the gradients of layers[0] are wrong (12 of 12 entries, 2x the exact
    /// values)", weights and biases apart when only one of them is wrong; a layer that is the output
    /// layer of every network asked says so.</summary>
    static string GradientsInWords(IReadOnlyList<Observation> seen)
    {
        var layers = new SortedDictionary<int, (bool Output, int[] Total, List<(double, double, Observation)>[] Wrong)>();
        foreach (Observation o in seen.Where(o => o.Gradient is not null))
            for (int k = 0; k < o.Gradient!.Length; k++)
            {
                var (l, bias) = o.Layer[k];
                bool output = l == o.Network.Layers.Count - 1;
                if (!layers.TryGetValue(l, out var g)) g = (output, new int[2], [[], []]);
                layers[l] = g = (g.Output && output, g.Total, g.Wrong);
                int kind = bias ? 1 : 0;
                g.Total[kind]++;
                if (o.GradientWrong[k]) g.Wrong[kind].Add((o.Gradient[k], o.ExactGradient[k], o));
            }
        if (layers.Count == 0) return "no gradient was asked";
        var said = new List<string>();
        foreach (var (l, (output, total, wrong)) in layers)
        {
            if (wrong[0].Count + wrong[1].Count == 0) continue;
            string what = wrong[0].Count > 0 && (wrong[1].Count > 0 || total[1] == 0) ? "the gradients"
                        : wrong[0].Count > 0 ? "the weight gradients" : "the bias gradients";
            int n = wrong[0].Count > 0 && wrong[1].Count > 0 ? total[0] + total[1] : wrong[0].Count > 0 ? total[0] : total[1];
            var all = wrong[0].Concat(wrong[1]).ToArray();
            said.Add($"{what} of layers[{l}]{(output ? " (the output layer)" : "")} are wrong ({all.Length} of {n} entries, {FactorInWords(all)})");
        }
        if (said.Count == 0) return "every gradient agrees";
        bool everyGroup = layers.Values.All(g => (g.Total[0] == 0 || g.Wrong[0].Count > 0) && (g.Total[1] == 0 || g.Wrong[1].Count > 0));
        said.Add(everyGroup ? "in every layer" : "every other gradient agrees");
        return string.Join(", ", said);
    }

    /// <summary>The step against W − η·g with the implementation's own gradient g, and which rule it follows instead.</summary>
    static string StepInWords(IReadOnlyList<Observation> seen)
    {
        Observation[] asked = seen.Where(o => o.After is not null).ToArray();
        if (asked.Length == 0) return "the step was not asked";
        var wrong = asked.SelectMany(o => o.StepWrong.Select((w, k) => (w, k, o)).Where(x => x.w).Select(x => (x.k, x.o))).ToArray();
        if (wrong.Length == 0)
        {
            bool ownRuleBroken = asked.Any(o => o.After!.Where((a, k) => !o.Frozen[k] && Math.Abs(a - o.Rule![k]) > o.StepBound(k, o.Gradient![k])).Any());
            return ownRuleBroken
                ? "the step is right: it follows the exact gradient, not the gradient the implementation reports"
                : "the step agrees with W - eta*g for the implementation's own gradient g";
        }
        var trainable = wrong.Where(x => !x.o.Frozen[x.k]).ToArray();
        var frozen = wrong.Where(x => x.o.Frozen[x.k]).ToArray();
        var said = new List<string>();
        if (trainable.Length > 0)
        {
            (string Words, Func<Observation, double> Rate)[] rules =
            [
                ("it is W + eta*g: it climbs", o => -o.Network.LearningRate),
                ("it is W - g: the learning rate is ignored", _ => 1),
                ("it uses the last example's first output as the learning rate", o => o.OwnOutputs is { } own ? own[o.M - 1][0] : double.NaN),
                ("those parameters do not move", _ => 0),
            ];
            string? rule = rules.FirstOrDefault(r => trainable.All(x => Follows(x.o, x.k, r.Rate(x.o)))).Words;
            int total = asked.Sum(o => o.Frozen.Count(f => !f));
            string where = string.Join(", ", trainable.Select(x => x.o.Layer[x.k]).Distinct().OrderBy(p => p.Layer).ThenBy(p => p.Bias)
                .Select(p => $"layers[{p.Layer}] {(p.Bias ? "biases" : "weights")}").Distinct());
            said.Add($"the step does not follow W - eta*g for the implementation's own gradient g in {trainable.Length} of {total} trainable entries ({where}){(rule is null ? "" : $": {rule}")}");
        }
        if (frozen.Length > 0)
        {
            bool byGradient = frozen.All(x => Follows(x.o, x.k, x.o.Network.LearningRate, frozenMoves: true));
            said.Add($"{Count(frozen.Length, "frozen bias", "frozen biases")} moved{(byGradient ? " by -eta*g, as if trainable" : "")}");
        }
        return string.Join(", ", said);
    }

    /// <summary>Whether step entry k is W − rate·g with the implementation's own g (frozen: b − rate·g when <paramref name="frozenMoves"/>).</summary>
    static bool Follows(Observation o, int k, double rate, bool frozenMoves = false)
    {
        if (!frozenMoves && o.Frozen[k]) return false;
        double moved = o.After![k] - o.Before[k], predicted = -rate * o.Gradient![k];
        double scale = Math.Max(Math.Abs(o.Network.LearningRate), Math.Abs(rate)) * Largest(o.Gradient, o.ExactGradient);
        return double.IsFinite(predicted) && !Differs(moved, predicted, 2 * o.M * o.StepBound(k, o.Gradient[k]), scale);
    }

    /// <summary>
    /// The factor of the deviation in words: the implementation's numbers against the exact ones. The
    /// usual factors first (the sign, 0, 2, the batch size m, the number of outputs K), then one
    /// constant, then the range.
    /// </summary>
    static string FactorInWords(IReadOnlyList<(double Actual, double Exact, Observation O)> all)
    {
        // where every target is the implementation's own output the exact values are 0 up to rounding: no factor there
        var wrong = all.Where(x => !x.O.AtOwnOutputs).ToArray();
        int atOwn = all.Count - wrong.Length;
        string own = atOwn == 0 ? "" : $"; {atOwn} where every target is the implementation's own output, so the exact values are 0 up to rounding";
        if (wrong.Length == 0) return "not 0 up to rounding where every target is the implementation's own output";
        var r = wrong.Where(x => x.Exact != 0 && double.IsFinite(x.Actual)).Select(x => (Ratio: x.Actual / x.Exact, x.O)).ToArray();
        // NaN or ±Infinity where the exact value is not 0 has no ratio: said apart, never as "not 0 where the exact values are 0"
        int atZero = wrong.Count(x => x.Exact == 0), notFinite = wrong.Count(x => x.Exact != 0 && !double.IsFinite(x.Actual));
        string zeros = (notFinite == 0 ? "" : $"; {notFinite} not finite (NaN or infinite)")
                       + (atZero == 0 ? "" : $"; {atZero} not 0 where the exact value is 0") + own;
        if (r.Length == 0)
            return notFinite == 0 ? $"not 0 where the exact values are 0{own}"
                 : atZero == 0 ? $"not finite (NaN or infinite){own}"
                 : $"{notFinite} not finite (NaN or infinite); {atZero} not 0 where the exact value is 0{own}";
        string ms = Values(r.Select(x => x.O.M)), ks = Values(r.Select(x => x.O.Outputs));
        (string Words, string Here, Func<Observation, double> Factor)[] usual =
        [
            ("the exact values with the sign flipped (-1x)", "", _ => -1),
            ("0 where the exact values are not", "", _ => 0),
            ("2x the exact values", "", _ => 2),
            ("1/2 of the exact values", "", _ => 0.5),
            ($"m times the exact values (m = {ms}, the batch size)", $"m here: m = {ms}, the batch size", o => o.M),
            ($"1/m of the exact values (m = {ms}, the batch size)", $"1/m here: m = {ms}, the batch size", o => 1.0 / o.M),
            ($"1/K of the exact values (K = {ks}, the number of outputs)", $"1/K here: K = {ks}, the number of outputs", o => 1.0 / o.Outputs),
            ($"1/(m K) of the exact values (m = {ms}, K = {ks} outputs)", $"1/(m K) here: m = {ms}, K = {ks} outputs", o => 1.0 / (o.M * o.Outputs)),
        ];
        bool Is(Func<Observation, double> factor) => r.All(x => Math.Abs(x.Ratio - factor(x.O)) <= 1e-3 * Math.Max(1, Math.Abs(factor(x.O))));
        // m, 1/m or 1/K that is 1 on every network asked (m = 1, K = 1) names no factor
        bool One(Func<Observation, double> factor) => r.All(x => factor(x.O) == 1);
        for (int u = 0; u < usual.Length; u++)
            if (!One(usual[u].Factor) && Is(usual[u].Factor))
            {
                // a constant that is also m, 1/m or 1/K on every network asked: say so, the reader may know which
                string? here = u < 4 ? usual.Skip(4).FirstOrDefault(f => !One(f.Factor) && Is(f.Factor)).Here : null;
                return usual[u].Words + (here is { Length: > 0 } ? $" ({here})" : "") + zeros;
            }
        double lo = r.Min(x => x.Ratio), hi = r.Max(x => x.Ratio);
        double off = r.Max(x => Math.Abs(x.Ratio - 1));
        if (off <= 1e-3) return $"close to the exact values (relative errors up to {G(off)}): digits lost beyond every standard formulation's rounding, not a wrong factor{zeros}";
        if (hi - lo <= 1e-3 * Math.Max(Math.Abs(lo), Math.Abs(hi))) return $"about {G(hi)}x the exact values{zeros}";
        string sign = hi < 0 ? "the wrong sign, " : "";
        return $"{sign}between {G(lo)}x and {G(hi)}x the exact values, no common factor{zeros}";
    }

    static string Values(IEnumerable<int> values)
    {
        int[] v = values.Distinct().Order().ToArray();
        return v.Length <= 3 ? string.Join(" or ", v) : $"{v[0]} to {v[^1]}";
    }

    /// <summary>n answers of part p: "1 gradient entry", "2 gradient entries".</summary>
    static string PartName(Part p, int n) => p switch
    {
        Part.Loss => Count(n, "loss value"),
        Part.Output => Count(n, "output"),
        Part.Gradient => Count(n, "gradient entry", "gradient entries"),
        _ => Count(n, "step entry", "step entries"),
    };

    static string Count(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";

    static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
