using BackpropSpec.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.Conformance;

/// <summary>
/// The conformance kit: inherit it once and every golden example and every property of backprop
/// runs against your implementation as xunit tests.
/// <code>
/// public class MyConformance : ConformanceTests&lt;MyBackprop&gt; { }
/// // or, to see the seed and count of every property run in the test output:
/// public class MyConformance(ITestOutputHelper output) : ConformanceTests&lt;MyBackprop&gt;(output);
/// </code>
/// BACKPROPSPEC_PROPERTY_COUNT sets the number of random networks per property (default 200),
/// BACKPROPSPEC_SEED the seed (default <see cref="ConformanceChecks.DefaultSeed"/>).
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

    [Theory]
    [MemberData(nameof(ConformanceCases.ExampleNames), MemberType = typeof(ConformanceCases))]
    public void Golden_example(string example)
    {
        string? failure = ConformanceChecks.CheckExample(CreateImplementation(), example, Strict);
        if (failure is not null) Assert.Fail(failure);
    }

    [Theory]
    [MemberData(nameof(ConformanceCases.PropertyNames), MemberType = typeof(ConformanceCases))]
    public void Property_holds(string property)
    {
        ulong seed = ConformanceChecks.Seed;
        int count = ConformanceChecks.Count;
        output?.WriteLine($"{property}: {count} random networks, seed {seed} (replay with BACKPROPSPEC_SEED={seed} BACKPROPSPEC_PROPERTY_COUNT={count})");
        PropertyFailure? failure = ConformanceChecks.CheckProperty(CreateImplementation(), property, seed, count, Strict);
        if (failure is not null) Assert.Fail(failure.Report());
    }
}

/// <summary>The cases of the kit's theories: one test per golden example and one per property.</summary>
public static class ConformanceCases
{
    public static TheoryData<string> ExampleNames => new(Examples.Names);

    public static TheoryData<string> PropertyNames => new(Properties.All.Select(p => p.Name));
}
