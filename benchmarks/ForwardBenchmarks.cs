using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Derivatives;
using BackpropSpec.Reference;
using BenchmarkDotNet.Attributes;

namespace BackpropSpec.Benchmarks;

/// <summary>
/// What plainness costs. The reference's forward pass is written once, generic over IScalar&lt;T&gt;,
/// so dual and complex numbers can reuse it; on doubles it runs on the one-field struct Real.
/// Baseline: the same loops written by hand on double. Also the backward pass, a whole step, and
/// the per-parameter oracles the property tests pay for.
/// </summary>
[MemoryDiagnoser]
public class ForwardBenchmarks
{
    Network network = null!;
    Parameters<Real> parameters = null!;

    /// <summary>inputs-width-…-outputs; batch of 8</summary>
    [Params("16-16-16-4", "2-2-2")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        int[] sizes = Shape.Split('-').Select(int.Parse).ToArray();
        var rng = new Random(1);
        var layers = new List<Layer>();
        for (int l = 1; l < sizes.Length; l++)
        {
            var w = new double[sizes[l], sizes[l - 1]];
            for (int j = 0; j < sizes[l]; j++)
                for (int i = 0; i < sizes[l - 1]; i++) w[j, i] = rng.NextDouble() - 0.5;
            layers.Add(new Layer(l == sizes.Length - 1 ? Activation.Identity : Activation.Sigmoid, w,
                                 Enumerable.Range(0, sizes[l]).Select(_ => rng.NextDouble()).ToArray(), BiasMode.Trainable));
        }
        double[][] x = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, sizes[0]).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        double[][] t = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, sizes[^1]).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        network = Network.Create(sizes[0], layers, LossKind.HalfSse, 0.1, x, t);
        parameters = Parameters<Real>.Of(network);
    }

    [Benchmark(Baseline = true, Description = "forward, hand-written on double")]
    public double ForwardOnDouble()
    {
        double e = 0;
        foreach ((double[] x, double[] t) in network.X.Zip(network.T))
        {
            double[] below = x;
            foreach (Layer layer in network.Layers)
            {
                var @out = new double[layer.Units];
                for (int j = 0; j < layer.Units; j++)
                {
                    double sum = 0;
                    for (int i = 0; i < layer.FanIn; i++) sum += layer.W[j, i] * below[i];
                    sum += layer.B![j];
                    @out[j] = layer.Activation == Activation.Sigmoid ? 1 / (1 + Math.Exp(-sum)) : sum;
                }
                below = @out;
            }
            for (int k = 0; k < t.Length; k++) e += 0.5 * (t[k] - below[k]) * (t[k] - below[k]);
        }
        return e;
    }

    [Benchmark(Description = "forward, generic on Real (the reference)")]
    public double ForwardGeneric() => Forward.Evaluate(network, parameters).E.Value;

    [Benchmark(Description = "forward + cache unwrapped to double (Forward.Run)")]
    public double ForwardRun() => Forward.Run(network).E;

    [Benchmark(Description = "backward pass")]
    public LayerGradients<double>[] BackwardPass() => Backward.Run(network, Forward.Run(network));

    [Benchmark(Description = "dual-number gradient, every parameter")]
    public double[] DualGradient() => Oracles.Compute(network, finiteDifferences: false, complexStep: false).Dual;

    [Benchmark(Description = "all oracles: dual, finite differences, complex step")]
    public OracleGradients AllOracles() => Oracles.Compute(network);
}
