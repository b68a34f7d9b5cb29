using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;

namespace BackpropSpec.Oracle;

/// <summary>What an implementation supports: generated networks stay inside it. <see cref="Precision"/>
/// is the arithmetic it declares: every bound of the tolerance model follows it.</summary>
public sealed record Capabilities(IReadOnlyCollection<Activation> Activations, IReadOnlyCollection<LossKind> Losses,
                                  Precision Precision = Precision.Float64)
{
    public static Capabilities Everything { get; } = new(Reference.Activations.All, Loss.All);
}

/// <summary>
/// Random networks over the whole space the reference supports, and the shrinker that takes a
/// failing one to a minimal counterexample. FsCheck's size (0–100) grows the networks: depth 1–5,
/// widths 1–16, batches of 1–8.
/// </summary>
public static class NetworkGen
{
    public static Gen<Network> Networks(Capabilities? caps = null, NetworkShape? shape = null) =>
        Gen.Sized(size =>
            from hi in Gen.Choose(0, int.MaxValue)
            from lo in Gen.Choose(0, int.MaxValue)
            select Build(size, ((ulong)hi << 31) ^ (ulong)lo, caps ?? Capabilities.Everything, shape));

    public static Arbitrary<Network> Arbitrary(Capabilities? caps = null) => Arb.From(Networks(caps), Shrink);

    /// <summary>The <paramref name="index"/>-th network of a seeded run of <paramref name="count"/>:
    /// sizes grow from 0 to 100 across the run, and (seed, index) replays it exactly. Each index gets
    /// its own generator state, hashed from (seed, index) (SplitMix64's finaliser), so N indices give N
    /// independent draws; seeding index i with seed + i·γ would give the same stream shifted by i steps.</summary>
    public static Network Sample(ulong seed, int index, int count, Capabilities? caps = null, NetworkShape? shape = null) =>
        // FsCheck's order: Sample(generator, numberOfSamples, seed, size)
        Gen.Sample(Networks(caps, shape), 1, new Rnd(SplitMix.Hash(seed, (ulong)index)), SampleSize(index, count))[0];

    /// <summary>The FsCheck size of the <paramref name="index"/>-th network of a run of <paramref name="count"/>: 0 → 100.</summary>
    public static int SampleSize(int index, int count) => Math.Min(100, index * 101 / Math.Max(1, count));

    enum Regime { Tiny, Unit, Large, Saturating, Simple }

    /// <summary>A network drawn from a 64-bit seed. In float32, a network whose exact answers a float32
    /// cannot hold at all (beyond 3.4e38) is drawn again: the profile judges representable answers.</summary>
    static Network Build(int size, ulong seed, Capabilities caps, NetworkShape? shape)
    {
        var rng = new SplitMix(seed);
        for (int attempt = 0; ; attempt++)
        {
            Network n = Draw(size, rng, caps, shape);
            if (caps.Precision == Precision.Float64 || attempt == 20 || Truth.For(n, caps.Precision).Careful.Range.Count == 0) return n;
        }
    }

    static Network Draw(int size, SplitMix rng, Capabilities caps, NetworkShape? shape)
    {
        int maxDepth = Math.Min(5, 1 + size / 20), maxWidth = Math.Min(16, 1 + size / 6), maxBatch = Math.Min(8, 1 + size / 12);
        T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];
        // Small counts are likelier (u² skew): every width up to the maximum still occurs, and the
        // per-parameter oracles (O(P²)) stay affordable for thousands of networks.
        int Count(int max) => 1 + (int)(max * Math.Pow(rng.NextDouble(), 2));

