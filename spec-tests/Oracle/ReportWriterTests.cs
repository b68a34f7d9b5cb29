using System.Text.Json;
using System.Xml.Linq;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Checking;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Golden;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The three reports a check writes (the text on stdout, <c>--json</c>, <c>--junit</c>) for every
/// verdict and every place a run can end, against approved snapshots in
/// golden/snapshots/__snapshots__/check-report.*.snap: one file per case, the three reports one after
/// the other. The reports are built by hand here, not by running a check, so each case holds exactly
/// the state it names and every number in it is chosen: a change to what a user reads shows as a line
/// diff to review (`dotnet run --project oracle/cli -- snapshots`) and approve, and nothing depends on
/// the platform's exp or log. Beside the snapshots, each case checks what a machine reading the reports
/// relies on: the JSON parses and carries the verdict and exit code, and the JUnit counts are the counts
/// of its test cases.
/// </summary>
[Collection(nameof(SnapshooterEnvironment))]
public class ReportWriterTests
{
    static readonly string Folder = Repo.Path("golden", "snapshots");

    /// <summary>1 input, one identity unit, half-SSE: every answer and bound is plain IEEE arithmetic.</summary>
    static readonly Network Small = NetworkJson.Parse("""
        {"format":"backprop-spec/network@1","inputs":1,
         "layers":[{"units":1,"activation":"identity","bias":"trainable","weights":[[0.5]],"biases":[0.25]}],
         "loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[2]],"targets":[[1]]}}
        """);

    /// <summary>A 2-2-1 network, the "original" a failing case was shrunk from.</summary>
    static readonly Network Original = NetworkJson.Parse("""
        {"format":"backprop-spec/network@1","inputs":2,
         "layers":[{"units":2,"activation":"identity","bias":"trainable","weights":[[0.5,-1],[2,0.25]],"biases":[0,1]},
                   {"units":1,"activation":"identity","bias":"trainable","weights":[[1,-0.5]],"biases":[0.125]}],
         "loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[1,2]],"targets":[[0.5]]}}
        """);

    static readonly string Gradients = BackpropSpec.Oracle.Properties.All[0].Name, Forward = BackpropSpec.Oracle.Properties.All[1].Name;

    /// <summary>A report as the checker starts it; after <c>hello</c> (<paramref name="hello"/>) it
    /// knows the implementation's name and capabilities.</summary>
    static CheckReport Report(string command = "python3 backprop.py", int count = 1000, bool strict = false, Shard? shard = null,
                              string? replay = null, NetworkShape? shape = null, bool hello = true)
    {
        var r = new CheckReport
        {
            Command = command, Seed = 42, Count = count, TimeoutMs = 10000, Strict = strict, Shard = shard ?? Shard.Whole,
            Replay = replay, Shape = shape,
        };
        if (hello)
        {
            r.Implementation = "textbook-python 1.0";
            r.Capabilities = new Capabilities([Activation.Identity, Activation.Sigmoid, Activation.Tanh], [LossKind.HalfSse, LossKind.BinaryCrossEntropy]);
        }
        return r;
    }

    /// <summary>Every golden example checked and agreeing.</summary>
    static void AllExamplesAgree(CheckReport r)
    {
        foreach (string name in Examples.Names) r.Examples.Add(new CaseResult(name));
        r.ExamplesChecked = Examples.Names.Count;
    }

    static void RandomRun(CheckReport r, int judged, int skipped = 0)
    {
        r.RandomRunStarted = true;
        r.RandomIndices = r.Shard.Of(r.Count);
        r.RandomJudged = judged;
        r.NetworksChecked = judged - skipped;
        r.NetworksSkipped = skipped;
    }

    /// <summary>A replay of a network the implementation declines checks nothing: the last line says so
    /// instead of "every answer agrees" (a newcomer read it as a pass of the network they replayed).</summary>
    [Fact]
    public void A_run_that_checked_nothing_says_so_not_that_every_answer_agrees()
    {
        CheckReport r = Report(replay: "random:900");
        RandomRun(r, judged: 1, skipped: 1);
        string text = r.Text();
        Assert.Contains("PASS: nothing is wrong: no network was checked: every one was skipped (see the skipped counts above)", text);
        Assert.DoesNotContain("every answer agrees", text);
    }

