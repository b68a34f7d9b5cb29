using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

public static partial class Diagnosis
{
    /// <summary>The part of an answer a judged number belongs to.</summary>
    internal enum Part { Loss, Output, Gradient, Step }

    /// <summary>One judged number: the observation (network) it belongs to, its part, and its index
    /// (e·outputs + k for outputs[e][k]; the <see cref="ParameterIndex"/> position for gradients and steps).</summary>
    internal readonly record struct Item(int Network, Part Part, int Index);

    /// <summary>
    /// One network the implementation answered, judged against the exact values. An output, the loss
    /// or a gradient entry is <em>wrong</em> where the properties would call it wrong: beyond the
    /// textbook bound of the tolerance model. A step entry is wrong where it follows neither from the
    /// implementation's own gradient (W − η·g, what the step property demands) nor from the exact
    /// gradient (a step that is right while the reported gradient is not is no step bug). Where the
    /// tolerance model has no bound (NaN), nothing is called wrong: the diagnosis cannot judge it.
    /// </summary>
    internal sealed class Observation
    {
        public Observation(int index, Network network, Truth truth, Gradients? gradients, Evaluation? evaluation, Parameters? step)
        {
            Index = index;
            Network = network;
            Truth = truth;
            Profile = PrecisionProfile.Of(truth.Precision);
            Before = Parameters.Of(network).Flatten();
            Frozen = FrozenEntries(network);
            ExactGradient = truth.Exact.Gradient.Select((hi, k) => hi + truth.Exact.GradientLo[k]).ToArray();
            ExactLoss = truth.Exact.Loss + truth.Exact.LossLo;
            Layer = LayerOfEntries(network);

            Evaluation? forward = gradients is not null ? new Evaluation(gradients.Outputs, gradients.Loss) : evaluation;
            if (forward is not null && forward.Outputs.Length == network.BatchSize && forward.Outputs.All(r => r.Length == network.Output.Units))
            {
                OwnOutputs = forward.Outputs;
                AtOwnOutputs = forward.Outputs.Select((row, e) => row.SequenceEqual(network.T[e])).All(same => same);
                Loss = forward.Loss;
                // judged as the properties judge them (an undefined textbook bound bounds nothing: never wrong)
                LossWrong = truth.LossZone(forward.Loss) == Zone.Wrong;
                int K = network.Output.Units;
                OutputWrong = new bool[network.BatchSize * K];
                for (int e = 0; e < network.BatchSize; e++)
                    for (int k = 0; k < K; k++)
                        OutputWrong[e * K + k] = truth.OutputZone(e, k, forward.Outputs[e][k]) == Zone.Wrong;
            }
            if (gradients?.Flatten() is { } g && g.Length == Before.Length)
            {
                Gradient = g;
                GradientWrong = g.Select((v, k) => truth.GradientZone(k, v) == Zone.Wrong && !double.IsNaN(truth.Textbook.Gradient[k])).ToArray();
                Unjudged = g.Where((v, k) => double.IsNaN(truth.Textbook.Gradient[k]) && truth.GradientZone(k, v) != Zone.Agrees).Count();
            }
            if (step?.Flatten() is { } after && after.Length == Before.Length && Gradient is not null)
            {
                After = after;
                Rule = Before.Select((b, k) => Frozen[k] ? b : b - network.LearningRate * Gradient[k]).ToArray();
                StepWrong = new bool[after.Length];
                for (int k = 0; k < after.Length; k++)
                    StepWrong[k] = Frozen[k]
                        ? Math.Abs(after[k] - Before[k]) > Profile.StoreError(Before[k])
                        : Math.Abs(after[k] - Rule[k]) > StepBound(k, Gradient[k])
                          && Math.Abs(after[k] - (Before[k] - network.LearningRate * ExactGradient[k])) > StepBound(k, ExactGradient[k]);
            }
        }

        public int Index { get; }
        /// <summary>A fixed probe network or one derived from it, not a failing network.</summary>
        public bool Probe { get; init; }
        public Network Network { get; }
        public Truth Truth { get; }
        public PrecisionProfile Profile { get; }
        public int M => Network.BatchSize;
        public int Outputs => Network.Output.Units;

        /// <summary>Every weight and bias before the step, and which are frozen biases, in ParameterIndex order.</summary>
        public double[] Before { get; }
        public bool[] Frozen { get; }
        /// <summary>The layer of every parameter, and whether it is a bias.</summary>
        public (int Layer, bool Bias)[] Layer { get; }
        public double[] ExactGradient { get; }
        /// <summary>The exact loss rounded once (hi + lo of its double-double), as <see cref="ExactGradient"/>.</summary>
        public double ExactLoss { get; }

        public double[][]? OwnOutputs { get; }
        /// <summary>Every target is the implementation's own output (the zero-error property's network):
        /// the exact error o − t is rounding noise, and so is every gradient, correct or of any class.</summary>
        public bool AtOwnOutputs { get; }
        public double? Loss { get; }
        public bool LossWrong { get; }
        public bool[] OutputWrong { get; } = [];

        public double[]? Gradient { get; }
        public bool[] GradientWrong { get; } = [];
        /// <summary>Gradient entries beyond the careful bound where the textbook bound is undefined (NaN): not judged.</summary>
        public int Unjudged { get; }

        public double[]? After { get; }
        /// <summary>What the step must give with the implementation's own gradient: W − η·g, a frozen bias unchanged.</summary>
        public double[]? Rule { get; }
        public bool[] StepWrong { get; } = [];

        public IEnumerable<Item> Wrong()
        {
            if (LossWrong) yield return new Item(Index, Part.Loss, 0);
            for (int k = 0; k < OutputWrong.Length; k++) if (OutputWrong[k]) yield return new Item(Index, Part.Output, k);
            for (int k = 0; k < GradientWrong.Length; k++) if (GradientWrong[k]) yield return new Item(Index, Part.Gradient, k);
            for (int k = 0; k < StepWrong.Length; k++) if (StepWrong[k]) yield return new Item(Index, Part.Step, k);
        }

        /// <summary>The step property's textbook bound for entry k with gradient g: the step's roundings,
        /// u·(|η·g| + |W⁺|) (in float32 also storing W and η·g), plus η·2·(textbook bound of g).</summary>
        public double StepBound(int k, double g)
        {
            double eta = Network.LearningRate, after = After?[k] ?? Before[k] - eta * g;
            double rounding = Profile.U * (Math.Abs(eta * g) + Math.Abs(after))
                              + (Profile.RoundsInputs ? Profile.U * (Math.Abs(Before[k]) + Math.Abs(eta * g)) : 0) + 2 * Profile.Floor;
            return rounding + 2 * eta * Truth.Textbook.Gradient[k];
        }

        static bool[] FrozenEntries(Network n) =>
            n.Layers.SelectMany(l => Enumerable.Repeat(false, l.Units * l.FanIn)
                .Concat(Enumerable.Repeat(l.Bias == BiasMode.Frozen, l.B?.Length ?? 0))).ToArray();

        static (int, bool)[] LayerOfEntries(Network n) =>
            n.Layers.SelectMany((l, index) => Enumerable.Repeat((index, false), l.Units * l.FanIn)
                .Concat(Enumerable.Repeat((index, true), l.B?.Length ?? 0))).ToArray();
    }
}
