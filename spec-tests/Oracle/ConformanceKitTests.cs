using System.Text.RegularExpressions;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Properties;
using FsCheck;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>The reference is the conformance kit's first user: every golden example and every property.</summary>
public class ReferenceConformance(ITestOutputHelper output) : ConformanceTests<ReferenceBackprop>(output)
{
    /// <summary>The reference is held to careful arithmetic: an accuracy finding fails it.</summary>
    protected override bool Strict => true;
}

/// <summary>The kit's checks can fail: a planted bug fails its property test with the seed, the case,
/// a small network and the replay; what an implementation does not support is skipped and counted; an
/// implementation that declines everything fails rather than passing in silence.</summary>
public class ConformanceKitTests(ITestOutputHelper output)
{
#pragma warning disable xUnit1000 // fixtures: run by the tests below, in this process, not tests of their own
    internal sealed class SignFlipConformance(ITestOutputHelper output) : ConformanceTests<SignFlipped>(output)
    {
        /// <summary>The replay the failure prints at the default seed and count, pasted as the report says.</summary>
        [ConformanceProperty(Replay = "4481971882833597885,11400714819323198485,1")] public Property Gradients_agree_with_the_exact_derivatives_replayed(NetworkFor<SignFlipped> n) => Holds(n, nameof(Gradients_agree_with_the_exact_derivatives));
    }
    internal sealed class SigmoidOnlyConformance(ITestOutputHelper output) : ConformanceTests<SigmoidOnlyDecliningTanh>(output);
    internal sealed class DeclineAllConformance(ITestOutputHelper output) : ConformanceTests<DeclinesEverything>(output);
#pragma warning restore xUnit1000

    /// <summary>The sign-flipped backprop of the bug zoo, constructed without arguments.</summary>
    public sealed class SignFlipped : IBackprop
    {
        readonly Mutant mutant = new(Bug.SignFlip);
        public string Name => mutant.Name;
        public Evaluation Forward(Network n) => mutant.Forward(n);
        public Gradients Gradients(Network n) => mutant.Gradients(n);
        public Parameters Step(Network n) => mutant.Step(n);
    }

    [Fact]
    public async Task A_sign_flip_fails_the_property_test_with_its_case_a_minimal_network_and_the_replay()
    {
        const string test = nameof(ConformanceTests<SignFlipped>.Gradients_agree_with_the_exact_derivatives);
        InProcess.Outcome run = await InProcess.Run(typeof(SignFlipConformance), test);
        output.WriteLine(run.ToString());
        Assert.False(run.Passed);
        string report = run.Message;
        ulong seed = RunSettings.Seed;
        int count = RunSettings.Count(ConformanceChecks.DefaultCount);

        // the case: the seeded run's network i, the one NetworkGen.Sample draws (and check would judge)
        Match where = Regex.Match(report, @"fails the property ""gradients agree with the exact derivatives"" \(wrong\) on case (?<i>\d+) of (?<count>\d+) of the run of seed (?<seed>\d+), shrunk:");
        Assert.True(where.Success, report);
        int index = int.Parse(where.Groups["i"].Value);
        Assert.Equal((count, seed), (int.Parse(where.Groups["count"].Value), ulong.Parse(where.Groups["seed"].Value)));
        Network original = NetworkGen.Sample(seed, index, count);
        Assert.Contains("Original:\n" + NetworkJson.Write(original), report);
        Assert.Equal(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(new SignFlipped(), original, Precision.Float64).Zone);

        // the minimal network is small, fails, and the reference passes it
        string shrunkJson = Regex.Match(report, @"\nShrunk:\n(?<doc>\{.*?\n\})", RegexOptions.Singleline).Groups["doc"].Value;
        Network minimal = NetworkJson.Parse(shrunkJson);
        Assert.True(minimal.ParameterCount <= 2, $"shrunk to {minimal.ParameterCount} parameters:\n{minimal}");
        Assert.Equal(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(new SignFlipped(), minimal, Precision.Float64).Zone);
        Assert.Equal(Zone.Agrees, Oracle.Properties.GradientsAgreeWithExactValues(new ReferenceBackprop(), minimal, Precision.Float64).Zone);

        // the replay, in the environment and as a property to paste beside the consumer's tests
        string replay = SeededRun.ReplayOf(seed, index, count);
        Assert.Contains($"BACKPROPSPEC_REPLAY={replay} dotnet test --filter \"FullyQualifiedName~{test}\"", report);
        Assert.Contains($"[ConformanceProperty(Replay = \"{replay}\")] public Property {test}_replayed(NetworkFor<SignFlipped> n) => Holds(n, nameof({test}));", report);
        Assert.StartsWith($"gradients agree with the exact derivatives: {new SignFlipped().Name}: {count} random networks of seed {seed}", run.Output);
        if (InProcess.DefaultSettings) Assert.Equal((PastedReplay, PastedCase), (replay, index));
    }