    /// <summary>The one gradient row of <see cref="Small"/> off by <paramref name="factor"/>.</summary>
    static GradientReport Table(Zone zone, double factor)
    {
        Truth truth = Truth.For(Small);
        ParameterRef[] refs = ParameterRef.All(Small);
        var rows = refs.Select((p, k) => new GradientRow(k, p, truth.Exact.Gradient[k] * (k == 0 ? factor : 1), truth.Exact.Gradient[k],
                                                           truth.Careful.Gradient[k], truth, k == 0 ? zone : Zone.Agrees)).ToArray();
        return new GradientReport { Network = Small, Rows = rows, Entries = rows.Length };
    }

    static PropertyVerdict Wrong(string quantity = "layers[0].weights[0][0]") =>
        PropertyVerdict.Of([new Finding(Zone.Wrong, quantity, -0.5, 0.5, 1e-16, 1e-15) { On = AnswerKind.Gradient, Index = 0 }], "gradient ");

    static PropertyVerdict Accuracy() =>
        PropertyVerdict.Of([new Finding(Zone.Accuracy, "loss", 0.125 + 1e-12, 0.125, 2.5e-17, 1e-10) { On = AnswerKind.Loss },
                            new Finding(Zone.Accuracy, "outputs[0][0]", 0.75 + 3e-13, 0.75, 2e-16, 1e-10) { On = AnswerKind.Output, Index = 0 }]);

    static FindingSummary Summary(Zone zone, string key, int networks, string? replayOf)
    {
        Finding worst = zone == Zone.Accuracy
            ? new(Zone.Accuracy, "layers[0].weights[1][0]", 0.0625 + 6.25e-11, 0.0625, 1e-17, 1e-9) { On = AnswerKind.Gradient, Index = 1 }
            : new(Zone.Range, "loss", double.PositiveInfinity, 800, 1e-13, 1e-13) { On = AnswerKind.Loss };
        var s = new FindingSummary
        {
            Zone = zone, Key = key, Operation = zone == Zone.Accuracy ? "sigma' computed as out*(1 - out)" : "ln(o) of a probability that rounded to 0",
            Fix = zone == Zone.Accuracy ? "sigma(net)*sigma(-net)" : "the loss from the logit", Worst = worst,
            WorstNetwork = "random network 17", WorstWhere = "gradients", DigitsLost = zone == Zone.Accuracy ? 5.25 : 0,
            Replay = replayOf is null ? null : $"backprop-spec check --impl 'python3 backprop.py' --seed 42 --count 1000 --replay {replayOf}",
        };
        for (int n = 0; n < networks; n++) s.Saw($"random network {n}");
        return s;
    }

    static Broken BrokenAt(string where, int? index, string? example, ProtocolFailure kind, string op, Network? sent, bool shrunk)
    {
        string message = kind == ProtocolFailure.Crash
            ? $"the implementation exited with code 1 before replying to `{op}` (id 7)\nlast lines of its stderr:\n  | Traceback (most recent call last):\n  | ZeroDivisionError: division by zero"
            : $"the reply to `{op}` (id 7) is not JSON: 'Traceback (most recent call last):'";
        var fault = new ProtocolException(kind, op, 7, sent, message)
        {
            ExitCode = kind == ProtocolFailure.Crash ? 1 : null,
            StderrTail = kind == ProtocolFailure.Crash ? "Traceback (most recent call last):\nZeroDivisionError: division by zero" : null,
        };
        return new Broken(where, index, example, fault, sent is null ? null : Original, shrunk ? 3 : 0,
                          shrunk ? "shrinking stopped after 150 candidates" : "not shrunk: the example is the network")
        {
            Minimal = shrunk ? sent : null,
            Replay = shrunk ? "backprop-spec check --impl 'python3 backprop.py' --seed 42 --count 1000 --replay random:8" : null,
        };
    }

    static string RandomReplay(int i) => $"backprop-spec check --impl 'python3 backprop.py' --seed 42 --count 1000 --replay random:{i}";
    static string ExampleReplay(string name) => $"backprop-spec check --impl 'python3 backprop.py' --replay {name}";

    /// <summary>The three reports of one case, one after the other, as the snapshot holds them.</summary>
    static string Reports(CheckReport r) =>
        $"=== stdout ===\n{r.Text()}\n=== --json ===\n{r.Json()}\n=== --junit ===\n{r.JUnit()}=== end ===\n";

