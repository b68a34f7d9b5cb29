using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Properties;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// What `selftest` prints and exits with, for each way it can end: built by hand, so each case holds
/// exactly the counts it names (a real run of the reference agrees, so a disagreement cannot be
/// planted there). The run itself is tested in <see cref="ShardTests"/> and <see cref="InterruptTests"/>.
/// </summary>
public class SelfTestReportTests
{
    const string Head = "selftest: the reference against the exact values on {0} random networks (seed 9, count 500{1}), every property strictly; the exact gradient against forward mode and Richardson differences along random directions\n";

    static SelfTestReport Report(int networks, NetworkShape? shape = null, Shard? shard = null)
    {
        Shard part = shard ?? Shard.Whole;
        return new SelfTestReport { Seed = 9, Count = 500, Shape = shape, Shard = part, Indices = part.Of(500), Networks = networks };
    }

    [Fact]
    public void A_run_where_everything_agrees_passes_and_exits_0()
    {
        SelfTestReport r = Report(500);
        Assert.True(r.Agrees);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Format(Head, 500, "") + "PASS: every answer of the reference agrees with the exact values, and the exact values with their cross-checks\n", r.Text());
    }

    [Fact]
    public void The_shape_and_shard_are_named_in_the_head_line()
    {
        SelfTestReport r = Report(167, new NetworkShape([4, 8, 2], 3), new Shard(2, 3));
        Assert.StartsWith(string.Format(Head, 167, ", shape 4-8-2, batch 3, shard 2/3: every index i with i mod 3 = 1"), r.Text());
    }

    [Fact]
    public void Disagreements_and_oracle_problems_fail_with_their_counts_and_the_first_twenty_of_each_in_words()
    {
        SelfTestReport r = Report(500);
        for (int k = 0; k < 25; k++) r.Disagreements.Add($"random network {k}: d{k}");
        r.DisagreementCount = 31;                          // more than were kept in words
        r.OracleProblems.Add("random network 3: p");
        r.OracleProblemCount = 1;
        Assert.False(r.Agrees);
        Assert.Equal(1, r.ExitCode);
        string text = r.Text();
        string[] lines = text.Split('\n');
        Assert.Equal(20, lines.Count(l => l.StartsWith("  DISAGREES random network ", StringComparison.Ordinal)));
        Assert.Contains("  DISAGREES random network 19: d19\n", text);
        Assert.DoesNotContain("d20", text);
        Assert.Contains("  ORACLE random network 3: p\n", text);
        Assert.EndsWith("FAIL: 31 disagreement(s) of the reference, 1 problem(s) of the oracle on this machine\n", text);
    }

    [Fact]
    public void An_oracle_problem_alone_fails()
    {
        SelfTestReport r = Report(500);
        r.OracleProblemCount = 1;
        Assert.False(r.Agrees);
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("FAIL: 0 disagreement(s) of the reference, 1 problem(s) of the oracle on this machine\n", r.Text());
    }

    [Fact]
    public void An_interrupted_run_says_how_far_it_got_and_exits_with_the_signals_code_whatever_it_found()
    {
        SelfTestReport clean = Report(120);
        clean.Interrupted = new Interruption("SIGTERM", 143);
        Assert.Equal(143, clean.ExitCode);
        Assert.Equal(string.Format(Head, 120, "")
                     + "INTERRUPTED by SIGTERM after 120 of 500 networks: this report covers what was judged before\n"
                     + "INTERRUPTED: every answer of the reference so far agrees with the exact values, and the exact values with their cross-checks\n",
                     clean.Text());

        SelfTestReport failed = Report(120);
        failed.DisagreementCount = 2;
        failed.Interrupted = new Interruption("SIGINT", 130);
        Assert.Equal(130, failed.ExitCode);
        Assert.EndsWith("INTERRUPTED by SIGINT after 120 of 500 networks: this report covers what was judged before\n"
                        + "FAIL: 2 disagreement(s) of the reference, 0 problem(s) of the oracle on this machine\n", failed.Text());
    }

    [Fact]
    public void A_selftest_counts_every_problem_of_the_oracle_and_keeps_the_first_hundred_in_words()
    {
        // a cross-check of the exact values that fails twice on each of 60 networks: 120 problems, 100 kept
        SelfTestReport r = SelfTest.Run(new ReferenceBackprop(), 9, 60, crossCheck: (_, seed) => [$"p1 at seed {seed}", "p2"]);
        Assert.False(r.Agrees);
        Assert.Equal(0, r.DisagreementCount);
        Assert.Equal(120, r.OracleProblemCount);
        Assert.Equal(SelfTestReport.Kept, r.OracleProblems.Count);
        Assert.Equal("random network 0: p1 at seed 9", r.OracleProblems[0]);
        Assert.Equal("random network 49: p2", r.OracleProblems[99]);
        Assert.Contains("FAIL: 0 disagreement(s) of the reference, 120 problem(s) of the oracle on this machine", r.Text());
    }

    [Fact]
    public void A_selftest_run_counts_every_network_and_parameter_it_judged()
    {
        SelfTestReport r = SelfTest.Run(9, 40);
        Assert.True(r.Agrees, r.Text());
        Assert.Equal(40, r.Networks);
        Assert.Equal(Enumerable.Range(0, 40).Sum(i => (long)NetworkGen.Sample(9, i, 40, null, null).ParameterCount), r.Parameters);
        Assert.True(r.Elapsed > TimeSpan.Zero);
        Assert.Null(r.Interrupted);
    }
    [Fact]
    public void A_run_of_three_blocks_judges_every_network_once()
    {
        var tiny = new NetworkShape([1, 1], 1);
        SelfTestReport r = SelfTest.Run(9, 4200, tiny);             // networks are judged 2,048 at a time: two full blocks and a part
        Assert.True(r.Agrees, r.Text());
        Assert.Equal(4200, r.Networks);
        Assert.Equal(Enumerable.Range(0, 4200).Sum(i => (long)NetworkGen.Sample(9, i, 4200, null, tiny).ParameterCount), r.Parameters);
    }

    /// <summary>The reference, but a request for one network asks the run to stop.</summary>
    sealed class StoppingAt(Network at, Interrupt interrupt) : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        readonly string stop = at.ToString();
        public string Name => "stopping";
        public Capabilities Capabilities => Capabilities.Everything;
        public Evaluation Forward(Network n) => reference.Forward(n);
        public Gradients Gradients(Network n)
        {
            if (n.ToString() == stop) interrupt.Request("SIGTERM", 143);
            return reference.Gradients(n);
        }
        public Parameters Step(Network n) => reference.Step(n);
    }

    [Fact]
    public void An_interrupt_in_a_later_block_reports_only_what_that_block_judged_before()
    {
        // stopped at the first network of the second block: what the first block left in the buffer
        // must not pass for the second block's networks
        var tiny = new NetworkShape([1, 1], 1);
        var interrupt = new Interrupt();
        SelfTestReport r = SelfTest.Run(new StoppingAt(NetworkGen.Sample(9, 2048, 2600, null, tiny), interrupt), 9, 2600, tiny, interrupt: interrupt);
        Assert.Equal(143, r.ExitCode);
        Assert.InRange(r.Networks, 2048, 2100);                      // the first block, and at most what was under way when it stopped
    }

    [Fact]
    public void Selftest_judges_strictly_so_an_accuracy_finding_is_a_disagreement()
    {
        // the textbook formulations in float64 are right, only less accurate than careful arithmetic
        SelfTestReport r = SelfTest.Run(new TextbookBackprop(Precision.Float64), 9, 300);
        Assert.NotEmpty(r.Disagreements);
        Assert.All(r.Disagreements, d => Assert.Matches(@"^random network \d+: .+: \[(accuracy|range)\] ", d));
        // strictly, the first finding fails its network: each network disagrees once, in the first property that finds one
        string[] networks = [.. r.Disagreements.Select(d => d[..d.IndexOf(':')])];
        Assert.Equal(networks.Distinct(), networks);
        Assert.Equal(r.Disagreements.Count, r.DisagreementCount);
    }

    [Fact]
    public void Every_disagreement_of_a_wrong_subject_is_counted_and_the_first_hundred_are_kept_in_network_order()
    {
        var shape = new NetworkShape([2, 2], 1);
        SelfTestReport r = SelfTest.Run(new Mutant(Bug.SignFlip), 9, 150, shape);
        // each failing property of each network is one disagreement
        int expected = Enumerable.Range(0, 150).Sum(i =>
            BackpropSpec.Oracle.Properties.Run(new CachingBackprop(new Mutant(Bug.SignFlip)), NetworkGen.Sample(9, i, 150, null, shape), Precision.Float64, strict: true).Count());
        Assert.True(expected > SelfTestReport.Kept, $"{expected} disagreements: more than are kept, for this test to mean anything");
        Assert.Equal(expected, r.DisagreementCount);
        Assert.Equal(SelfTestReport.Kept, r.Disagreements.Count);
        Assert.StartsWith("random network 0: gradients agree with the exact derivatives: [wrong] ", r.Disagreements[0]);
        int[] order = [.. r.Disagreements.Select(d => int.Parse(d["random network ".Length..d.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(order.Order(), order);
        Assert.Equal(0, r.OracleProblemCount);
        Assert.Equal(1, r.ExitCode);
    }
}