        LossKind loss = Pick(caps.Losses.ToArray());
        Activation[] hiddenChoices = caps.Activations.Where(a => a != Activation.Softmax).DefaultIfEmpty(Activation.Identity).ToArray();
        Activation output = Loss.RequiredOutput(loss) ?? Pick(caps.Activations.ToArray());
        Regime regime = Pick(new[] { Regime.Tiny, Regime.Unit, Regime.Unit, Regime.Large, Regime.Saturating, Regime.Simple, Regime.Simple });
        double Value(double scale) => regime switch
        {
            Regime.Simple => rng.Next(-4, 5) * 0.5,
            Regime.Tiny => (rng.NextDouble() * 2 - 1) * 1e-3 * scale,
            Regime.Large => (rng.NextDouble() * 2 - 1) * 4 * scale,
            Regime.Saturating => (rng.NextDouble() * 2 - 1) * 12 * scale,   // net inputs well beyond ±30
            _ => (rng.NextDouble() * 2 - 1) * scale,
        };

        int depth = shape?.Depth ?? rng.Next(1, maxDepth + 1), inputs = shape?.Inputs ?? Count(maxWidth);
        int m = shape?.Batch ?? Count(maxBatch);
        var layers = new List<Layer>();
        int fanIn = inputs;
        for (int l = 0; l < depth; l++)
        {
            int units = shape?.Units(l) ?? Count(maxWidth);
            Activation f = l == depth - 1 ? output : Pick(hiddenChoices);
            // at a given shape, weights scale as 1/√fan-in (as initialisations do), so a wide layer's net
            // inputs keep the regime's size instead of growing with the width
            double scale = shape is null ? 1 : 1 / Math.Sqrt(fanIn);
            var w = new double[units, fanIn];
            for (int j = 0; j < units; j++)
                for (int i = 0; i < fanIn; i++) w[j, i] = Value(scale);
            BiasMode bias = Pick(new[] { BiasMode.None, BiasMode.Trainable, BiasMode.Frozen });
            double[]? b = bias == BiasMode.None ? null : Enumerable.Range(0, units).Select(_ => Value(1)).ToArray();
            layers.Add(new Layer(f, w, b, bias));
            fanIn = units;
        }
        int outputs = fanIn;
        double[][] x = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, inputs).Select(_ => Value(1)).ToArray()).ToArray();
        double[][] t = Enumerable.Range(0, m).Select(_ => Targets(rng, loss, output, outputs)).ToArray();
        double eta = Pick(new[] { 0.5, 0.1, 0.01, 1.0 });
        Network network = Network.Create(inputs, layers, loss, eta, x, t);
        return rng.Next(3) == 0 ? PlaceOnKink(network, rng) : network;
    }

    static double[] Targets(SplitMix rng, LossKind loss, Activation output, int k)
    {
        switch (loss)
        {
            case LossKind.BinaryCrossEntropy:
                return Enumerable.Range(0, k).Select(_ => rng.Next(3) switch { 0 => 0.0, 1 => 1.0, _ => rng.NextDouble() }).ToArray();
            case LossKind.SoftmaxCrossEntropy:
                if (rng.Next(2) == 0) { var oneHot = new double[k]; oneHot[rng.Next(k)] = 1; return oneHot; }
                double[] r = Enumerable.Range(0, k).Select(_ => rng.NextDouble() + 1e-3).ToArray();
                double sum = r.Sum();
                return r.Select(v => v / sum).ToArray();    // sums to 1 within k·ε
            default:
                bool bounded = output is Activation.Sigmoid or Activation.Softmax;
                return Enumerable.Range(0, k).Select(_ => bounded ? rng.NextDouble() : rng.NextDouble() * 4 - 2).ToArray();
        }
    }

    /// <summary>
    /// Puts one ReLU unit on or next to its kink, by choosing its bias: one time in four exactly on it
    /// in every arithmetic (its weights and bias set to 0: net = 0 however it is summed, where
    /// relu′(0) = 0 must hold); one in four within rounding of it (b = −Σ_i W[j, i]·in_i for one
    /// example, summed in the forward pass's order: exact arithmetic leaves a remainder of either sign,
    /// so either derivative is correct there); otherwise at ±1e-12, well clear of rounding.
    /// </summary>
    static Network PlaceOnKink(Network network, SplitMix rng)
    {
        int[] candidates = Enumerable.Range(0, network.Layers.Count)
            .Where(l => network.Layers[l].Activation == Activation.Relu && network.Layers[l].B is not null).ToArray();
        if (candidates.Length == 0) return network;
        int layerIndex = candidates[rng.Next(candidates.Length)];
        Layer layer = network.Layers[layerIndex];
        int j = rng.Next(layer.Units), n = rng.Next(network.BatchSize);
        double[] input = layerIndex == 0 ? network.X[n] : Forward.Run(network).Out[layerIndex - 1][n];
        double s = 0;
        for (int i = 0; i < layer.FanIn; i++) s += layer.W[j, i] * input[i];
        double[] b = (double[])layer.B!.Clone();
        double[,] w = layer.W;
        switch (rng.Next(4))
        {
            case 0:
                w = (double[,])layer.W.Clone();
                for (int i = 0; i < layer.FanIn; i++) w[j, i] = 0;
                b[j] = 0;
                break;
            case 1: b[j] = -s; break;
            case 2: b[j] = -s + 1e-12; break;
            default: b[j] = -s - 1e-12; break;
        }
        var layers = network.Layers.ToArray();
        layers[layerIndex] = new Layer(layer.Activation, w, b, layer.Bias);
        return Validated(network, layers) ?? network;
    }

    // ------------------------------------------------------------------ shrinking

    /// <summary>
    /// Smaller networks, structure first: drop an example, a hidden layer, a hidden unit, an input,
    /// an output; then drop biases and simplify activations; then move each number toward 0 and
    /// toward simple values. Every candidate is a valid network.
    /// </summary>
    public static IEnumerable<Network> Shrink(Network n)
    {
        int L = n.Layers.Count;
        for (int e = 0; e < n.BatchSize && n.BatchSize > 1; e++)
            if (Build(n, n.Layers, Without(n.X, e), Without(n.T, e), n.Inputs) is { } c) yield return c;
        for (int l = 0; l < L - 1; l++)
            if (DropLayer(n, l) is { } c) yield return c;
        for (int l = 0; l < L - 1; l++)
            for (int j = 0; j < n.Layers[l].Units && n.Layers[l].Units > 1; j++)
                if (DropUnit(n, l, j) is { } c) yield return c;
        for (int i = 0; i < n.Inputs && n.Inputs > 1; i++)
        {
            var layers = n.Layers.ToArray();
            layers[0] = WithWeights(layers[0], DropColumn(layers[0].W, i));
            if (Build(n, layers, n.X.Select(r => Without(r, i)).ToArray(), n.T, n.Inputs - 1) is { } c) yield return c;
        }
        for (int k = 0; k < n.Output.Units && n.Output.Units > 1; k++)
            if (DropOutput(n, k) is { } c) yield return c;
        for (int l = 0; l < L; l++)
        {
            Layer layer = n.Layers[l];
            if (layer.Bias != BiasMode.None && Replace(n, l, new Layer(layer.Activation, layer.W, null, BiasMode.None)) is { } noBias) yield return noBias;
            if (l < L - 1 && layer.Activation != Activation.Identity
                && Replace(n, l, new Layer(Activation.Identity, layer.W, layer.B, layer.Bias)) is { } linear) yield return linear;
        }
        foreach (Network c in SimplerValues(n)) yield return c;
    }

    static IEnumerable<Network> SimplerValues(Network n)
    {
        for (int l = 0; l < n.Layers.Count; l++)
        {
            Layer layer = n.Layers[l];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    foreach (double v in Simpler(layer.W[j, i]))
                    {
                        var w = (double[,])layer.W.Clone();
                        w[j, i] = v;
                        if (Replace(n, l, WithWeights(layer, w)) is { } c) yield return c;
                    }
            if (layer.B is not null)
                for (int j = 0; j < layer.Units; j++)
                    foreach (double v in Simpler(layer.B[j]))
                    {
                        var b = (double[])layer.B.Clone();
                        b[j] = v;
                        if (Replace(n, l, new Layer(layer.Activation, layer.W, b, layer.Bias)) is { } c) yield return c;
                    }
        }
        for (int e = 0; e < n.BatchSize; e++)
            for (int i = 0; i < n.Inputs; i++)
                foreach (double v in Simpler(n.X[e][i]))
                {
                    double[][] x = n.X.Select(r => (double[])r.Clone()).ToArray();
                    x[e][i] = v;
                    if (Build(n, n.Layers, x, n.T, n.Inputs) is { } c) yield return c;
                }
        if (n.Loss == LossKind.SoftmaxCrossEntropy) yield break;          // a distribution: keep it whole
        for (int e = 0; e < n.BatchSize; e++)
            for (int k = 0; k < n.Output.Units; k++)
                foreach (double v in Simpler(n.T[e][k]))
                {
                    double[][] t = n.T.Select(r => (double[])r.Clone()).ToArray();
                    t[e][k] = v;
                    if (Build(n, n.Layers, n.X, t, n.Inputs) is { } c) yield return c;
                }
    }

    /// <summary>0, then the nearest integer, then one decimal: each only if simpler than v.</summary>
    static IEnumerable<double> Simpler(double v)
    {
        if (v == 0) yield break;
        yield return 0;
        double whole = Math.Round(v);
        if (whole != 0 && whole != v) yield return whole;
        double tenth = Math.Round(v, 1);
        if (tenth != whole && tenth != v) yield return tenth;
    }

    static Network? DropLayer(Network n, int l)
    {
        var layers = n.Layers.ToList();
        layers.RemoveAt(l);
        int fanIn = l == 0 ? n.Inputs : n.Layers[l - 1].Units;
        Layer next = layers[l];
        var w = new double[next.Units, fanIn];
        for (int j = 0; j < next.Units; j++)
            for (int i = 0; i < fanIn; i++) w[j, i] = i < next.FanIn ? next.W[j, i] : 0;
        layers[l] = WithWeights(next, w);
        return Build(n, layers, n.X, n.T, n.Inputs);
    }

    static Network? DropUnit(Network n, int l, int j)
    {
        var layers = n.Layers.ToArray();
        Layer layer = layers[l];
        layers[l] = new Layer(layer.Activation, DropRow(layer.W, j), layer.B is null ? null : Without(layer.B, j), layer.Bias);
        layers[l + 1] = WithWeights(layers[l + 1], DropColumn(layers[l + 1].W, j));
        return Build(n, layers, n.X, n.T, n.Inputs);
    }

    static Network? DropOutput(Network n, int k)
    {
        var layers = n.Layers.ToArray();
        Layer o = layers[^1];
        layers[^1] = new Layer(o.Activation, DropRow(o.W, k), o.B is null ? null : Without(o.B, k), o.Bias);
        double[][] t = n.T.Select(r => Without(r, k)).ToArray();
        if (n.Loss == LossKind.SoftmaxCrossEntropy)
        {
            if (t.Any(r => r.Sum() <= 0)) return null;
            t = t.Select(r => { double s = r.Sum(); return r.Select(v => v / s).ToArray(); }).ToArray();
        }
        return Build(n, layers, n.X, t, n.Inputs);
    }

    static Layer WithWeights(Layer l, double[,] w) => new(l.Activation, w, l.B, l.Bias);

    static Network? Replace(Network n, int l, Layer layer)
    {
        var layers = n.Layers.ToArray();
        layers[l] = layer;
        return Validated(n, layers);
    }

    static Network? Validated(Network n, IReadOnlyList<Layer> layers) => Build(n, layers, n.X, n.T, n.Inputs);

    static Network? Build(Network n, IReadOnlyList<Layer> layers, double[][] x, double[][] t, int inputs)
    {
        try { return Network.Create(inputs, layers, n.Loss, n.LearningRate, x, t, n.Name, n.Source); }
        catch (NetworkFormatException) { return null; }
    }

    static T[] Without<T>(T[] a, int index) => a.Where((_, k) => k != index).ToArray();

    static double[,] DropRow(double[,] w, int row)
    {
        var r = new double[w.GetLength(0) - 1, w.GetLength(1)];
        for (int j = 0, jj = 0; j < w.GetLength(0); j++)
        {
            if (j == row) continue;
            for (int i = 0; i < w.GetLength(1); i++) r[jj, i] = w[j, i];
            jj++;
        }
        return r;
    }

    static double[,] DropColumn(double[,] w, int column)
    {
        var r = new double[w.GetLength(0), w.GetLength(1) - 1];
        for (int j = 0; j < w.GetLength(0); j++)
            for (int i = 0, ii = 0; i < w.GetLength(1); i++)
            {
                if (i == column) continue;
                r[j, ii++] = w[j, i];
            }
        return r;
    }
}

