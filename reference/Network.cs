namespace BackpropSpec.Reference;

/// <summary>The activation f of a layer: out = f(net).</summary>
public enum Activation { Identity, Sigmoid, Tanh, Relu, Softmax }

/// <summary>The error E of a batch. m is the batch size, o the output, t the target.</summary>
public enum LossKind
{
    /// <summary>E = Σ_n Σ_k ½(t − o)²  (002's E_total; 003's ½(ŷ − y)²).</summary>
    HalfSse,
    /// <summary>E = (1/m) Σ_n Σ_k ½(t − o)²  (004's mean over the batch).</summary>
    HalfMse,
    /// <summary>E = (1/m) Σ_n Σ_k −[t ln o + (1 − t) ln(1 − o)], sigmoid output, δ = (o − t)/m (004).</summary>
    BinaryCrossEntropy,
    /// <summary>E = (1/m) Σ_n −Σ_k t ln o, softmax output, δ = (o − t)/m.</summary>
    SoftmaxCrossEntropy,
}

/// <summary>Whether a layer has biases, and whether a gradient step moves them.</summary>
public enum BiasMode
{
    /// <summary>No bias (000, 001, 003).</summary>
    None,
    Trainable,
    /// <summary>Has a gradient but a step never changes it (002's text never updates b1, b2).</summary>
    Frozen,
}

/// <summary>
/// One fully connected layer. W[j, i] is the weight into unit j from unit i of the layer below
/// (002: w5 = W[0, 0] of the output layer, the weight from h1 into o1).
/// </summary>
public sealed class Layer
{
    public Layer(Activation activation, double[,] w, double[]? b, BiasMode bias)
    {
        Activation = activation;
        W = w;
        B = b;
        Bias = bias;
    }

    public Activation Activation { get; }
    public double[,] W { get; }          // [units, fanIn]
    public double[]? B { get; }          // [units], null when Bias == None
    public BiasMode Bias { get; }

    public int Units => W?.GetLength(0) ?? 0;     // a null W is reported by Validation, not by a crash here
    public int FanIn => W?.GetLength(1) ?? 0;
}

/// <summary>
/// A network, its loss, its learning rate η and one batch: everything one gradient step needs.
/// Construct through <see cref="Network.Create"/> (or <see cref="NetworkJson"/>), which validates.
/// </summary>
public sealed class Network
{
    private Network(int inputs, Layer[] layers, LossKind loss, double learningRate,
                    double[][] x, double[][] t, string? name, string? source)
    {
        Inputs = inputs;
        Layers = layers;
        Loss = loss;
        LearningRate = learningRate;
        X = x;
        T = t;
        Name = name;
        Source = source;
    }

    public string? Name { get; }
    public string? Source { get; }
    public int Inputs { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public LossKind Loss { get; }
    public double LearningRate { get; }     // η
    public double[][] X { get; }            // [m][inputs]   the batch of inputs
    public double[][] T { get; }            // [m][outputs]  the targets
    public int BatchSize => X.Length;       // m
    public Layer Output => Layers[^1];

    /// <summary>Builds a network after checking every rule of the network format.</summary>
    /// <exception cref="ArgumentException">The message names the field and position, exactly as
    /// the JSON reader would (for example <c>layers[1].weights[0][2]: NaN is not allowed</c>).</exception>
    public static Network Create(int inputs, IReadOnlyList<Layer> layers, LossKind loss, double learningRate,
                                 double[][] x, double[][] t, string? name = null, string? source = null)
    {
        Validation.Check(inputs, layers, loss, learningRate, x, t);
        return new Network(inputs, layers.ToArray(), loss, learningRate, x, t, name, source);
    }

    /// <summary>The same network with other weights and biases (used by a gradient step).</summary>
    public Network WithLayers(IReadOnlyList<Layer> layers) => Create(Inputs, layers, Loss, LearningRate, X, T, Name, Source);

    /// <summary>The same network on another batch.</summary>
    public Network WithBatch(double[][] x, double[][] t) => Create(Inputs, Layers, Loss, LearningRate, x, t, Name, Source);

    /// <summary>The network as its JSON document, so a counterexample prints as something you can run.</summary>
    public override string ToString() => NetworkJson.Write(this);

    /// <summary>Number of trainable-or-frozen parameters: every weight and every bias.</summary>
    public int ParameterCount => Layers.Sum(l => l.Units * l.FanIn + (l.B?.Length ?? 0));
}
