using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using Xunit;

namespace BackpropSpec.SpecTests.OracleTests;

public class NetworkGenTests
{
    [Fact]
    public void Sample_replays_exactly_and_its_networks_grow_across_the_run()
    {
        const ulong seed = 7;
        const int count = 100;
        Assert.Equal(NetworkGen.Sample(seed, 0, count).ToString(), NetworkGen.Sample(seed, 0, count).ToString());
        Assert.Equal(NetworkGen.Sample(seed, 93, count).ToString(), NetworkGen.Sample(seed, 93, count).ToString());
        Assert.Equal(0, NetworkGen.SampleSize(0, count));
        Assert.InRange(NetworkGen.SampleSize(count - 1, count), 99, 100);
        // size 0 allows one layer of one unit; the last fifth of a run reaches deeper, wider networks
        double small = Enumerable.Range(0, 20).Average(i => NetworkGen.Sample(seed, i, count).ParameterCount);
        double large = Enumerable.Range(80, 20).Average(i => NetworkGen.Sample(seed, i, count).ParameterCount);
        Assert.True(large > 4 * small, $"average parameters: {small} in the first 20 networks, {large} in the last 20");
        Assert.Contains(Enumerable.Range(80, 20), i => NetworkGen.Sample(seed, i, count).Layers.Count >= 3);
    }

    /// <summary>Network i of a run has its own generator state, hashed from (seed, i): N samples are N
    /// different networks. (Seeding network i with seed + i·γ gave one SplitMix stream shifted by i
    /// steps, and about half of 1,000 "random networks" were repeats.) Size 0 has few distinct networks
    /// at all, so the run is taken at sizes where the space is large.</summary>
    [Fact]
    public void N_sampled_networks_are_N_different_networks()
    {
        const int count = 10_000;
        var seen = new HashSet<string>();
        int repeats = 0;
        for (int i = count / 5; i < count; i++)
            if (!seen.Add(NetworkGen.Sample(RunSettings.DefaultSeed, i, count).ToString())) repeats++;
        Assert.Equal(0, repeats);
    }

    [Fact]
    public void A_shape_fixes_the_architecture_and_the_batch_and_leaves_the_rest_random()
    {
        NetworkShape shape = NetworkShape.Parse("7-5-3", 4);
        var networks = Enumerable.Range(0, 40).Select(i => NetworkGen.Sample(RunSettings.DefaultSeed, i, 40, null, shape)).ToArray();
        Assert.All(networks, n =>
        {
            Assert.Equal(7, n.Inputs);
            Assert.Equal([5, 3], n.Layers.Select(l => l.Units));
            Assert.Equal(4, n.BatchSize);
        });
        Assert.True(networks.Select(n => n.Loss).Distinct().Count() > 1, "the loss stays random");
        Assert.True(networks.SelectMany(n => n.Layers.Select(l => l.Activation)).Distinct().Count() > 2, "the activations stay random");
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784"));
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784-0-10"));
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784-x-10"));
    }
    /// <summary>The class comment's promise: depth 1–5, widths 1–16, batches of 1–8, and over a run every
    /// loss and every activation occurs.</summary>
    [Fact]
    public void Sampled_networks_stay_within_the_documented_sizes_and_reach_every_loss_and_activation()
    {
        const int count = 300;
        var networks = Enumerable.Range(0, count).Select(i => NetworkGen.Sample(11, i, count)).ToArray();
        Assert.All(networks, n =>
        {
            Assert.InRange(n.Layers.Count, 1, 5);
            Assert.InRange(n.Inputs, 1, 16);
            Assert.All(n.Layers, l => Assert.InRange(l.Units, 1, 16));
            Assert.InRange(n.BatchSize, 1, 8);
        });
        Assert.Equal(Loss.All.OrderBy(x => x), networks.Select(n => n.Loss).Distinct().OrderBy(x => x));
        Assert.Equal(Activations.All.OrderBy(x => x), networks.SelectMany(n => n.Layers.Select(l => l.Activation)).Distinct().OrderBy(x => x));
    }

    [Fact]
    public void Capabilities_keep_every_network_inside_them()
    {
        var caps = new Capabilities([Activation.Identity, Activation.Tanh], [LossKind.HalfMse]);
        Assert.All(Enumerable.Range(0, 60).Select(i => NetworkGen.Sample(3, i, 60, caps)), n =>
        {
            Assert.Equal(LossKind.HalfMse, n.Loss);
            Assert.All(n.Layers, l => Assert.Contains(l.Activation, caps.Activations));
        });
    }

