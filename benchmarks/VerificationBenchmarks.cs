using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using BenchmarkDotNet.Attributes;

namespace BackpropSpec.Benchmarks;

/// <summary>
/// The O(P) oracle at the sizes people train, beside torch.autograd.gradcheck on the same networks
/// (benchmarks/torch/gradcheck_bench.py; <c>-- compare-torch</c> runs both and prints the ratios).
/// The networks are torch's: sigmoid hidden layers, an identity output, ½·mean squared error,
/// weights scaled by 1/√fan-in. A full verification is what `check` does for one gradient: the
/// exact gradient (double-double reverse mode), the careful bounds (the magnitude pass), every entry
/// judged, and the exact gradient's own cross-check along two random directions.
/// </summary>
[MemoryDiagnoser]
public class VerificationBenchmarks
{
    Network network = null!;
    Truth truth = null!;
    double[] gradient = [];

    /// <summary>inputs-width-…-outputs/batch</summary>
    [Params("2-2-2/4", "10-32-32-10/4", "784-128-10/32", "1000-1000-10/4")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        network = TorchNetworks.Build(Shape);
        truth = Truth.Compute(network, Precision.Float64);
        gradient = new ReferenceBackprop().Gradients(network).Flatten();
    }

    [Benchmark(Baseline = true, Description = "reference: forward + backward on doubles")]
    public object ReferenceForwardBackward() => Backward.Run(network, Forward.Run(network));

    [Benchmark(Description = "exact gradient: forward + backward in double-double")]
    public object ExactGradient() => Exact.Compute(network);

    [Benchmark(Description = "careful bounds: the magnitude pass")]
    public object CarefulBounds() => RoundingBounds.Of(truth.Exact, ErrorModel.Careful());

    [Benchmark(Description = "directional cross-checks (2 directions)")]
    public object DirectionalChecks() => Directional.Verify(truth);

    [Benchmark(Description = "full verification of one gradient")]
    public Zone FullVerification() => TorchNetworks.Verify(network, gradient);
}

/// <summary>The benchmark networks, as benchmarks/torch/gradcheck_bench.py builds them (other random
/// values, the same distributions), and one full verification.</summary>
public static class TorchNetworks
{
    public static Network Build(string shapeAndBatch)
    {
        string[] parts = shapeAndBatch.Split('/');
        int[] sizes = parts[0].Split('-').Select(int.Parse).ToArray();
        int m = int.Parse(parts[1]);
        var rng = new Random(20261123);
        var layers = new List<Layer>();
        for (int l = 1; l < sizes.Length; l++)
        {
            var w = new double[sizes[l], sizes[l - 1]];
            double scale = 1 / Math.Sqrt(sizes[l - 1]);
            for (int j = 0; j < sizes[l]; j++)
                for (int i = 0; i < sizes[l - 1]; i++) w[j, i] = (rng.NextDouble() * 2 - 1) * scale;
            layers.Add(new Layer(l == sizes.Length - 1 ? Activation.Identity : Activation.Sigmoid, w,
                                 Enumerable.Range(0, sizes[l]).Select(_ => rng.NextDouble() - 0.5).ToArray(), BiasMode.Trainable));
        }
        double[][] x = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, sizes[0]).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        double[][] t = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, sizes[^1]).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        return Network.Create(sizes[0], layers, LossKind.HalfMse, 0.1, x, t);
    }

    /// <summary>What `check` does for one gradient: exact values, careful bounds, every entry judged,
    /// the directional cross-check. The textbook bounds are computed only when an entry needs them.</summary>
    public static Zone Verify(Network network, double[] gradient)
    {
        Truth truth = Truth.Compute(network, Precision.Float64);
        Zone zone = GradientCheck.Compare(truth, gradient).Zone;
        return Directional.Verify(truth).Agrees ? zone : Zone.Wrong;
    }
}
