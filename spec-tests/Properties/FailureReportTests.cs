using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>What a user sees when a property fails: FsCheck's report with the run's seed, the original
/// and the shrunk network as network documents, then what differs, the per-parameter table worst first,
/// and the lines that replay the case: pasted into the attribute, or from the environment.</summary>
public class FailureReportTests(ITestOutputHelper output)
{
#pragma warning disable xUnit1000 // fixtures: run by the tests below, in this process, not tests of their own
    /// <summary>A property the sign-flipped backprop fails, as a user's test class would have it, and
    /// the same with the replay line it prints pasted in (at the default seed and count).</summary>
    internal sealed class SignFlipped(ITestOutputHelper output) : PropertyTests(output)
    {
        [NetworkProperty]
        public Property Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives(Network n) => Agrees(n);

        [NetworkProperty(Replay = Pasted)]
        public Property Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives_replayed(Network n) => Agrees(n);

        [NetworkProperty]
        public Property The_reference_gradients_agree_with_the_exact_derivatives(Network n) =>
            Holds(n, Oracle.Properties.GradientsAgreeWithExactValues(new ReferenceBackprop(), n, Precision.Float64).Zone == Zone.Agrees ? null : "disagrees");

        Property Agrees(Network n, [CallerMemberName] string test = "") =>
            Holds(n, Oracle.Properties.GradientsAgreeWithExactValues(new Mutant(Bug.SignFlip), n, Precision.Float64) is { Zone: not Zone.Agrees } v
                ? $"[{Zones.Name(v.Zone)}] {v.Message}\n{v.Table?.Table()}" : null, test);
    }
#pragma warning restore xUnit1000

    /// <summary>What the first property prints at the default seed and count, pasted into the second.</summary>
    const string Pasted = "4481971882833597885,11400714819323198485,0";
    const int PastedCase = 2;


    static string Section(string message, string name) =>
        Regex.Match(message, $@"\n{name}:\n(?<doc>\{{.*?\n\}})", RegexOptions.Singleline) is { Success: true } m ? m.Groups["doc"].Value
        : throw new Xunit.Sdk.XunitException($"no {name} network in:\n{message}");

    [Fact]
    public async Task A_failing_property_prints_the_seed_the_shrunk_network_the_table_and_the_replay_lines()
    {
        InProcess.Outcome run = await InProcess.Run(typeof(SignFlipped), nameof(SignFlipped.Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives));
        output.WriteLine(run.ToString());
        Assert.False(run.Passed);
        string report = run.Message;
        ulong seed = RunSettings.Seed;
        int count = RunSettings.Count(NetworkPropertyAttribute.DefaultCount);

        // FsCheck's own report: the run's seed, the original and the shrunk network as documents
        Assert.Contains($"({seed},{SeededRun.Gamma})", report);
        Network original = NetworkJson.Parse(Section(report, "Original"));
        Network shrunk = NetworkJson.Parse(Section(report, "Shrunk"));
        Assert.True(shrunk.ParameterCount <= 2, $"shrunk to {shrunk.ParameterCount} parameters");

        // the table, worst first: the first row's verdict is the failure
        Assert.Contains("parameter", report);
        Assert.Contains("careful", report);
        Assert.Contains("textbook", report);
        string firstRow = report[report.IndexOf("  layers[", report.IndexOf("textbook  verdict", StringComparison.Ordinal), StringComparison.Ordinal)..].Split('\n')[0];
        Assert.EndsWith(" wrong", firstRow.TrimEnd());

        // where the case comes from, and its replay: the seeded run's case i is NetworkGen.Sample(seed, i, count)
        Match where = Regex.Match(report, @"on case (?<i>\d+) of (?<count>\d+) of the run of seed (?<seed>\d+), shrunk:");
        Assert.True(where.Success, report);
        int index = int.Parse(where.Groups["i"].Value);
        Assert.Equal(count, int.Parse(where.Groups["count"].Value));
        Assert.Equal(NetworkJson.Write(NetworkGen.Sample(seed, index, count)), NetworkJson.Write(original));
        string replay = SeededRun.ReplayOf(seed, index, count);
        Assert.Contains($"[NetworkProperty(Replay = \"{replay}\")] on Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives", report);
        Assert.Contains($"BACKPROPSPEC_REPLAY={replay} dotnet test --filter \"FullyQualifiedName~Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives\"", report);
        Assert.Contains($"the whole run: BACKPROPSPEC_SEED={seed} BACKPROPSPEC_PROPERTY_COUNT={count}", report);
        // the line pasted into the fixture's second property is the one printed here
        if (InProcess.DefaultSettings) Assert.Equal((Pasted, PastedCase), (replay, index));
    }

