using System.Text.Json.Nodes;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>What a user sees when a property fails: the replay seed, the shrunk network as a
/// network document, and the per-parameter table, worst first.</summary>
public class FailureReportTests(ITestOutputHelper output)
{
    [Fact]
    public void A_failing_property_prints_seed_shrunk_network_and_table()
    {
        var wrong = new Mutant(Bug.SignFlip);
        Exception e = Assert.ThrowsAny<Exception>(() =>
            PropertyRun.Check(output, "gradients of a sign-flipped backprop", NetworkGen.Arbitrary(),
                n => Oracle.Properties.GradientsAgreeWithExactValues(wrong, n, Precision.Float64) is { Zone: not Zone.Agrees } v ? $"{v.Message}\n{v.Table?.Table()}" : null, count: 100));
        string report = e.Message;
        output.WriteLine(report);
        Assert.Contains($"({PropertyRun.Seed},", report);                         // FsCheck's replay seed
        Assert.Contains("parameter", report);
        Assert.Contains("exact", report);
        Assert.Contains("careful", report);
        Assert.Contains("textbook", report);

        // the shrunk network is a valid, small network document
        int start = report.IndexOf("Shrunk:", StringComparison.Ordinal);
        Assert.True(start >= 0, "FsCheck names the shrunk case");
        int open = report.IndexOf('{', start);
        int close = report.IndexOf("\n}", open, StringComparison.Ordinal) + 2;
        Network shrunk = NetworkJson.Parse(report[open..close]);
        Assert.True(shrunk.ParameterCount <= 2, $"shrunk to {shrunk.ParameterCount} parameters");

        // table rows are worst first: the first row's verdict is the failure
        string firstRow = report[report.IndexOf("  layers[", report.IndexOf("textbook  verdict", StringComparison.Ordinal), StringComparison.Ordinal)..].Split('\n')[0];
        Assert.EndsWith(" wrong", firstRow.TrimEnd());
    }

    [Fact]
    public void The_property_count_and_seed_come_from_the_environment_with_printed_defaults()
    {
        // BACKPROPSPEC_PROPERTY_COUNT / BACKPROPSPEC_SEED are read once; unset in a plain `dotnet test`
        string? count = Environment.GetEnvironmentVariable("BACKPROPSPEC_PROPERTY_COUNT");
        Assert.Equal(count is null ? 1000 : int.Parse(count), PropertyRun.Count);
        Assert.True(PropertyRun.Count >= 1000 || count is not null, "by default each property checks at least 1,000 networks");
    }
}
