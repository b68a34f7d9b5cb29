using BackpropSpec.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.Conformance;

/// <summary>
/// The conformance kit for xunit v2: inherit it once and every golden example and every property of
/// backprop runs against your implementation as xunit tests, each property an FsCheck
/// <c>[Property]</c> test of its own.
/// <code>
/// public class MyConformance(ITestOutputHelper output) : ConformanceTests&lt;MyBackprop&gt;(output);
/// </code>
/// What the implementation does not support (its <see cref="IBackprop.Capabilities"/>, or a network
/// it declines with <see cref="NotSupportedException"/>) is skipped and counted, not failed.
/// BACKPROPSPEC_PROPERTY_COUNT sets the number of random networks per property (default 200),
/// BACKPROPSPEC_SEED the seed (default <see cref="ConformanceChecks.DefaultSeed"/>),
/// BACKPROPSPEC_SHARD=K/N the shard of them this machine checks.
/// For xunit.v3 use the package BackpropSpec.Conformance.XunitV3 instead.
/// </summary>
public abstract partial class ConformanceTests<TImplementation> where TImplementation : IBackprop, new()
{
    readonly ITestOutputHelper? output;

    protected ConformanceTests() { }

    protected ConformanceTests(ITestOutputHelper output) => this.output = output;

    partial void Say(string line) => output?.WriteLine(line);

    [SkippableTheory]
    [MemberData(nameof(ConformanceCases.ExampleNames), MemberType = typeof(ConformanceCases))]
    public void Golden_example(string example)
    {
        ExampleOutcome outcome = ConformanceChecks.CheckExample(CreateImplementation(), example, Strict);
        Skip.If(outcome.Skipped is not null, outcome.Skipped);
        if (outcome.Failure is not null) Assert.Fail(outcome.Failure);
    }
}

/// <summary>The cases of the kit's theory: one test per golden example.</summary>
public static class ConformanceCases
{
    public static TheoryData<string> ExampleNames => new(Examples.Names);
}
