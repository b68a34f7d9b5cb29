using BackpropSpec.Oracle;
using Xunit;

namespace BackpropSpec.Conformance;

/// <summary>
/// The conformance kit for xunit.v3: inherit it once and every golden example and every property of
/// backprop runs against your implementation as xunit tests, each property an FsCheck
/// <c>[Property]</c> test of its own.
/// <code>
/// public class MyConformance : ConformanceTests&lt;MyBackprop&gt;;
/// </code>
/// What the implementation does not support (its <see cref="IBackprop.Capabilities"/>, or a network
/// it declines with <see cref="NotSupportedException"/>) is skipped with the reason, not failed.
/// Each property writes its seed and counts as the first line of its test output.
/// BACKPROPSPEC_PROPERTY_COUNT sets the number of random networks per property (default 200),
/// BACKPROPSPEC_SEED the seed (default <see cref="ConformanceChecks.DefaultSeed"/>),
/// BACKPROPSPEC_SHARD=K/N the shard of them this machine checks.
/// For xunit v2 use the package BackpropSpec.Conformance instead.
/// </summary>
public abstract partial class ConformanceTests<TImplementation> where TImplementation : IBackprop, new()
{
    partial void Say(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Theory]
    [MemberData(nameof(ConformanceCases.ExampleNames), MemberType = typeof(ConformanceCases))]
    public void Golden_example(string example)
    {
        ExampleOutcome outcome = ConformanceChecks.CheckExample(CreateImplementation(), example, Strict);
        if (outcome.Skipped is not null) Assert.Skip(outcome.Skipped);
        if (outcome.Failure is not null) Assert.Fail(outcome.Failure);
    }
}

/// <summary>The cases of the kit's theory: one test per golden example.</summary>
public static class ConformanceCases
{
    public static TheoryData<string> ExampleNames => new(Examples.Names);
}