    const string PastedReplay = "4481971882833597885,11400714819323198485,1";
    const int PastedCase = 2;


    /// <summary>The property the report says to paste into the consumer's class runs that one case,
    /// and fails on it the same way.</summary>
    [Fact]
    public async Task The_pasted_replay_property_fails_again_on_its_one_case()
    {
        InProcess.Outcome run = await InProcess.Run(typeof(SignFlipConformance), nameof(SignFlipConformance.Gradients_agree_with_the_exact_derivatives_replayed));
        output.WriteLine(run.ToString());
        Assert.False(run.Passed);
        Assert.Contains("Falsifiable, after 1 test ", run.Message);
        Assert.Contains("Original:\n" + NetworkJson.Write(NetworkGen.Sample(RunSettings.DefaultSeed, PastedCase, ConformanceChecks.DefaultCount)), run.Message);
        Assert.Contains("fails the property \"gradients agree with the exact derivatives\" (wrong) on the replayed case", run.Message);
        Assert.StartsWith($"gradients agree with the exact derivatives: {new SignFlipped().Name}: replaying one case", run.Output);
    }

    /// <summary>An implementation without softmax and relu that also declines tanh, as the kit's users
    /// may write: networks outside its capabilities are never drawn, declined ones are skipped and counted.</summary>
    public sealed class SigmoidOnlyDecliningTanh : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        public string Name => "sigmoid-only";
        public Capabilities Capabilities { get; } = new([Activation.Identity, Activation.Sigmoid, Activation.Tanh], [LossKind.HalfSse, LossKind.HalfMse, LossKind.BinaryCrossEntropy]);
        public Evaluation Forward(Network n) => Guard(n, () => reference.Forward(n));
        public Gradients Gradients(Network n) => Guard(n, () => reference.Gradients(n));
        public Parameters Step(Network n) => Guard(n, () => reference.Step(n));