    /// <summary>What a machine reads, checked beside the snapshot, then the snapshot.</summary>
    static void Matches(CheckReport r, string name, string verdict, int exitCode)
    {
        Assert.Equal(verdict, r.Verdict);
        Assert.Equal(exitCode, r.ExitCode);
        using (JsonDocument json = JsonDocument.Parse(r.Json()))
        {
            CheckRun.AssertSchema(json.RootElement);
            Assert.Equal(verdict, json.RootElement.GetProperty("verdict").GetString());
            Assert.Equal(exitCode, json.RootElement.GetProperty("exitCode").GetInt32());
        }
        XElement suites = XDocument.Parse(r.JUnit()).Root!;
        // what CI acts on: a JUnit report with no failure and no error stands for a check that exited 0
        Assert.Equal(exitCode == 0, (int)suites.Attribute("failures")! + (int)suites.Attribute("errors")! == 0);
        foreach (XElement s in suites.Elements("testsuite").Append(suites))
        {
            XElement[] cases = s.Descendants("testcase").ToArray();
            Assert.Equal(cases.Length, (int)s.Attribute("tests")!);
            Assert.Equal(cases.Count(c => c.Element("failure") is not null), (int)s.Attribute("failures")!);
            Assert.Equal(cases.Count(c => c.Element("error") is not null), (int)s.Attribute("errors")!);
            Assert.Equal(cases.Count(c => c.Element("skipped") is not null), (int)s.Attribute("skipped")!);
        }
        ApprovedSnapshot.Match(Reports(r), $"check-report.{name}.snap", Folder);
    }

    [Fact]
    public void A_pass_with_accuracy_range_and_oracle_findings_lists_each_and_passes()
    {
        CheckReport r = Report(shape: new NetworkShape([4, 8, 2], 3));
        r.Precision = Precision.Float32;
        r.UnknownCapabilities = ["gelu", "huber"];
        AllExamplesAgree(r);
        r.Examples[^1] = new CaseResult(Examples.Names[^1]) { Skipped = "outside the capabilities of its hello (activation relu)" };
        r.ExamplesChecked--;
        r.ExamplesSkipped = 1;
        RandomRun(r, 1000, skipped: 2);
        r.SkipExamples.Add("random network 5: declined by the implementation (unsupported): softmax is not implemented yet");
        r.SkipExamples.Add("random network 9: declined by the implementation (unsupported): softmax is not implemented yet");
        r.NetworksWithAccuracy = 40;
        r.NetworksWithRange = 1;
        r.NetworksWithFindings = 40;                       // the range finding's network has accuracy findings too
        r.Accuracy.Add(Summary(Zone.Accuracy, "sigmoid-derivative-from-out", 40, "random:17"));
        r.Range.Add(Summary(Zone.Range, "log-of-probability", 1, null));
        r.OracleProblems.Add("random network 3: the complex-step check differs from the exact gradient at layers[0].biases[0]");
        r.OracleProblems.Add("random network 8: the forward-mode check differs from the exact gradient at layers[1].weights[0][2]");
        Matches(r, "pass-with-findings", "pass", 0);
    }

    [Theory]
    [InlineData("verdict", "\"mismatch\"", "required")]               // a mismatch without its failure and diagnosis
    [InlineData("exitCode", "1", "const")]                              // a pass that does not exit 0
    [InlineData("surprise", "1", "$.surprise")]                         // a field the format does not have
    [InlineData("precision", "\"float16\"", "enum")]
    public void The_report_schema_refuses_a_report_that_breaks_the_format(string field, string value, string keyword)
    {
        CheckReport r = Report();
        AllExamplesAgree(r);
        RandomRun(r, 3);
        var json = System.Text.Json.Nodes.JsonNode.Parse(r.Json())!.AsObject();
        json[field] = System.Text.Json.Nodes.JsonNode.Parse(value);
        using JsonDocument doc = JsonDocument.Parse(json.ToJsonString());
        List<string> problems = BackpropSpec.SpecTests.OracleTests.Schema.Validate(doc.RootElement, Repo.Path("golden", "check-report.schema.json"));
        Assert.Contains(problems, p => p.Contains(keyword, StringComparison.Ordinal));
    }

    [Fact]
    public void A_pass_of_one_network_with_both_kinds_of_finding_counts_it_once_and_says_network_in_the_singular()
    {
        CheckReport r = Report(count: 1);
        AllExamplesAgree(r);
        RandomRun(r, 1);
        r.NetworksWithAccuracy = r.NetworksWithRange = r.NetworksWithFindings = 1;
        r.Accuracy.Add(Summary(Zone.Accuracy, "sigmoid-derivative-from-out", 1, null));
        r.Range.Add(Summary(Zone.Range, "log-of-probability", 1, null));
        Matches(r, "pass-one-network", "pass", 0);
    }

