using System.Runtime.CompilerServices;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;

namespace BackpropSpec.Conformance;

/// <summary>
/// The kit's properties: one FsCheck <c>[Property]</c> test per property of <see cref="Properties.All"/>,
/// over seeded random networks inside what <typeparamref name="TImplementation"/> supports. Both kits
/// compile this file; each adds its golden examples and where the test output goes.
/// </summary>
public abstract partial class ConformanceTests<TImplementation> where TImplementation : IBackprop, new()
{
    [ConformanceProperty]
    public Property Gradients_agree_with_the_exact_derivatives(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property Forward_outputs_and_loss_agree_with_the_exact_values(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property A_step_is_W_minus_eta_dE_dW_from_the_original_weights(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property The_batch_gradient_is_the_sum_or_mean_of_per_example_gradients(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property Half_mse_gradients_are_half_sse_gradients_over_m(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property Duplicating_the_batch_of_a_summed_loss_doubles_every_gradient(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property Permuting_hidden_units_permutes_the_gradients(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property Zero_error_gives_zero_gradient(NetworkFor<TImplementation> n) => Holds(n);

    [ConformanceProperty]
    public Property A_small_enough_step_does_not_increase_the_loss(NetworkFor<TImplementation> n) => Holds(n);

    /// <summary>The property each test above checks, by the test's name, in the order of <see cref="Properties.All"/>.</summary>
    public static IReadOnlyDictionary<string, string> PropertyOfTest { get; } = new Dictionary<string, string>
    {
        [nameof(Gradients_agree_with_the_exact_derivatives)] = "gradients agree with the exact derivatives",
        [nameof(Forward_outputs_and_loss_agree_with_the_exact_values)] = "forward outputs and loss agree with the exact values",
        [nameof(A_step_is_W_minus_eta_dE_dW_from_the_original_weights)] = "a step is W - eta * dE/dW from the original weights",
        [nameof(The_batch_gradient_is_the_sum_or_mean_of_per_example_gradients)] = "the batch gradient is the sum or mean of per-example gradients",
        [nameof(Half_mse_gradients_are_half_sse_gradients_over_m)] = "half-mse gradients are half-sse gradients over m",
        [nameof(Duplicating_the_batch_of_a_summed_loss_doubles_every_gradient)] = "duplicating the batch of a summed loss doubles every gradient",
        [nameof(Permuting_hidden_units_permutes_the_gradients)] = "permuting hidden units permutes the gradients",
        [nameof(Zero_error_gives_zero_gradient)] = "zero error gives zero gradient",
        [nameof(A_small_enough_step_does_not_increase_the_loss)] = "a small enough step does not increase the loss",
    };

    /// <summary>The implementation under test; override to construct it another way. Random networks
    /// are drawn inside <c>new TImplementation().Capabilities</c>; a network outside the capabilities
    /// of the implementation this returns is skipped like a declined one.</summary>
    protected virtual IBackprop CreateImplementation() => new TImplementation();

    /// <summary>When true, accuracy and range findings fail too (answers less accurate than careful
    /// arithmetic). The reference's own conformance test is strict; a textbook implementation is not.</summary>
    protected virtual bool Strict => false;

    const string NothingJudged = "nothing judged";

    // one test's run: xunit makes a new instance of the test class for every test
    IBackprop? implementation;
    SeededRun.Plan? plan;
    int judged, skipped;
    string? firstSkip;

    /// <summary>Writes a line to the test's output.</summary>
    partial void Say(string line);

    /// <summary>
    /// Judges the property of the kit's test <paramref name="test"/> (by default the calling test) on one network. A network outside
    /// the capabilities or declined is skipped and counted; the last network of a run fails when none
    /// was judged. A failing network fails with the whole report; while FsCheck shrinks it, a candidate
    /// counts only when it fails the same way (the same zone). To pin a replay in your own class:
    /// <c>[ConformanceProperty(Replay = "…")] public Property Pinned(NetworkFor&lt;MyBackprop&gt; n) =&gt; Holds(n, nameof(Gradients_agree_with_the_exact_derivatives));</c>
    /// </summary>
    protected Property Holds(NetworkFor<TImplementation> n, string? test = null, [CallerMemberName] string caller = "")
    {
        test ??= caller;
        if (!PropertyOfTest.TryGetValue(test, out string? property))
            throw new ArgumentException($"'{test}' is not one of the kit's property tests: {string.Join(", ", PropertyOfTest.Keys)}");
        IBackprop impl = implementation ??= CreateImplementation();
        if (plan is not { } run)
        {
            run = (plan = SeededPropertyAttribute.On(GetType(), caller).Plan()).Value;
            Say(SeededRun.Header($"{property}: {impl.Name}{(Strict ? ", strict" : "")}", run));
        }

        CaseOrigin? origin = SeededRun.OriginOf(n.Network);
        NetworkOutcome outcome = ConformanceChecks.CheckNetwork(impl, property, n.Network);
        bool original = origin is not { IsShrunk: true };
        if (original && outcome.Skipped is null) judged++;
        if (original && outcome.Skipped is not null) { skipped++; firstSkip ??= $"{SeededRun.Where(n.Network, run)}: {outcome.Skipped}"; }

        string? failedAs = outcome.Verdict is { } v && v.Fails(Strict) ? Zones.Name(v.Zone) : null;
        if (failedAs is null && judged == 0 && origin is { IsShrunk: false, IsReplay: false } && run.IsLast(origin.Index)) failedAs = NothingJudged;
        if (failedAs is null || origin is { IsShrunk: true } && origin.Root.FailedAs != failedAs)
            return true.ToProperty()
                .Classify(outcome.Skipped is not null, "skipped (outside the capabilities, or declined)")
                .Classify(outcome.Verdict?.Zone == Zone.Accuracy, "accuracy finding")
                .Classify(outcome.Verdict?.Zone == Zone.Range, "range finding");
        if (origin is { IsShrunk: false }) origin.FailedAs = failedAs;

        string where = SeededRun.Where(n.Network, run);
        string replay = SeededRun.ReplayLines(n.Network, run, test, r =>
            $"[ConformanceProperty(Replay = \"{r}\")] public Property {test}_replayed(NetworkFor<{typeof(TImplementation).Name}> n) => Holds(n, nameof({test}));");
        if (failedAs == NothingJudged)
            throw new PropertyFailure($"""
                no random network was judged: the implementation skipped all {skipped} ({where}; the first: {firstSkip})
                {SeededRun.RunLine(run)}
                """);
        PropertyVerdict verdict = outcome.Verdict!;
        throw new PropertyFailure($"""
            {impl.Name} fails the property "{property}" ({failedAs}) on {where}:
            {verdict.Message}
            {verdict.Table?.Table() ?? ""}
            {replay}
            """);
    }
}

/// <summary>
/// The kit's <c>[Property]</c>: seeded random networks (<see cref="ConformanceGenerators"/>), 200 per
/// property unless BACKPROPSPEC_PROPERTY_COUNT says otherwise, from BACKPROPSPEC_SEED (default
/// 20261123), the shard BACKPROPSPEC_SHARD=K/N of them, or the one case BACKPROPSPEC_REPLAY or
/// <c>Replay = "…"</c> names. Use it for your own properties over <see cref="NetworkFor{TImplementation}"/>.
/// </summary>
public sealed class ConformancePropertyAttribute : SeededPropertyAttribute
{
    public ConformancePropertyAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(ConformanceChecks.DefaultCount, typeof(ConformanceGenerators)) => _ = (sourceFilePath, sourceLineNumber);
}

/// <summary>The kit's generators: seeded random networks over everything the reference supports, or
/// inside an implementation's capabilities; shrunk to a minimal network.</summary>
public static class ConformanceGenerators
{
    public static Arbitrary<Network> Networks() => SeededRun.Networks(Capabilities.Everything, ConformanceChecks.DefaultCount);

    public static Arbitrary<NetworkFor<T>> NetworksFor<T>() where T : IBackprop, new() => SeededRun.NetworksFor<T>(ConformanceChecks.DefaultCount);
}