    /// <summary>Float32 draws again only a network a float32 cannot hold: otherwise the first draw of
    /// (seed, i), the same network the float64 run has.</summary>
    [Fact]
    public void A_float32_run_keeps_the_float64_network_wherever_a_float32_can_hold_its_answers()
    {
        Capabilities f32 = Capabilities.Everything with { Precision = Precision.Float32 };
        for (int i = 0; i < 12; i++)
        {
            Network n64 = NetworkGen.Sample(5, i, 12), n32 = NetworkGen.Sample(5, i, 12, f32);
            if (Truth.For(n64, Precision.Float32).Careful.Range.Count == 0) Assert.Equal(n64.ToString(), n32.ToString());
            else Assert.Empty(Truth.For(n32, Precision.Float32).Careful.Range);
        }
    }

    /// <summary>With a shape, weights scale as 1/√fan-in: in 16-16-1 every weight is within a quarter
    /// of its regime's range. The regime shows in the inputs (drawn unscaled): Simple values are
    /// multiples of 0.5; otherwise the smallest of 1e-3, 1, 4, 12 holding all 64 inputs.</summary>
    [Fact]
    public void With_a_shape_weights_scale_with_one_over_the_root_of_the_fan_in()
    {
        NetworkShape shape = NetworkShape.Parse("16-16-1", 4);
        int tiny = 0;
        for (int i = 0; i < 80; i++)
        {
            Network n = NetworkGen.Sample(9, i, 80, null, shape);
            double[] x = n.X.SelectMany(r => r).ToArray();
            double X = x.Max(Math.Abs);
            bool simple = x.All(v => v * 2 == Math.Round(v * 2));
            double range = simple ? 2 : new[] { 1e-3, 1, 4, 12 }.First(a => X <= a);
            if (range == 1e-3)
            {
                tiny++;
                Assert.Contains(x, v => v > 0);
                Assert.Contains(x, v => v < 0);
            }
            double limit = simple ? 2 : range / 4;
            Assert.All(n.Layers, l => Assert.All(l.W.Cast<double>(), w => Assert.InRange(Math.Abs(w), 0, limit)));
        }
        Assert.True(tiny > 0, "the tiny regime occurs");
    }

    /// <summary>PlaceOnKink: one time in four a ReLU unit's net is +1e-12 for one example, one in
    /// four −1e-12 (b = −s ± 1e-12, s = Σ W·in for that example). Both sides must occur over a run,
    /// and with a weighted input s that is not 0 (|b| well above 1e-12): where every input of the unit
    /// is 0 (an upstream ReLU layer all off), s = 0 and b = ±1e-12 alone puts net there, whatever the
    /// sign given to s.</summary>
    [Fact]
    public void Kinks_are_placed_just_above_and_just_below_zero()
    {
        int above = 0, below = 0;
        for (int i = 0; i < 600; i++)
        {
            Network n = NetworkGen.Sample(13, i, 600);
            double[][][] net = Forward.Run(n).Net;
            for (int l = 0; l < n.Layers.Count; l++)
                if (n.Layers[l].Activation == Activation.Relu && n.Layers[l].B is { } b)
                    foreach (double[] row in net[l])
                        for (int j = 0; j < row.Length; j++)
                        {
                            if (Math.Abs(b[j]) < 1e-9) continue;
                            if (Math.Abs(row[j] - 1e-12) < 1e-13) above++;
                            if (Math.Abs(row[j] + 1e-12) < 1e-13) below++;
                        }
        }
        Assert.True(above > 0 && below > 0, $"{above} nets at +1e-12, {below} at -1e-12 (with |b| >= 1e-9)");
    }

    static int Size(Network n) => n.ParameterCount + n.BatchSize * n.Inputs;

    /// <summary>A network of one input, one example and layers of one unit has nothing to drop: every
    /// candidate is valid, keeps at least one of everything, and is no larger.</summary>
    [Fact]
    public void Shrinking_a_minimal_network_never_drops_its_last_example_unit_input_or_output()
    {
        Network n = Network.Create(1, [new Layer(Activation.Relu, new[,] { { 0.7 } }, [0.3], BiasMode.Trainable),
                                       new Layer(Activation.Tanh, new[,] { { 1.6 } }, [0.2], BiasMode.Trainable)],
            LossKind.HalfSse, 0.5, [[1.3]], [[0.3]]);
        var candidates = NetworkGen.Shrink(n).ToArray();
        Assert.NotEmpty(candidates);
        Assert.All(candidates, c =>
        {
            Assert.NotEqual(n.ToString(), c.ToString());
            Assert.Equal(1, c.BatchSize);
            Assert.Equal(1, c.Inputs);
            Assert.All(c.Layers, l => Assert.Equal(1, l.Units));
            Assert.True(Size(c) <= Size(n));
        });
    }

