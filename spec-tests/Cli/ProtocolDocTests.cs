using System.Text.RegularExpressions;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Cli;

/// <summary>oracle/PROTOCOL.md states the rules an implementer needs, in agreement with the reader.</summary>
public class ProtocolDocTests
{
    static readonly string Protocol = File.ReadAllText(Repo.Path("oracle", "PROTOCOL.md"));

    [Fact]
    public void The_loss_table_allows_exactly_the_output_activations_the_reader_allows()
    {
        foreach (LossKind loss in Loss.All)
        {
            Match row = Regex.Match(Protocol, $@"^\| `{Regex.Escape(Loss.Name(loss))}` \|[^|]*\| (?<output>[^|]*) \|", RegexOptions.Multiline);
            Assert.True(row.Success, $"PROTOCOL.md has no row for {Loss.Name(loss)}");
            string output = row.Groups["output"].Value.Trim();
            if (Loss.RequiredOutput(loss) is { } required)
                Assert.StartsWith($"must be `{Activations.Name(required)}`", output);
            else
                Assert.Equal("any", output);      // a squared loss takes a softmax output too (the reader allows it)
        }
        Assert.DoesNotContain("any but softmax", Protocol);
    }

    [Fact]
    public void It_states_the_bias_default_unknown_fields_and_declining_an_overflow()
    {
        Assert.Contains("optional, default `none`", Protocol);
        Assert.Contains("An unknown field is an error", Protocol);
        int overflow = Protocol.IndexOf("A result that overflows", StringComparison.Ordinal);
        Assert.True(overflow >= 0, "PROTOCOL.md does not say what to do with a result that overflows");
        Assert.Contains("\"code\":\"unsupported\"", Protocol[overflow..(overflow + 200)]);
        Assert.Contains("--replay random:N", Protocol);
    }

    /// <summary>The accuracy contract an implementer relies on is in PROTOCOL.md itself: every verdict
    /// the judge gives (by the names the reports use), both precisions hello may declare, what --strict
    /// does, and JSON.stringify's null read as non-finite.</summary>
    [Fact]
    public void It_states_the_accuracy_contract_with_every_verdict_and_precision()
    {
        foreach (Oracle.Judging.Zone zone in Enum.GetValues<Oracle.Judging.Zone>())
            Assert.Contains($"**{Oracle.Judging.Zones.Name(zone)}**", Protocol);
        foreach (Oracle.Judging.Precision p in Enum.GetValues<Oracle.Judging.Precision>())
            Assert.Contains($"\"{Oracle.Judging.PrecisionProfile.Of(p).Name}\"", Protocol);
        Assert.Contains("`--strict`", Protocol);
        Assert.Contains("`null` where a number belongs", Protocol);
    }

    /// <summary>The line-length limit PROTOCOL.md states is the one the checker enforces, and the
    /// exit codes of an interrupted run are there too.</summary>
    [Fact]
    public void It_states_the_reply_line_limit_the_checker_enforces_and_the_interrupt_exit_codes()
    {
        string flat = Regex.Replace(Protocol, @"\s+", " ");
        Assert.Equal(64L << 20, Oracle.Protocol.ProcessBackprop.MinLineLimit);
        Assert.Contains($"at most **64 MiB** ({Oracle.Protocol.ProcessBackprop.MinLineLimit:N0} bytes)", flat);
        Assert.Contains($"**{Oracle.Protocol.ProcessBackprop.LineBytesPerNumber} bytes per number**", flat);
        Assert.Equal(1_000_000_000, Oracle.Protocol.ProcessBackprop.MaxLineLimit);
        Assert.Contains("never more than 10⁹ bytes", flat);
        Assert.Contains($"`{Oracle.Protocol.ProtocolFailures.Name(Oracle.Protocol.ProtocolFailure.TooLong)}`", flat);
        Assert.Contains("exits **130** (SIGINT), **143** (SIGTERM) or **129** (SIGHUP)", flat);
    }
}
