using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.OracleTests;

/// <summary>The reference is the conformance kit's first user: every golden example and every property.</summary>
public class ReferenceConformance(ITestOutputHelper output) : ConformanceTests<ReferenceBackprop>(output)
{
    /// <summary>The reference is held to careful arithmetic: an accuracy finding fails it.</summary>
    protected override bool Strict => true;
}

/// <summary>The kit's checks can fail: a planted bug is reported with its seed, index and a small network.</summary>
public class ConformanceKitTests
{
    const string OracleProperty = "gradients agree with the exact derivatives";

    [Fact]
    public void A_sign_flip_fails_the_property_run_with_a_replayable_report_and_a_minimal_network()
    {
        var mutant = new Mutant(Bug.SignFlip);
        const int count = 20;
        PropertyFailure? failure = ConformanceChecks.CheckProperty(mutant, OracleProperty, ConformanceChecks.DefaultSeed, count).Failure;

        Assert.NotNull(failure);
        Assert.True(failure.Minimal.ParameterCount <= 2, $"shrunk to {failure.Minimal.ParameterCount} parameters:\n{failure.Minimal}");
        // the report names the seed and index, prints the minimal network as a document, and says what fails
        string report = failure.Report();
        Assert.StartsWith($"seed {ConformanceChecks.DefaultSeed}, random network {failure.Index} of {count} (replay with BACKPROPSPEC_SEED={ConformanceChecks.DefaultSeed} BACKPROPSPEC_PROPERTY_COUNT={count})\n", report);
        Assert.Contains(NetworkJson.Write(failure.Minimal), report);
        Assert.Contains(failure.Verdict.Message, report);
        // and it is true: the seed and index replay a failing network, the minimal one fails, the reference passes it
        Assert.Equal(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(mutant, NetworkGen.Sample(ConformanceChecks.DefaultSeed, failure.Index, count), Precision.Float64).Zone);
        Assert.Equal(Zone.Wrong, Oracle.Properties.GradientsAgreeWithExactValues(mutant, failure.Minimal, Precision.Float64).Zone);
        Assert.Equal(Zone.Agrees, Oracle.Properties.GradientsAgreeWithExactValues(new ReferenceBackprop(), failure.Minimal, Precision.Float64).Zone);
    }

    [Fact]
    public void A_property_failure_on_the_first_network_is_found_and_the_reference_passes_the_same_run()
    {
        PropertyOutcome outcome = ConformanceChecks.CheckProperty(new ReferenceBackprop(), OracleProperty, ConformanceChecks.DefaultSeed, 20);
        Assert.Null(outcome.Failure);
        Assert.Equal(20, outcome.Checked);
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

    /// <summary>An implementation without softmax (and without relu), as the kit's users may write:
    /// networks outside its capabilities are skipped and counted, never failed.</summary>
    sealed class SigmoidOnly(bool declineTanh = false) : IBackprop
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
            if (declineTanh && n.Layers.Any(l => l.Activation == Activation.Tanh)) throw new NotSupportedException("tanh is declined");
            return call();
        }
    }

    [Fact]
    public void Golden_examples_outside_the_capabilities_are_skipped_with_the_reason_and_the_rest_checked()
    {
        ExampleOutcome[] outcomes = Examples.Names.Select(e => ConformanceChecks.CheckExample(new SigmoidOnly(), e)).ToArray();
        Assert.All(outcomes, o => Assert.Null(o.Failure));
        ExampleOutcome relu = Assert.Single(outcomes, o => o.Skipped is not null);
        Assert.Equal("004-batched-relu", relu.Example);
        Assert.Contains("does not support the activation relu", relu.Skipped);
    }

    [Fact]
    public void Random_networks_stay_inside_the_capabilities_and_declined_ones_are_counted_not_failed()
    {
        PropertyOutcome outcome = ConformanceChecks.CheckProperty(new SigmoidOnly(declineTanh: true), OracleProperty, ConformanceChecks.DefaultSeed, 40);
        Assert.Null(outcome.Failure);
        Assert.True(outcome.Declined > 0, outcome.Summary());
        Assert.Equal(40, outcome.Checked + outcome.Declined);
        Assert.StartsWith($"seed {ConformanceChecks.DefaultSeed} ", outcome.Summary());
        Assert.Contains($"{outcome.Checked} of 40 random networks checked, {outcome.Declined} declined as unsupported", outcome.Summary());
    }

    sealed class Throwing : IBackprop
    {
        public string Name => "throwing";
        public Evaluation Forward(Network network) => throw new InvalidOperationException("forward is broken");
        public Gradients Gradients(Network network) => throw new InvalidOperationException("gradients are broken");
        public Parameters Step(Network network) => throw new InvalidOperationException("step is broken");
    }
}
