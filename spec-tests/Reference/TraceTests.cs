using System.Text.Json.Nodes;
using BackpropSpec.Cli;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Reference;

/// <summary>The `trace` command, run in-process as a user would run it.</summary>
public class TraceTests
{
    static (int code, string stdout, string stderr) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Trace_of_002_shows_the_forward_values_and_dE_dw5_that_002_prints()
    {
        var (code, text, _) = Cli("trace", "002");
        Assert.Equal(0, code);
        // 002 In[44], In[47], In[53], In[55] and "= 0.082167041", at the table's 10 digits
        foreach (string printed in new[] { "0.3775", "0.3925", "0.5932699921", "0.5968843783", "1.105905967", "1.224921404",
                                           "0.7513650696", "0.7729284653", "E = 0.2983711088", "0.08216704056", "0.3589164797" })
            Assert.Contains(printed, text);
    }

    [Fact]
    public void Trace_json_carries_the_full_precision_values()
    {
        var (code, json, _) = Cli("trace", "002-mazur-2-2-2", "--json");
        Assert.Equal(0, code);
        JsonNode d = JsonNode.Parse(json)!;
        Assert.Equal(0.08216704056423077, (double)d["gradients"]![1]!["dE_dW"]![0]![0]!);   // 002 In[82]
        Assert.Equal(0.35891647971788465, (double)d["updated"]!["layers"]![1]!["weights"]![0]![0]!); // 002 In[85]
        Assert.Equal(0.7513650695523157, (double)d["examples"]![0]!["layers"]![1]!["out"]![0]!);  // 002 In[55]
    }

    [Fact]
    public void Trace_reads_a_network_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"trace-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Examples.Text("003-chain"));
        try
        {
            var (code, text, _) = Cli("trace", path);
            Assert.Equal(0, code);
            Assert.Contains("0.880797078", text);    // 003: z_j = 0.8808
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Trace_of_a_bad_file_exits_2_naming_the_file_and_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Examples.Text("002").Replace("\"sigmoid\"", "\"swish\""));
        try
        {
            var (code, _, err) = Cli("trace", path);
            Assert.Equal(2, code);
            Assert.Contains($"{path}: layers[0].activation: unknown activation \"swish\"", err);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("trace")]
    [InlineData("frobnicate")]
    [InlineData("trace", "no-such-example")]
    [InlineData("trace", "missing/file.json")]
    public void Bad_usage_exits_2_with_a_message(params string[] args)
    {
        var (code, _, err) = Cli(args);
        Assert.Equal(2, code);
        Assert.StartsWith("backprop-spec: ", err);
    }

    [Fact]
    public void Every_example_document_is_built_in_and_traces()
    {
        // no count is written down: a new golden/examples/*.json is built in by the next build
        string[] documents = Directory.GetFiles(Repo.Path("golden", "examples"), "*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(documents);
        Assert.Equal(documents, Examples.Names);
        foreach (string name in Examples.Names)
        {
            var (code, text, _) = Cli("trace", name);
            Assert.Equal(0, code);
            Assert.Contains("E after the step", text);
        }
    }
}

/// <summary>The gradient step and the loop of steps.</summary>
public class StepTests
{
    [Fact]
    public void A_step_updates_every_weight_from_the_original_weights()
    {
        Network n = Examples.Load("002");
        LayerGradients<double>[] g = Backward.Run(n, Forward.Run(n));
        Network after = Train.Step(n);
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++)
                    Assert.Equal(n.Layers[l].W[j, i] - 0.5 * g[l].dE_dW[j, i], after.Layers[l].W[j, i]);
        // frozen biases do not move (002 never updates b1, b2)
        Assert.Equal(n.Layers[0].B, after.Layers[0].B);
    }

    [Fact]
    public void Trainable_biases_move_by_minus_eta_times_their_gradient()
    {
        Network n = Examples.Load("004");
        LayerGradients<double>[] g = Backward.Run(n, Forward.Run(n));
        Network after = Train.Step(n);
        for (int j = 0; j < 3; j++)
            Assert.Equal(n.Layers[0].B![j] - 0.1 * g[0].dE_db![j], after.Layers[0].B![j]);
    }

    [Fact]
    public void Run_of_n_steps_is_n_single_steps_and_refuses_negative_counts()
    {
        Network n = Examples.Load("003-split");
        Network three = Train.Step(Train.Step(Train.Step(n)));
        Assert.Equal(NetworkJson.Write(three), NetworkJson.Write(Train.Run(n, 3)));
        Assert.Equal(NetworkJson.Write(n), NetworkJson.Write(Train.Run(n, 0)));
        Assert.StartsWith("steps: must be at least 0", Assert.Throws<ArgumentException>(() => Train.Run(n, -1)).Message);
    }
}