    /// <summary>Every example agreed, then random network <paramref name="i"/> (the last judged) was
    /// wrong in its gradients: shrunk from <see cref="Original"/> to <see cref="Small"/>.</summary>
    static CheckReport WrongAtRandom(int i, int steps, Diagnosis.Result? diagnosis, PropertyVerdict? verdict = null)
    {
        CheckReport r = Report();
        AllExamplesAgree(r);
        RandomRun(r, i + 1);
        PropertyVerdict v = verdict ?? Wrong();
        r.Mismatch = new Mismatch($"random network {i}", i, null, Gradients, v, Original, Small, steps, v, RandomReplay(i)) { Table = v.Table, Diagnosis = diagnosis };
        return r;
    }

    [Fact]
    public void A_wrong_gradient_in_the_random_run_fails_with_its_table_diagnosis_and_replay() =>
        Matches(WrongAtRandom(17, 4, new Diagnosis.Result([Bug.SignFlip, Bug.GradientFactorTwo], "every gradient entry is -1 times the exact one"),
                              Wrong() with { Table = Table(Zone.Wrong, -1) }),
                "wrong-in-random", "mismatch", 1);

    [Fact]
    public void A_wrong_answer_no_bug_class_explains_says_so_with_the_pattern() =>
        Matches(WrongAtRandom(2, 0, new Diagnosis.Result([], "only layers[0].weights[0][0] differs")), "wrong-unexplained", "mismatch", 1);

    [Fact]
    public void A_wrong_answer_of_one_bug_class_names_it_and_one_the_diagnosis_could_not_run_on_gives_the_note()
    {
        Matches(WrongAtRandom(0, 2, new Diagnosis.Result([Bug.TransposedWeights], "")), "wrong-one-class", "mismatch", 1);

        CheckReport note = Report();
        note.Examples.Add(new CaseResult(Examples.Names[0]) { Failure = Wrong() });
        note.Mismatch = new Mismatch($"golden example {Examples.Names[0]}", null, Examples.Names[0], Gradients, Wrong(), Original, Small, 0, Wrong(),
                                     ExampleReplay(Examples.Names[0]))
        {
            DiagnosisNote = "not run: the implementation faulted on a probe network",
        };
        Matches(note, "wrong-in-example-diagnosis-not-run", "mismatch", 1);
    }

    [Fact]
    public void A_strict_accuracy_finding_in_an_example_fails_with_its_causes_and_the_precision_hint_and_the_rest_not_run()
    {
        CheckReport r = Report(strict: true);
        r.Examples.Add(new CaseResult(Examples.Names[0]));
        r.Examples.Add(new CaseResult(Examples.Names[1]) { Failure = Accuracy() });
        r.ExamplesChecked = 1;
        string where = $"golden example {Examples.Names[1]}";
        r.Mismatch = new Mismatch(where, null, Examples.Names[1], Forward, Accuracy(), Original, Original, 0, Accuracy(), ExampleReplay(Examples.Names[1]))
        {
            Causes = [new Cause("sigmoid-derivative-from-out", "sigma' computed as out*(1 - out)", "layers[0]", "sigma(net)*sigma(-net)"),
                      new Cause("log-of-probability", "ln(o) of a probability", "the loss", "the loss from the logit")],
            PrecisionHint = "every answer the property used would be right in float32: declare \"precision\": \"float32\" in hello",
        };
        Matches(r, "strict-accuracy-in-example", "mismatch", 1);
    }

    [Fact]
    public void A_strict_range_failure_in_the_random_run_is_a_failing_test_case_though_no_property_failed()
    {
        CheckReport r = Report(strict: true);
        AllExamplesAgree(r);
        RandomRun(r, 12);
        var v = new PropertyVerdict(Zone.Range, [], "an error reply: answered `gradients` with error code \"overflow\": exp overflowed");
        r.Mismatch = new Mismatch("random network 11", 11, null, "the answers are representable", v, Original, Small, 0, v, RandomReplay(11))
        {
            DiagnosisNote = "a range finding fails under --strict",
        };
        Matches(r, "strict-range-in-random", "mismatch", 1);
    }

    [Fact]
    public void A_protocol_error_in_the_random_run_shows_the_shrunk_request_stderr_and_replay()
    {
        CheckReport r = Report();
        AllExamplesAgree(r);
        RandomRun(r, 9);
        r.Broken = BrokenAt("random network 8", 8, null, ProtocolFailure.Crash, "gradients", Small, shrunk: true);
        Matches(r, "protocol-error-in-random", "protocol-error", 2);
    }

