using System.Runtime.CompilerServices;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Judging;

/// <summary>
/// What the judge knows about one network in one precision: the exact answers (double-double
/// reverse mode, <see cref="Exact"/>) and the two bounds of the tolerance model around them
/// (<see cref="ErrorModel.Careful"/> for <em>agrees</em>, <see cref="ErrorModel.Textbook"/> for
/// <em>accuracy</em>). All O(P).
/// </summary>
public sealed class Truth
{
    public required Network Network { get; init; }
    public required Precision Precision { get; init; }
    public required ExactValues Exact { get; init; }
    public required RoundingBounds Careful { get; init; }
    /// <summary>The textbook bounds, computed on first use: an implementation whose answers all
    /// agree never needs them.</summary>
    public RoundingBounds Textbook => textbook.Value;
    public required Lazy<RoundingBounds> TextbookPass { init => textbook = value; }
    Lazy<RoundingBounds> textbook = null!;

    /// <summary>Whether a standard formulation may fail to represent some answer of this network.</summary>
    public bool OutOfRange => Textbook.Range.Count > 0;

    /// <summary>The range issue a range finding on this network is filed under: of the formulations that
    /// cannot represent some answer, the commonest in textbook code first (a number beyond the precision,
    /// then the losses from probabilities, the unshifted softmax, tanh and σ′ from exponentials: the
    /// order of <see cref="Formulation"/>), and of one formulation the first issue the pass met.</summary>
    public RangeIssue RangeCause => Textbook.Range.OrderBy(r => (int)r.By).First();

    /// <summary>
    /// The textbook bounds without the formulations that cannot represent some answer here (each range
    /// issue's <see cref="RangeIssue.By"/>); the textbook bounds themselves on a network in range. Where
    /// the textbook bound is infinite, a finite answer within this one is an <em>accuracy</em> finding of
    /// the formulations that stay in range (1 − out² beside a tanh from exponentials that overflows
    /// elsewhere), not a range finding of the one that overflows; beyond it, a range finding (a NaN a ReLU
    /// turned into 0 lands anywhere).
    /// </summary>
    public RoundingBounds InRange => LazyInitializer.EnsureInitialized(ref inRange, () =>
    {
        if (!OutOfRange) return Textbook;
        // Without one formulation another's issue may show that the first one's hid downstream (the
        // ln o of a float32 softmax output that underflows, behind the unshifted softmax's overflow): drop
        // each formulation with an issue until none is left but careful arithmetic's own.
        RoundingBounds b = Textbook;
        Formulation overflowing = Formulation.Careful;
        while (b.Range.Any(r => r.By != Formulation.Careful && (overflowing & r.By) == 0))
        {
            overflowing = b.Range.Aggregate(overflowing, (f, r) => f | r.By);
            b = RoundingBounds.Of(Exact, ErrorModel.Textbook(Precision).Only(Formulation.All & ~overflowing));
        }
        inRangeFormulations = Formulation.All & ~overflowing;
        return b;
    });
    RoundingBounds? inRange;

    /// <summary>The formulations <see cref="InRange"/> keeps: every one on a network in range.</summary>
    public Formulation InRangeFormulations { get { _ = InRange; return inRangeFormulations; } }
    Formulation inRangeFormulations = Formulation.All;

    /// <summary>The textbook bound a finding in <paramref name="zone"/> is shown with: the in-range one for an
    /// accuracy finding where the textbook's is infinite (computed only then).</summary>
    public static double Shown(Zone zone, double textbook, Func<double> inRange) => zone == Zone.Accuracy && double.IsInfinity(textbook) ? inRange() : textbook;

    public int Parameters => Exact.Gradient.Length;

    /// <summary>The zone of an output answer for outputs[e][k], and the textbook bound it is shown with.</summary>
    public Zone OutputZone(int e, int k, double actual) =>
        Zones.Of(actual, Exact.Outputs[e][k], Exact.OutputsLo[e][k], Careful.Outputs[e][k], () => Textbook.Outputs[e][k], () => InRange.Outputs[e][k]);
    public double OutputBound(Zone zone, int e, int k) => Shown(zone, Textbook.Outputs[e][k], () => InRange.Outputs[e][k]);

    /// <summary>The zone of a loss answer, and the textbook bound it is shown with.</summary>
    public Zone LossZone(double actual) => Zones.Of(actual, Exact.Loss, Exact.LossLo, Careful.Loss, () => Textbook.Loss, () => InRange.Loss);
    public double LossBound(Zone zone) => Shown(zone, Textbook.Loss, () => InRange.Loss);

    /// <summary>The zone of a gradient answer for entry k, and the textbook bound it is shown with.</summary>
    public Zone GradientZone(int k, double actual) =>
        Zones.Of(actual, Exact.Gradient[k], Exact.GradientLo[k], Careful.Gradient[k], () => Textbook.Gradient[k], () => InRange.Gradient[k]);
    public double GradientBound(Zone zone, int k) => Shown(zone, Textbook.Gradient[k], () => InRange.Gradient[k]);

    /// <summary>
    /// The truth for a network, remembered per network object while it lives (a ConditionalWeakTable:
    /// its memory goes with the network's): the properties of one network ask for it several times.
    /// The expensive part, the double-double forward pass, is remembered per input row and layers
    /// (<see cref="Derivatives.Exact"/>), so networks derived from one another share it.
    /// </summary>
    public static Truth For(Network network, Precision precision = Precision.Float64)
    {
        var perObject = ByObject.GetOrCreateValue(network);
        lock (perObject)
        {
            if (perObject.TryGetValue(precision, out Truth? known)) return known;
        }
        Truth truth = Compute(network, precision);
        lock (perObject) perObject[precision] = truth;
        return truth;
    }

    public static Truth Compute(Network network, Precision precision)
    {
        ExactValues exact = Derivatives.Exact.Compute(network);
        return new Truth
        {
            Network = network,
            Precision = precision,
            Exact = exact,
            Careful = RoundingBounds.Of(exact, ErrorModel.Careful(precision)),
            TextbookPass = new Lazy<RoundingBounds>(() => RoundingBounds.Of(exact, ErrorModel.Textbook(precision))),
        };
    }

    static readonly ConditionalWeakTable<Network, Dictionary<Precision, Truth>> ByObject = new();
}
