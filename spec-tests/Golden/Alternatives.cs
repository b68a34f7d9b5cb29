using System.Globalization;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>
/// The computations that did produce the numbers the documents print wrongly (errata), and the
/// student code of 001 transcribed literally (wrong-code entries). Each returns the value it
/// computes; the golden tests check it against the printed digits.
/// </summary>
public static class Alternatives
{
    /// <summary>An erratum's alternative computation by name: a double, an exact decimal, or a printed string.</summary>
    public static object Erratum(string name) => name switch
    {
        // 000: "(0.5 × 0.003 × 0.1, 0.5 × 0.003 × 0.3)": δ^h rounded to 0.003 before multiplying
        "000.rounded-delta-h" => 0.5m * 0.003m * 0.3m,
        // 002: "e^{-1.10590}": −net_o1 = −1.105905967… cut, not rounded, to five decimals
        "002.truncated-net-o1" => -Math.Truncate((decimal)Value("002", "examples[0].layers[1].net[0]") * 100_000m) / 100_000m,
        // 002: "0.74136507 * 0.186815602 = 0.18498562": the product to nine decimals, third digit dropped
        "002.dropped-digit" => DropDigit(Value("002", "examples[0].layers[1].delta[0]").ToString("F9", CultureInfo.InvariantCulture), 3),
        // 002: δ_o2 to the text's nine decimals, times w7 = 0.5 (a tie at the tenth decimal)
        "002.rounded-delta-o2" => Math.Round((decimal)Value("002", "examples[0].layers[1].delta[1]"), 9, MidpointRounding.AwayFromZero) * 0.5m,
        // 002: one step in which the hidden deltas see the already-updated w5..w8
        "002.sequential-update-1" => BackpropSpec.Reference.Forward.Run(Sequential(1)).E,
        // 002: 10,000 such steps
        "002.sequential-update-10000[0]" => BackpropSpec.Reference.Forward.Run(Sequential(10_000)).Out[1][0][0],
        "002.sequential-update-10000[1]" => BackpropSpec.Reference.Forward.Run(Sequential(10_000)).Out[1][0][1],
        // 002: the reference's own simultaneous step, 9,999 times instead of 10,000
        "002.simultaneous-9999" => BackpropSpec.Reference.Forward.Run(Train.Run(Examples.Load("002"), 9_999)).E,
        _ => throw new ArgumentException($"unknown alternative computation '{name}'"),
    };

    static double Value(string example, string path) => Catalog.Evaluate(path, Examples.Load(example).Name!, 0);

    static string DropDigit(string s, int index) => s.Remove(index, 1);

    static readonly Dictionary<int, Network> SequentialCache = new();

    /// <summary>002 trained with the update order its text forbids: each layer is stepped before δ
    /// is propagated through it (the oracle's <see cref="Bug.UpdatedWeightsInBackprop"/>).</summary>
    static Network Sequential(int steps)
    {
        lock (SequentialCache)
        {
            if (SequentialCache.TryGetValue(steps, out Network? cached)) return cached;
            var wrong = new Mutant(Bug.UpdatedWeightsInBackprop);
            Network n = Examples.Load("002");
            for (int s = 0; s < steps; s++) n = wrong.Step(n).ApplyTo(n);
            return SequentialCache[steps] = n;
        }
    }

    /// <summary>
    /// 001's student code, cell by cell, in NumPy's order of operations. In[65] runs on 000's
    /// network (x1, x2 = 0.1, 0.3; w1, w2 = 0.4, −0.2; hw = 0.1; y = 1), In[75] on the 3-2-1 exercise.
    /// </summary>
    public static double WrongCode(string name)
    {
        static double sigmoid(double x) => 1 / (1 + Math.Exp(-x));

        // In[65]
        double x1 = 0.1, x2 = 0.3, w1 = 0.4, w2 = -0.2, hw = 0.1, y = 1;
        double h = w1 * x1 + w2 * x2;
        double a = sigmoid(h);
        double y1 = sigmoid(hw * a);
        double b = (y - y1) * y1 * (y - y1);          // (y − y1) where (1 − y1) belongs
        double bh = hw * b * a * (y - a);             // (y − a) where (1 − a) belongs
        double gdw65 = y1 * b * a;                    // y1 where the learning rate belongs

        // In[75]
        double[] x = [0.5, 0.1, -0.2];
        double target = 0.6;
        double[,] weights_input_hidden = { { 0.5, -0.6 }, { 0.1, -0.2 }, { 0.1, 0.7 } };
        double[] weights_hidden_output = [0.1, -0.3];
        var hidden_layer_output = new double[2];
        for (int j = 0; j < 2; j++)
        {
            double hidden_layer_input = 0;
            for (int i = 0; i < 3; i++) hidden_layer_input += x[i] * weights_input_hidden[i, j];   // np.dot(x, W)
            hidden_layer_output[j] = sigmoid(hidden_layer_input);
        }
        double output = sigmoid(hidden_layer_output[0] * weights_hidden_output[0] + hidden_layer_output[1] * weights_hidden_output[1]);
        double error = (target - output) * output * (target - output);
        double del_err_output(int j) => weights_hidden_output[j] * error * output * (target - output);
        double del_err_hidden(int i, int j) =>                                  // the elementwise product with W
            weights_input_hidden[i, j] * del_err_output(j) * hidden_layer_output[j] * (target - hidden_layer_output[j]);

        return name switch
        {
            "001.in65.b" => b,
            "001.in65.bh" => bh,
            "001.in65.gdw" => gdw65,
            "001.in65.w1" => y1 * bh * x1,
            "001.in65.w2" => y1 * bh * x2,
            "001.in75.error" => error,
            _ when Indexed(name, "001.in75.gdw", out int[] k) => output * error * hidden_layer_output[k[0]],
            _ when Indexed(name, "001.in75.delta_w_h_o", out int[] k) => output * del_err_output(k[0]) * hidden_layer_output[k[0]],
            _ when Indexed(name, "001.in75.delta_w_i_h", out int[] k) => output * del_err_hidden(k[0], k[1]) * x[k[0]],
            _ => throw new ArgumentException($"unknown wrong computation '{name}'"),
        };
    }

    static bool Indexed(string name, string stem, out int[] indices)
    {
        indices = [];
        if (!name.StartsWith(stem + "[", StringComparison.Ordinal)) return false;
        indices = name[(stem.Length + 1)..^1].Split("][").Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return true;
    }
}