    [Fact]
    public async Task Pasting_the_printed_replay_into_the_attribute_reproduces_the_failure()
    {
        InProcess.Outcome replayed = await InProcess.Run(typeof(SignFlipped), nameof(SignFlipped.Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives_replayed));
        output.WriteLine(replayed.ToString());
        Assert.False(replayed.Passed);
        // one test, on exactly the case the line names (whatever BACKPROPSPEC_SEED, _COUNT or _SHARD say),
        // shrunk to the same network the seeded run shrinks it to
        Assert.Contains("Falsifiable, after 1 test ", replayed.Message);
        Network pasted = NetworkGen.Sample(RunSettings.DefaultSeed, PastedCase, NetworkPropertyAttribute.DefaultCount);
        Assert.Equal(NetworkJson.Write(pasted), NetworkJson.Write(NetworkJson.Parse(Section(replayed.Message, "Original"))));
        Assert.Contains("fails on the replayed case, shrunk:", replayed.Message);
        if (InProcess.DefaultSettings)
        {
            InProcess.Outcome run = await InProcess.Run(typeof(SignFlipped), nameof(SignFlipped.Gradients_of_a_sign_flipped_backprop_agree_with_the_exact_derivatives));
            Assert.Equal(Section(run.Message, "Shrunk"), Section(replayed.Message, "Shrunk"));
        }
    }

    [Fact]
    public void The_environment_replay_sets_the_same_fsCheck_replay_as_the_pasted_one()
    {
        SeededRun.Plan plan = SeededRun.PlanFor(1000, 1000, RunSettings.DefaultSeed, Shard.Whole, Pasted);
        Assert.True(plan.Replaying);
        Assert.Equal(Pasted, plan.Replay);
        Assert.Throws<ArgumentException>(() => SeededRun.PlanFor(1000, 1000, RunSettings.DefaultSeed, Shard.Whole, "12,34,5"));   // gamma must be odd
        Assert.Throws<ArgumentException>(() => SeededRun.PlanFor(1000, 1000, RunSettings.DefaultSeed, Shard.Whole, "seed 12"));
    }

    [Fact]
    public async Task Every_property_prints_its_seed_count_and_how_to_run_it_again()
    {
        InProcess.Outcome run = await InProcess.Run(typeof(SignFlipped), nameof(SignFlipped.The_reference_gradients_agree_with_the_exact_derivatives));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, run.ToString());
        ulong seed = RunSettings.Seed;
        int count = RunSettings.Count(NetworkPropertyAttribute.DefaultCount);
        Assert.StartsWith($"The reference gradients agree with the exact derivatives: {count} cases of seed {seed}", run.Output);
        Assert.Contains($"(run them again with BACKPROPSPEC_SEED={seed} BACKPROPSPEC_PROPERTY_COUNT={count}", run.Output);
        Assert.Contains($"Ok, passed {RunSettings.Shard.Size(count)} tests.", run.Output);
    }

    [Fact]
    public void The_property_count_and_seed_come_from_the_environment_with_defaults()
    {
        // BACKPROPSPEC_PROPERTY_COUNT / BACKPROPSPEC_SEED are read when a property runs; unset in a plain `dotnet test`
        string? count = Environment.GetEnvironmentVariable("BACKPROPSPEC_PROPERTY_COUNT");
        var attribute = new NetworkPropertyAttribute();
        Assert.Equal(count is null ? 1000 : int.Parse(count), attribute.Cases);
        Assert.True(attribute.Cases >= 1000 || count is not null, "by default each property checks at least 1,000 cases");
        Assert.Equal(RunSettings.Shard.Size(attribute.Cases), attribute.MaxTest);
    }
}