    [Fact]
    public void A_protocol_error_shrunk_within_the_budget_has_no_note()
    {
        CheckReport r = Report();
        AllExamplesAgree(r);
        RandomRun(r, 9);
        Broken b = BrokenAt("random network 8", 8, null, ProtocolFailure.Crash, "gradients", Small, shrunk: true);
        r.Broken = new Broken(b.Where, b.Index, b.Example, b.Fault, b.Original, b.ShrinkSteps, "") { Minimal = b.Minimal, Replay = b.Replay };
        Assert.Contains("\nthe network of that `gradients` request (shrunk in 3 steps):\n", r.Text());
        using JsonDocument json = JsonDocument.Parse(r.Json());
        Assert.False(json.RootElement.GetProperty("protocolError").TryGetProperty("note", out _));
        Assert.Equal(3, json.RootElement.GetProperty("protocolError").GetProperty("shrinkSteps").GetInt32());
    }

    [Fact]
    public void A_protocol_error_in_an_example_shows_its_network_unshrunk_with_the_note()
    {
        CheckReport r = Report();
        r.Examples.Add(new CaseResult(Examples.Names[0]) { Error = new ProtocolException(ProtocolFailure.Garbage, "forward", 1, null, "x") });
        r.Broken = BrokenAt($"golden example {Examples.Names[0]}", null, Examples.Names[0], ProtocolFailure.Garbage, "forward", Original, shrunk: false);
        r.Examples[0].Error = r.Broken.Fault;
        Matches(r, "protocol-error-in-example", "protocol-error", 2);
    }

    [Fact]
    public void A_protocol_error_in_hello_stops_before_anything_is_judged()
    {
        CheckReport r = Report(hello: false);
        r.Broken = BrokenAt("hello", null, null, ProtocolFailure.Garbage, "hello", null, shrunk: false);
        Matches(r, "protocol-error-in-hello", "protocol-error", 2);
    }

    [Fact]
    public void An_implementation_that_supports_no_network_is_unusable()
    {
        CheckReport r = Report();
        r.Capabilities = new Capabilities([Activation.Softmax], [LossKind.HalfSse]);
        r.Unusable = "hello declares no activation for a hidden layer: no network can be drawn";
        Matches(r, "unusable", "unusable", 2);
    }

    [Fact]
    public void An_interrupt_in_hello_says_nothing_was_judged()
    {
        CheckReport r = Report(hello: false);
        r.Interrupted = new Interruption("SIGINT", 130);
        Matches(r, "interrupted-in-hello", "interrupted", 130);
    }

    [Fact]
    public void An_interrupt_in_the_golden_examples_reports_how_many_and_skips_the_rest()
    {
        CheckReport r = Report();
        r.Examples.Add(new CaseResult(Examples.Names[0]));
        r.Examples.Add(new CaseResult(Examples.Names[1]));
        r.ExamplesChecked = 2;
        r.Interrupted = new Interruption("SIGTERM", 143);
        Matches(r, "interrupted-in-examples", "interrupted", 143);
    }

    [Fact]
    public void An_interrupt_in_a_shards_random_run_reports_the_indices_judged_of_its_share()
    {
        CheckReport r = Report(count: 1000, shard: Shard.Parse("2/3"));
        RandomRun(r, 120);
        r.NetworksWithAccuracy = r.NetworksWithFindings = 3;
        r.Accuracy.Add(Summary(Zone.Accuracy, "sigmoid-derivative-from-out", 3, null));
        r.Interrupted = new Interruption("SIGHUP", 129);
        Matches(r, "interrupted-in-shard", "interrupted", 129);
    }

    [Fact]
    public void An_interrupted_run_that_had_already_failed_keeps_the_failure_and_exits_with_the_signals_code()
    {
        CheckReport r = WrongAtRandom(4, 1, null);
        r.Interrupted = new Interruption("SIGINT", 130);
        Matches(r, "interrupted-after-a-failure", "mismatch", 130);
    }

    [Fact]
    public void A_replay_of_one_random_network_reports_that_network_alone()
    {
        CheckReport r = Report(replay: "random:17", count: 18);
        r.RandomRunStarted = true;
        r.RandomIndices = new IndexSet(17, 1, 1);
        r.RandomJudged = 1;
        r.NetworksChecked = 1;
        Matches(r, "replay-random", "pass", 0);
    }

    [Fact]
    public void A_replay_of_a_golden_example_reports_that_example_alone()
    {
        CheckReport r = Report(replay: Examples.Names[2]);
        r.Examples.Add(new CaseResult(Examples.Names[2]));
        r.ExamplesChecked = 1;
        Matches(r, "replay-example", "pass", 0);
    }
}
