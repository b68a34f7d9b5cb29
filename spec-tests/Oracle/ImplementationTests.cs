using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// The pieces every check stands on, each on a network small enough to write out: the order in which
/// parameters are flattened and named (the index a finding reports), the parameters of a network and a
/// network made from them, asking an implementation once per network, the float32 reading of answers,
/// the built-in examples by name, and the repository's root.
/// </summary>
public class ImplementationTests
{
    /// <summary>2 inputs → 2 units with trainable biases → 1 unit without a bias.</summary>
    static readonly Network Net = NetworkJson.Parse("""
        {"format":"backprop-spec/network@1","inputs":2,
         "layers":[{"units":2,"activation":"sigmoid","bias":"trainable","weights":[[1,2],[3,4]],"biases":[5,6]},
                   {"units":1,"activation":"identity","bias":"none","weights":[[7,8]]}],
         "loss":"half-sse","learningRate":0.5,"batch":{"inputs":[[1,-1]],"targets":[[0.5]]}}
        """);

    [Fact]
    public void Parameters_are_flattened_layer_by_layer_weights_row_by_row_then_biases_and_named_in_that_order()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], Parameters.Of(Net).Flatten());
        Assert.Equal(["layers[0].weights[0][0]", "layers[0].weights[0][1]", "layers[0].weights[1][0]", "layers[0].weights[1][1]",
                      "layers[0].biases[0]", "layers[0].biases[1]", "layers[1].weights[0][0]", "layers[1].weights[0][1]"],
                     ParameterIndex.Names(Net));
    }

    [Fact]
    public void Parameters_of_a_network_are_a_copy_and_applied_to_it_give_a_network_with_those_values()
    {
        Parameters p = Parameters.Of(Net);
        p.W[0][1, 0] = -3;
        p.B[0]![1] = -6;
        Assert.Equal(3, Net.Layers[0].W[1, 0]);                  // the network is untouched
        Assert.Equal(6, Net.Layers[0].B![1]);
        Network changed = p.ApplyTo(Net);
        Assert.Equal([1, 2, -3, 4, 5, -6, 7, 8], Parameters.Of(changed).Flatten());
        Assert.Null(changed.Layers[1].B);
        Assert.Equal(Net.Layers.Select(l => (l.Activation, l.Bias)), changed.Layers.Select(l => (l.Activation, l.Bias)));
    }

    /// <summary>Counts the questions that reach the implementation.</summary>
    sealed class Counting : IBackprop
    {
        readonly ReferenceBackprop reference = new();
        public int Forwards, GradientsAsked, Steps;
        public string Name => "counting";
        public Capabilities Capabilities => Capabilities.Everything;
        public Evaluation Forward(Network n) { Forwards++; return reference.Forward(n); }
        public Gradients Gradients(Network n) { GradientsAsked++; return reference.Gradients(n); }
        public Parameters Step(Network n) { Steps++; return reference.Step(n); }
    }

    [Fact]
    public void Each_question_reaches_the_implementation_once_per_network_object_and_forward_comes_from_gradients()
    {
        var inner = new Counting();
        var cached = new CachingBackprop(inner);
        Evaluation first = cached.Forward(Net);                  // nothing known yet: asked
        Assert.Equal(1, inner.Forwards);
        Gradients g = cached.Gradients(Net);
        Assert.Same(g, cached.Gradients(Net));
        Evaluation again = cached.Forward(Net);                  // now from the gradients reply
        Assert.Equal((1, 1), (inner.Forwards, inner.GradientsAsked));
        Assert.Same(g.Outputs, again.Outputs);
        Assert.Equal(first.Loss, again.Loss);
        Assert.Same(cached.Step(Net), cached.Step(Net));
        Assert.Equal(1, inner.Steps);
        // an equal network that is another object is another question
        Network copy = NetworkJson.Parse(NetworkJson.Write(Net));
        cached.Gradients(copy);
        Assert.Equal(2, inner.GradientsAsked);
        Assert.Equal(("counting", Capabilities.Everything), (cached.Name, cached.Capabilities));
    }

    [Theory]
    [InlineData(0.1, 0.100000001490116119384765625)]            // the nearest float, exactly
    [InlineData(0.100000001, 0.100000001490116119384765625)]    // 9 digits of that float read back as it
    [InlineData(-2.5, -2.5)]
    [InlineData(3.4028234663852886e38, 3.4028234663852886e38)]  // float's max: itself
    [InlineData(3.4028235677973366e38, 3.4028235677973366e38)]  // just above it: beyond float's range, as it is
    [InlineData(1e39, 1e39)]                                      // beyond float's range: judged as it is
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(1e-46, 0)]                                        // below float's least subnormal: 0
    public void A_float32_answer_is_read_as_the_float_it_is(double written, double read) =>
        Assert.Equal(read, Float32Answers.AsFloat(written));

    [Fact]
    public void A_NaN_answer_stays_NaN_when_read_as_float32() => Assert.True(double.IsNaN(Float32Answers.AsFloat(double.NaN)));

    [Fact]
    public void Float32_answers_map_every_number_of_every_answer_and_pass_a_missing_layer_on()
    {
        var f = new Float32Answers(new ReferenceBackprop());
        Gradients exact = new ReferenceBackprop().Gradients(Net), read = f.Gradients(Net);
        Assert.Equal(exact.Flatten().Select(Float32Answers.AsFloat), read.Flatten());
        Assert.Equal(exact.Outputs[0].Select(Float32Answers.AsFloat), read.Outputs[0]);
        Assert.Equal(Float32Answers.AsFloat(exact.Loss), read.Loss);
        Assert.Equal(Float32Answers.AsFloat(new ReferenceBackprop().Forward(Net).Loss), f.Forward(Net).Loss);
        Assert.Equal(new ReferenceBackprop().Step(Net).Flatten().Select(Float32Answers.AsFloat), f.Step(Net).Flatten());
        Assert.Null(read.dE_db[1]);                              // the layer without a bias has none
        Assert.Equal("reference", f.Name);
    }

    [Fact]
    public void Examples_are_found_by_name_or_by_the_start_of_one_and_a_bad_name_lists_them()
    {
        Assert.Equal(["000-one-hidden-unit", "001-exercise-3-2-1", "002-mazur-2-2-2", "003-chain", "003-split", "004-batched-relu"], Examples.Names);
        Assert.Equal(Examples.Text("002-mazur-2-2-2"), Examples.Text("002"));
        Assert.Equal("002-mazur-2-2-2", Examples.Load("002").Name);
        Assert.Equal($"no built-in example named '999'; the examples are: {string.Join(", ", Examples.Names)}",
                     Assert.Throws<ArgumentException>(() => Examples.Load("999")).Message);
        Assert.Equal("'003' names several examples: 003-chain, 003-split; give more of the name",
                     Assert.Throws<ArgumentException>(() => Examples.Text("003")).Message);
    }

    [Fact]
    public void The_repository_root_is_the_nearest_folder_above_with_the_solution_and_none_outside()
    {
        string root = RepositoryRoot.Find(AppContext.BaseDirectory)!;
        Assert.True(File.Exists(Path.Combine(root, "BackpropSpec.sln")), root);
        Assert.Equal(root, RepositoryRoot.Find(Path.Combine(root, "golden", "examples")));
        Assert.Equal(root, RepositoryRoot.Find(root));
        Assert.Null(RepositoryRoot.Find(Path.GetTempPath()));
    }
    /// <summary>A sampled network whose answers float64 represents and float32 does not.</summary>
    static Network OnlyInFloat64() =>
        Enumerable.Range(0, 400).Select(i => NetworkGen.Sample(RunSettings.DefaultSeed, i, 400))
            .First(n => Truth.For(n, Precision.Float32).OutOfRange && !Truth.For(n, Precision.Float64).OutOfRange);

    [Fact]
    public void A_vector_network_must_be_representable_in_float64_and_in_float32_alike()
    {
        Assert.False(TestVectors.Representable(OnlyInFloat64()));    // beyond float32's range, within float64's: no vector
        Assert.True(TestVectors.Representable(Examples.Load("002")));
    }

    [Fact]
    public void The_vector_generator_refuses_what_it_cannot_write_and_says_what()
    {
        // no sample of the search qualifies
        var none = Assert.Throws<InvalidOperationException>(() => TestVectors.Find(_ => false, [], start: 5));
        Assert.Equal($"no network among samples 5..404 of seed {TestVectors.Seed} qualifies", none.Message);

        // a network some standard formulation cannot represent, named with the precision and the issue
        Network only64 = OnlyInFloat64();
        var beyond = Assert.Throws<InvalidOperationException>(() => TestVectors.Make("beyond float32", only64));
        Assert.Equal($"vector 'beyond float32': a standard formulation cannot represent some answer in float32 ({Truth.For(only64, Precision.Float32).RangeCause})", beyond.Message);

        // a worked example that cites no source document
        Network example = Examples.Load("002");
        Assert.Equal("002_7a089104b7097d23.txt", TestVectors.SourceFile(example));
        Network unsourced = Network.Create(example.Inputs, example.Layers, example.Loss, example.LearningRate, example.X, example.T, example.Name, null);
        var cited = Assert.Throws<InvalidOperationException>(() => TestVectors.SourceFile(unsourced));
        Assert.Equal("worked example '002-mazur-2-2-2' names no source document", cited.Message);
    }
}
