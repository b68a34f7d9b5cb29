using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

public static partial class Diagnosis
{
    /// <summary>
    /// Small fixed networks the diagnosis asks about besides the failing ones, one per loss the
    /// implementation supports. The failing networks may not show a class's signature: a shrunk
    /// network has one unit where a transposition reads only missing indices, a duplicated batch makes
    /// "the last example only" look like "divided by m", a one-layer network makes "f′ missing in
    /// layer 0" the same bug as "f′ missing at the output". Each probe has two examples that differ,
    /// two hidden layers of two units (square weight matrices: a transposition reads no missing
    /// index), two outputs, a trainable, a frozen and a trainable bias, η = 0.1, and generic values
    /// that keep every net input between −2 and 2 (no saturation, no ReLU kink).
    /// </summary>
    public static IReadOnlyList<Network> Probes(Capabilities caps)
    {
        Activation[] hidden = new[] { Activation.Tanh, Activation.Sigmoid, Activation.Relu, Activation.Identity }.Where(caps.Activations.Contains).ToArray();
        if (hidden.Length == 0) return [];
        Activation h0 = hidden[0], h1 = hidden.Length > 1 ? hidden[1] : hidden[0];
        var probes = new List<Network>();
        foreach (LossKind loss in caps.Losses)
        {
            Activation? output = Loss.RequiredOutput(loss)
                ?? new[] { Activation.Sigmoid, Activation.Identity, Activation.Tanh, Activation.Relu }.Cast<Activation?>().FirstOrDefault(a => caps.Activations.Contains(a!.Value));
            if (output is null || !caps.Activations.Contains(output.Value)) continue;
            double[][] targets = loss switch
            {
                LossKind.BinaryCrossEntropy => [[0, 1], [1, 0.3]],
                LossKind.SoftmaxCrossEntropy => [[1, 0], [0.25, 0.75]],
                _ => [[0.2, 0.9], [0.7, 0.1]],
            };
            Layer[] layers =
            [
                new(h0, new[,] { { 0.61, -0.42 }, { 0.35, 0.78 } }, [0.13, -0.27], BiasMode.Trainable),
                new(h1, new[,] { { -0.53, 0.91 }, { 0.72, 0.26 } }, [0.18, -0.09], BiasMode.Frozen),
                new(output.Value, new[,] { { 0.47, -0.66 }, { -0.31, 0.84 } }, [-0.11, 0.23], BiasMode.Trainable),
            ];
            probes.Add(Network.Create(2, layers, loss, 0.1, [[0.9, -0.4], [-0.3, 0.7]], targets, $"diagnosis probe ({Loss.Name(loss)})"));
        }
        return probes;
    }
}