        T Guard<T>(Network n, Func<T> call)
        {
            if (!n.Layers.All(l => Capabilities.Activations.Contains(l.Activation))) throw new InvalidOperationException("asked for a network outside the capabilities");
            if (n.Layers.Any(l => l.Activation == Activation.Tanh)) throw new NotSupportedException("tanh is declined");
            return call();
        }
    }

    public sealed class DeclinesEverything : IBackprop
    {
        public string Name => "declines-everything";
        public Evaluation Forward(Network n) => throw new NotSupportedException("not yet");
        public Gradients Gradients(Network n) => throw new NotSupportedException("not yet");
        public Parameters Step(Network n) => throw new NotSupportedException("not yet");
    }

    [Fact]
    public async Task Random_networks_stay_inside_the_capabilities_and_declined_ones_are_skipped_and_counted()
    {
        InProcess.Outcome run = await InProcess.Run(typeof(SigmoidOnlyConformance), nameof(ConformanceTests<SigmoidOnlyDecliningTanh>.Gradients_agree_with_the_exact_derivatives));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, run.ToString());
        Assert.Matches(@"Ok, passed \d+ tests \(\d+% skipped \(outside the capabilities, or declined\)\)", run.Output);
    }

    [Fact]
    public async Task An_implementation_that_declines_every_network_fails_instead_of_passing_in_silence()
    {
        InProcess.Outcome run = await InProcess.Run(typeof(DeclineAllConformance), nameof(ConformanceTests<DeclinesEverything>.Zero_error_gives_zero_gradient));
        output.WriteLine(run.ToString());
        Assert.False(run.Passed);
        Assert.Contains($"no random network was judged: the implementation skipped all {RunSettings.Shard.Size(RunSettings.Count(ConformanceChecks.DefaultCount))}", run.Message);
        Assert.Contains("declined by the implementation: not yet", run.Message);
    }

    /// <summary>One [Property] test per property of the oracle, in its order, in the kit and in the
    /// suite's strict run of the reference: a new property cannot be left out of either.</summary>
    [Fact]
    public void The_kit_has_one_property_test_per_property_and_the_suite_names_them_alike()
    {
        Assert.Equal(Oracle.Properties.All.Select(p => p.Name), ConformanceTests<ReferenceBackprop>.PropertyOfTest.Values);
        string[] Tests(Type t) => t.GetMethods().Where(m => m.GetCustomAttributes(typeof(SeededPropertyAttribute), true).Length > 0).Select(m => m.Name).Order().ToArray();
        Assert.Equal(ConformanceTests<ReferenceBackprop>.PropertyOfTest.Keys.Order(), Tests(typeof(ConformanceTests<ReferenceBackprop>)));
        Assert.Equal(Tests(typeof(ConformanceTests<ReferenceBackprop>)), Tests(typeof(SpecTests.Properties.ReferenceProperties)));
    }

    [Fact]
    public void The_golden_example_check_catches_002s_erratum_in_the_step_only()
    {
        // 002's printed "error after one step" came from updated-weight deltas: the step is wrong, the gradients are not
        string? failure = ConformanceChecks.CheckExample(new Mutant(Bug.UpdatedWeightsInBackprop), "002-mazur-2-2-2").Failure;
        Assert.NotNull(failure);
        Assert.Contains("step[0].weights[0][0]", failure);
        Assert.DoesNotContain("gradients[", failure);
        Assert.Equal(new ExampleOutcome("002-mazur-2-2-2", null, null), ConformanceChecks.CheckExample(new ReferenceBackprop(), "002-mazur-2-2-2"));
    }

    [Fact]
    public void An_implementation_that_throws_is_reported_not_crashed()
    {
        string? failure = ConformanceChecks.CheckExample(new Throwing(), "000").Failure;
        Assert.NotNull(failure);
        Assert.Contains("threw InvalidOperationException", failure);
    }

    [Fact]
    public void Golden_examples_outside_the_capabilities_are_skipped_with_the_reason_and_the_rest_checked()
    {
        ExampleOutcome[] outcomes = Examples.Names.Select(e => ConformanceChecks.CheckExample(new SigmoidOnlyDecliningTanh(), e)).ToArray();
        Assert.All(outcomes, o => Assert.Null(o.Failure));
        ExampleOutcome relu = Assert.Single(outcomes, o => o.Skipped is not null);
        Assert.Equal("004-batched-relu", relu.Example);
        Assert.Contains("does not support the activation relu", relu.Skipped);
    }

    sealed class Throwing : IBackprop
    {
        public string Name => "throwing";
        public Evaluation Forward(Network network) => throw new InvalidOperationException("forward is broken");
        public Gradients Gradients(Network network) => throw new InvalidOperationException("gradients are broken");
        public Parameters Step(Network network) => throw new InvalidOperationException("step is broken");
    }
}