/// <summary>Greedy shrinking to a local minimum: take the first smaller candidate that still fails, repeat.</summary>
public static class Minimize
{
    public static (T minimal, int steps) Run<T>(T failing, Func<T, IEnumerable<T>> shrink, Func<T, bool> fails, int maxSteps = 2000)
    {
        T current = failing;
        int steps = 0;
        bool progressed = true;
        while (progressed && steps < maxSteps)
        {
            progressed = false;
            foreach (T candidate in shrink(current))
            {
                if (!fails(candidate)) continue;
                current = candidate;
                steps++;
                progressed = true;
                break;
            }
        }
        return (current, steps);
    }
}

/// <summary>
/// A fixed architecture for the random networks (`check --shape 784-128-10 --batch 32`): inputs,
/// then the units of every layer; activations, loss, values and (unless given) the batch size stay
/// random.
/// </summary>
public sealed record NetworkShape(IReadOnlyList<int> Sizes, int? Batch = null)
{
    public int Inputs => Sizes[0];
    public int Depth => Sizes.Count - 1;
    public int Units(int layer) => Sizes[layer + 1];

    /// <summary>"784-128-10": at least an input count and one layer, every size from 1 to the format's
    /// widest layer.</summary>
    public static NetworkShape Parse(string text, int? batch = null)
    {
        string[] parts = text.Split('-');
        var sizes = new List<int>();
        foreach (string p in parts)
            sizes.Add(int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) && v >= 1 && v <= Validation.MaxWidth
                ? v : throw new ArgumentException($"--shape: '{text}' is not inputs-units-…-outputs (whole numbers from 1 to {Validation.MaxWidth}, at least two): '{p}'"));
        if (sizes.Count < 2) throw new ArgumentException($"--shape: '{text}' needs the inputs and at least one layer, like 784-128-10");
        if (batch is < 1 or > Validation.MaxBatch) throw new ArgumentException($"--batch: {batch} is not between 1 and {Validation.MaxBatch}");
        return new NetworkShape(sizes, batch);
    }

    public override string ToString() => string.Join("-", Sizes) + (Batch is { } m ? $", batch {m}" : "");
}

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit generator state, so a run of a million networks
/// draws a million different ones (System.Random's int seed would repeat one in ~4,000 there), and a
/// hash of (seed, index) for independent per-network streams.
/// </summary>
public sealed class SplitMix(ulong seed)
{
    ulong state = seed;

    public ulong NextULong()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        return Mix(z);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>An independent seed for item <paramref name="index"/> of a run from <paramref name="seed"/>.</summary>
    public static ulong Hash(ulong seed, ulong index) => Mix(Mix(seed ^ 0x6A09E667F3BCC909UL) + index * 0x9E3779B97F4A7C15UL);

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, max).</summary>
    public int Next(int max) => (int)(NextULong() % (ulong)max);

    /// <summary>An integer in [min, max).</summary>
    public int Next(int min, int max) => min + Next(max - min);
}
