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
        PropertyFailure? failure = ConformanceChecks.CheckProperty(mutant, OracleProperty, ConformanceChecks.DefaultSeed, count);

        Assert.NotNull(failure);
        Assert.True(failure.Minimal.ParameterCount <= 2, $"shrunk to {failure.Minimal.ParameterCount} parameters:\n{failure.Minimal}");
        // the report names the seed and index, prints the minimal network as a document, and says what fails
        string report = failure.Report();
        Assert.Contains($"BACKPROPSPEC_SEED={ConformanceChecks.DefaultSeed}", report);
        Assert.Contains($"random network {failure.Index} of {count}", report);
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
        Assert.Null(ConformanceChecks.CheckProperty(new ReferenceBackprop(), OracleProperty, ConformanceChecks.DefaultSeed, 20));
    }

    [Fact]
    public void The_golden_example_check_catches_002s_erratum_in_the_step_only()
    {
        // 002's printed "error after one step" came from updated-weight deltas: the step is wrong, the gradients are not
        string? failure = ConformanceChecks.CheckExample(new Mutant(Bug.UpdatedWeightsInBackprop), "002-mazur-2-2-2");
        Assert.NotNull(failure);
        Assert.Contains("step[0].weights[0][0]", failure);
        Assert.DoesNotContain("gradients[", failure);
        Assert.Null(ConformanceChecks.CheckExample(new ReferenceBackprop(), "002-mazur-2-2-2"));
    }

    [Fact]
    public void An_implementation_that_throws_is_reported_not_crashed()
    {
        string? failure = ConformanceChecks.CheckExample(new Throwing(), "000");
        Assert.NotNull(failure);
        Assert.Contains("threw InvalidOperationException", failure);
    }

    sealed class Throwing : IBackprop
    {
        public string Name => "throwing";
        public Evaluation Forward(Network network) => throw new InvalidOperationException("forward is broken");
        public Gradients Gradients(Network network) => throw new InvalidOperationException("gradients are broken");
        public Parameters Step(Network network) => throw new InvalidOperationException("step is broken");
    }
}