    /// <summary>Softmax cross-entropy targets are distributions: every candidate's rows are finite and
    /// sum to 1 (dropping the output that holds a one-hot row's 1 leaves no distribution: no candidate).</summary>
    [Fact]
    public void Shrinking_softmax_cross_entropy_keeps_every_target_row_a_distribution()
    {
        Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 0.7 }, { -0.4 } }, [0.3, 0.1], BiasMode.Trainable)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.3], [0.6]], [[1.0, 0.0], [0.7, 0.3]]);
        var candidates = NetworkGen.Shrink(n).ToArray();
        Assert.NotEmpty(candidates);
        Assert.Contains(candidates, c => c.Output.Units == 1);
        Assert.All(candidates, c => Assert.All(c.T, r =>
        {
            Assert.All(r, v => Assert.True(double.IsFinite(v)));
            Assert.Equal(1.0, r.Sum(), 12);
        }));
    }

    /// <summary>The shrinker keeps a softmax cross-entropy target row whole: it never moves one entry
    /// toward a simpler value. The row 0.1 + 0.2 = 0.30000000000000004 and 0.7 is the trap: its simpler
    /// 0.3 gives a row that still sums to 1 (exactly), so validation alone would let that candidate
    /// through. Only dropping an output renormalises a row (another output count).</summary>
    [Fact]
    public void Shrinking_softmax_cross_entropy_never_simplifies_a_target_entry_on_its_own()
    {
        double[] row = [0.1 + 0.2, 0.7];
        Network n = Network.Create(1, [new Layer(Activation.Softmax, new[,] { { 0.7 }, { -0.4 } }, [0.3, 0.1], BiasMode.Trainable)],
            LossKind.SoftmaxCrossEntropy, 0.5, [[1.3]], [row]);
        Assert.NotNull(Network.Create(n.Inputs, n.Layers, n.Loss, n.LearningRate, n.X, [[0.3, 0.7]]));   // the trap is a valid network
        var sameShape = NetworkGen.Shrink(n).Where(c => c.Output.Units == 2).ToArray();
        Assert.NotEmpty(sameShape);                                   // weights, biases and the input still shrink
        Assert.All(sameShape, c => Assert.Equal(row, c.T.Single()));
    }

    [Fact]
    public void Minimize_takes_at_most_max_steps()
    {
        Assert.Equal((7, 3), Minimize.Run(10, x => x > 0 ? [x - 1] : [], _ => true, maxSteps: 3));
        Assert.Equal((0, 10), Minimize.Run(10, x => x > 0 ? [x - 1] : [], _ => true));
    }

    [Fact]
    public void Parse_accepts_exactly_the_documented_range_and_says_what_is_wrong()
    {
        Assert.Equal([1, 1], NetworkShape.Parse("1-1").Sizes);
        Assert.Equal([Validation.MaxWidth, 1], NetworkShape.Parse($"{Validation.MaxWidth}-1").Sizes);
        Assert.Equal([3, 2], NetworkShape.Parse("3-2").Sizes);
        Assert.Equal(1, NetworkShape.Parse("3-2", 1).Batch);
        Assert.Equal(Validation.MaxBatch, NetworkShape.Parse("3-2", Validation.MaxBatch).Batch);
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse($"{Validation.MaxWidth + 1}-1"));
        Assert.Throws<ArgumentException>(() => NetworkShape.Parse("3-2", Validation.MaxBatch + 1));
        Assert.Equal($"--shape: '784-x-10' is not inputs-units-…-outputs (whole numbers from 1 to {Validation.MaxWidth}, at least two): 'x'",
            Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784-x-10")).Message);
        Assert.Equal("--shape: '784' needs the inputs and at least one layer, like 784-128-10",
            Assert.Throws<ArgumentException>(() => NetworkShape.Parse("784")).Message);
        Assert.Equal($"--batch: 0 is not between 1 and {Validation.MaxBatch}",
            Assert.Throws<ArgumentException>(() => NetworkShape.Parse("3-2", 0)).Message);
        Assert.Equal("7-5-3, batch 4", NetworkShape.Parse("7-5-3", 4).ToString());
        Assert.Equal("7-5-3", NetworkShape.Parse("7-5-3").ToString());
    }
}
