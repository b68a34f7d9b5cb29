using BackpropSpec.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.Conformance;

/// <summary>
/// The conformance kit for xunit v2: inherit it once and every golden example and every property of
/// backprop runs against your implementation as xunit tests.
/// <code>
/// public class MyConformance(ITestOutputHelper output) : ConformanceTests&lt;MyBackprop&gt;(output);
/// </code>
/// What the implementation does not support (its <see cref="IBackprop.Capabilities"/>, or a network
/// it declines with <see cref="NotSupportedException"/>) is skipped and counted, not failed.
/// BACKPROPSPEC_PROPERTY_COUNT sets the number of random networks per property (default 200),
/// BACKPROPSPEC_SEED the seed (default <see cref="ConformanceChecks.DefaultSeed"/>).
/// For xunit.v3 use the package BackpropSpec.Conformance.XunitV3 instead.
/// </summary>
public abstract class ConformanceTests<TImplementation> where TImplementation : IBackprop, new()
{
    readonly ITestOutputHelper? output;

    protected ConformanceTests() { }

    protected ConformanceTests(ITestOutputHelper output) => this.output = output;

    /// <summary>The implementation under test; override to construct it another way.</summary>
    protected virtual IBackprop CreateImplementation() => new TImplementation();

    /// <summary>When true, accuracy and range findings fail too (answers less accurate than careful
    /// arithmetic). The reference's own conformance test is strict; a textbook implementation is not.</summary>
    protected virtual bool Strict => false;

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.ExampleNames), MemberType = typeof(ConformanceCases))]
    public void Golden_example(string example)
    {
        ExampleOutcome outcome = ConformanceChecks.CheckExample(CreateImplementation(), example, Strict);
        Skip.If(outcome.Skipped is not null, outcome.Skipped);
        if (outcome.Failure is not null) Assert.Fail(outcome.Failure);
    }

    [Theory]
    [MemberData(nameof(ConformanceCases.PropertyNames), MemberType = typeof(ConformanceCases))]
    public void Property_holds(string property)
    {
        PropertyOutcome outcome = ConformanceChecks.CheckProperty(CreateImplementation(), property, ConformanceChecks.Seed, ConformanceChecks.Count, Strict);
        output?.WriteLine(outcome.Summary());
        if (outcome.Failure is not null) Assert.Fail(outcome.Failure.Report());
        // a run that checked nothing would pass in silence: that is a failure of the set-up
        if (outcome.Checked == 0) Assert.Fail($"{outcome.Summary()}\nno random network was checked: the implementation declined every one");
    }
}

/// <summary>The cases of the kit's theories: one test per golden example and one per property.</summary>
public static class ConformanceCases
{
    public static TheoryData<string> ExampleNames => new(Examples.Names);

    public static TheoryData<string> PropertyNames => new(Properties.All.Select(p => p.Name));
}
