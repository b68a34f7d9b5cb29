namespace BackpropSpec.Reference;

/// <summary>A network document or API call that breaks a rule of the network format.
/// <see cref="Path"/> names the field and position (for example <c>layers[1].weights[0][2]</c>).</summary>
public sealed class NetworkFormatException(string path, string problem)
    : ArgumentException($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>
/// Every rule of the network format, in one place. The JSON reader and <see cref="Network.Create"/>
/// both call it, so a bad network gets the same message whichever door it came through.
/// </summary>
public static class Validation
{
    /// <summary>Widest layer (and most inputs) accepted. Checked before anything is allocated.</summary>
    public const int MaxWidth = 1 << 16;
    /// <summary>Most layers accepted.</summary>
    public const int MaxDepth = 1 << 10;
    /// <summary>Most examples in a batch.</summary>
    public const int MaxBatch = 1 << 20;
    /// <summary>Most weights and biases in one network.</summary>
    public const long MaxParameters = 1L << 26;

    /// <summary>Throws <see cref="NetworkFormatException"/> at the first rule broken.</summary>
    public static void Check(int inputs, IReadOnlyList<Layer> layers, LossKind loss, double learningRate,
                             double[][] x, double[][] t)
    {
        CheckCount("inputs", inputs, 1, MaxWidth);
        if (layers is null || layers.Count == 0) throw new NetworkFormatException("layers", "the network is empty: at least one layer is needed");
        CheckCount("layers", layers.Count, 1, MaxDepth, "layers");

        long parameters = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            Layer layer = layers[l] ?? throw new NetworkFormatException($"layers[{l}]", "is null");
            int fanIn = l == 0 ? inputs : layers[l - 1].Units;
            string where = $"layers[{l}]";
            if (layer.W is null) throw new NetworkFormatException($"{where}.weights", "missing");
            CheckCount($"{where}.units", layer.Units, 1, MaxWidth);
            if (!Enum.IsDefined(layer.Activation))
                throw new NetworkFormatException($"{where}.activation", $"unknown activation {(int)layer.Activation}");
            if (!Enum.IsDefined(layer.Bias))
                throw new NetworkFormatException($"{where}.bias", $"unknown bias mode {(int)layer.Bias}");
            if (layer.FanIn != fanIn)
                throw new NetworkFormatException($"{where}.weights",
                    $"expected {fanIn} columns ({FanInName(l)}), got {layer.FanIn}");
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    CheckFinite($"{where}.weights[{j}][{i}]", layer.W[j, i]);
            if (layer.Bias == BiasMode.None && layer.B is not null)
                throw new NetworkFormatException($"{where}.biases", "must be absent when bias is 'none'");
            if (layer.Bias != BiasMode.None)
            {
                if (layer.B is null) throw new NetworkFormatException($"{where}.biases", $"missing: bias is '{BiasName(layer.Bias)}'");
                if (layer.B.Length != layer.Units)
                    throw new NetworkFormatException($"{where}.biases", $"expected {layer.Units} numbers (units of layer {l}), got {layer.B.Length}");
                for (int j = 0; j < layer.B.Length; j++) CheckFinite($"{where}.biases[{j}]", layer.B[j]);
            }
            if (layer.Activation == Activation.Softmax && l != layers.Count - 1)
                throw new NetworkFormatException($"{where}.activation", $"softmax is only allowed on the output layer (layer {layers.Count - 1}), not layer {l}");
            parameters += (long)layer.Units * layer.FanIn + layer.Units;
            if (parameters > MaxParameters)
                throw new NetworkFormatException($"{where}", $"the network has more than {MaxParameters} parameters");
        }

        if (!Enum.IsDefined(loss)) throw new NetworkFormatException("loss", $"unknown loss {(int)loss}");
        Layer output = layers[^1];
        if (Loss.RequiredOutput(loss) is { } required && output.Activation != required)
            throw new NetworkFormatException("loss",
                $"{Loss.Name(loss)} needs a {Activations.Name(required)} output layer, but layers[{layers.Count - 1}].activation is {Activations.Name(output.Activation)}");

        CheckFinite("learningRate", learningRate);
        if (learningRate < 0) throw new NetworkFormatException("learningRate", $"must be at least 0, got {Fmt(learningRate)}");

        if (x is null || x.Length == 0) throw new NetworkFormatException("batch.inputs", "the batch is empty: at least one example is needed");
        CheckCount("batch.inputs", x.Length, 1, MaxBatch, "examples");
        if (t is null || t.Length != x.Length)
            throw new NetworkFormatException("batch.targets", $"expected {x.Length} rows (one per example of batch.inputs), got {t?.Length ?? 0}");
        for (int n = 0; n < x.Length; n++)
        {
            if (x[n] is null || x[n].Length != inputs)
                throw new NetworkFormatException($"batch.inputs[{n}]", $"expected {inputs} numbers (inputs), got {x[n]?.Length ?? 0}");
            for (int i = 0; i < inputs; i++) CheckFinite($"batch.inputs[{n}][{i}]", x[n][i]);
            if (t[n] is null || t[n].Length != output.Units)
                throw new NetworkFormatException($"batch.targets[{n}]", $"expected {output.Units} numbers (units of the output layer), got {t[n]?.Length ?? 0}");
            for (int k = 0; k < t[n].Length; k++)
            {
                CheckFinite($"batch.targets[{n}][{k}]", t[n][k]);
                if (Loss.RequiredOutput(loss) is not null && (t[n][k] < 0 || t[n][k] > 1))
                    throw new NetworkFormatException($"batch.targets[{n}][{k}]", $"{Fmt(t[n][k])} is outside [0, 1], as {Loss.Name(loss)} needs");
            }
            if (loss == LossKind.SoftmaxCrossEntropy)
            {
                // Σ_k t_k = 1 up to the rounding of the sum itself: at most k·ε for k numbers in [0, 1].
                // Then δ = o − t is the exact derivative of E to that rounding.
                double sum = 0;
                foreach (double tk in t[n]) sum += tk;
                double tolerance = t[n].Length * MachineEpsilon;
                if (Math.Abs(sum - 1) > tolerance)
                    throw new NetworkFormatException($"batch.targets[{n}]", $"sums to {Fmt(sum)}; a softmax-cross-entropy target must sum to 1 (within {tolerance:G3})");
            }
        }
    }

    public static string FanInName(int l) => l == 0 ? "inputs" : $"units of layer {l - 1}";

    public static void CheckFinite(string path, double value)
    {
        if (double.IsNaN(value)) throw new NetworkFormatException(path, "NaN is not allowed");
        if (double.IsInfinity(value)) throw new NetworkFormatException(path, $"{(value > 0 ? "Infinity" : "-Infinity")} is not allowed");
    }

    public static void CheckCount(string path, long value, long min, long max, string what = "")
    {
        string unit = what.Length == 0 ? "" : " " + what;
        if (value < min) throw new NetworkFormatException(path, $"must be at least {min}{unit}, got {value}");
        if (value > max) throw new NetworkFormatException(path, $"{value}{unit} is more than the {max} this tool accepts");
    }

    public static string BiasName(BiasMode mode) => mode switch
    {
        BiasMode.None => "none",
        BiasMode.Trainable => "trainable",
        BiasMode.Frozen => "frozen",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    static string Fmt(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The machine epsilon of double, 2⁻⁵², the gap between 1 and the next double.</summary>
    public static readonly double MachineEpsilon = Math.BitIncrement(1.0) - 1.0;
}
