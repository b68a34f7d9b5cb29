using FsCheck.Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>
/// Runs one <c>[Property]</c> test of a fixture class in this process exactly as `dotnet test` runs it
/// (FsCheck.Xunit's own test case reads the attributes, makes the class with its output, runs FsCheck),
/// and returns what a user sees: passed or failed, the failure as xunit prints it, and the test's
/// output. The fixtures are non-public classes, so xunit does not run them as tests of their own.
/// </summary>
public static class InProcess
{
    public sealed record Outcome(bool Passed, string Message, string Output)
    {
        public override string ToString() => $"{(Passed ? "passed" : "failed")}\n{Message}\n--- output ---\n{Output}";
    }

    /// <summary>Whether this run has the default seed, count and shard (no BACKPROPSPEC_SEED,
    /// _PROPERTY_COUNT or _SHARD): then a fixture fails exactly where a replay pasted into it says.</summary>
    public static bool DefaultSettings => Environment.GetEnvironmentVariable("BACKPROPSPEC_SEED") is null
                                          && Environment.GetEnvironmentVariable("BACKPROPSPEC_PROPERTY_COUNT") is null
                                          && Environment.GetEnvironmentVariable("BACKPROPSPEC_SHARD") is null;

    public static async Task<Outcome> Run(Type fixture, string method)
    {
        var assembly = new TestAssembly(Reflector.Wrap(fixture.Assembly));
        var testClass = new TestClass(new TestCollection(assembly, null, "in-process fixtures"), Reflector.Wrap(fixture));
        var testMethod = new TestMethod(testClass, Reflector.Wrap(fixture.GetMethod(method) ?? throw new ArgumentException($"{fixture.Name} has no method {method}")));
        var testCase = new PropertyTestCase(new NullMessageSink(), TestMethodDisplay.Method, TestMethodDisplayOptions.None, testMethod, null);
        var bus = new Bus();
        await testCase.RunAsync(new NullMessageSink(), bus, [new TestOutputHelper()], new ExceptionAggregator(), new CancellationTokenSource());
        foreach (IMessageSinkMessage m in bus.Messages)
        {
            if (m is ITestFailed f)
                return new Outcome(false, string.Join("\n---- ", f.ExceptionTypes.Zip(f.Messages, (t, text) => $"{t} : {text}")), f.Output);
            if (m is ITestPassed p) return new Outcome(true, "", p.Output);
        }
        throw new InvalidOperationException($"{fixture.Name}.{method} reported neither a pass nor a failure");
    }

    sealed class Bus : IMessageBus
    {
        public List<IMessageSinkMessage> Messages { get; } = [];
        public bool QueueMessage(IMessageSinkMessage message) { lock (Messages) Messages.Add(message); return true; }
        public void Dispose() { }
    }
}
