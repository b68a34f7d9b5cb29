using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BackpropSpec.Reference;

/// <summary>
/// The full record of one gradient step: forward cache, backward quantities, gradients, the
/// updated network and its error. What <c>backprop-spec trace</c> prints and the snapshots hold.
/// </summary>
public sealed class Trace
{
    public required Network Network { get; init; }
    public required ForwardPass<double> Forward { get; init; }
    public required LayerGradients<double>[] Backward { get; init; }
    public required Network Updated { get; init; }
    public required double E_after { get; init; }

    /// <summary>The trace of one step. Every number in it is finite: a computation that overflows
    /// throws a <see cref="NumericOverflowException"/> naming the quantity, layer, unit and example.</summary>
    public static Trace Of(Network network)
    {
        ForwardPass<double> forward = Reference.Forward.Run(network);
        Overflow.CheckForward(network, forward);
        LayerGradients<double>[] backward = Reference.Backward.Run(network, forward);
        Overflow.CheckBackward(network, backward);
        Network updated = Train.Apply(network, backward);
        ForwardPass<double> after = Reference.Forward.Run(updated);
        Overflow.CheckForward(updated, after, "the forward pass after the step");
        return new Trace
        {
            Network = network, Forward = forward, Backward = backward,
            Updated = updated, E_after = after.E,
        };
    }

    /// <summary>Numbers in the text trace: 10 significant digits. A real change (a bug) moves a
    /// value by far more than 1e-10 relative; a last-bit difference of Math.Exp between runtimes or
    /// CPUs (about 1e-16 relative) almost never reaches the 10th digit.</summary>
    public static string Num(double v)
    {
        if (v == 0) return "0";     // also folds −0, whose sign is not a real change
        string s = v.ToString("G10", CultureInfo.InvariantCulture);
        return s.Replace("E-0", "e-").Replace("E+0", "e+").Replace("E-", "e-").Replace("E+", "e+");
    }

    /// <summary>The human table: forward, backward, gradients and update.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        Network net = Network;
        sb.AppendLine($"network  {net.Name ?? "(unnamed)"}");
        sb.AppendLine($"shape    {Shape(net)}");
        sb.AppendLine($"loss     {Loss.Name(net.Loss)}, learning rate {Num(net.LearningRate)}, batch of {net.BatchSize}");
        sb.AppendLine();
        sb.AppendLine("forward pass");
        sb.AppendLine(Row(3, "example", "layer", "unit", "net", "out"));
        for (int n = 0; n < net.BatchSize; n++)
            for (int l = 0; l < net.Layers.Count; l++)
                for (int j = 0; j < net.Layers[l].Units; j++)
                    sb.AppendLine(Row(3, n.ToString(), l.ToString(), j.ToString(), Num(Forward.Net[l][n][j]), Num(Forward.Out[l][n][j])));
        sb.AppendLine($"E = {Num(Forward.E)}");
        sb.AppendLine();
        sb.AppendLine("backward pass");
        sb.AppendLine(Row(3, "example", "layer", "unit", "dE/dout", "dout/dnet", "delta = dE/dnet"));
        for (int n = 0; n < net.BatchSize; n++)
            for (int l = net.Layers.Count - 1; l >= 0; l--)
                for (int j = 0; j < net.Layers[l].Units; j++)
                {
                    LayerGradients<double> g = Backward[l];
                    string f = g.dout_dnet is null ? "(jacobian)" : Num(g.dout_dnet[n][j]);
                    sb.AppendLine(Row(3, n.ToString(), l.ToString(), j.ToString(), Num(g.dE_dout[n][j]), f, Num(g.delta[n][j])));
                }
        sb.AppendLine();
        sb.AppendLine($"gradients and update (W+ = W - {Num(net.LearningRate)} * dE/dW, all from the original weights)");
        sb.AppendLine(Row(2, "layer", "parameter", "value", "dE/dparameter", "updated"));
        for (int l = 0; l < net.Layers.Count; l++)
        {
            Layer layer = net.Layers[l], after = Updated.Layers[l];
            for (int j = 0; j < layer.Units; j++)
                for (int i = 0; i < layer.FanIn; i++)
                    sb.AppendLine(Row(2, l.ToString(), $"W[{j},{i}]", Num(layer.W[j, i]), Num(Backward[l].dE_dW[j, i]), Num(after.W[j, i])));
            if (layer.B is not null)
                for (int j = 0; j < layer.Units; j++)
                    sb.AppendLine(Row(2, l.ToString(), $"b[{j}] {Validation.BiasName(layer.Bias)}", Num(layer.B[j]), Num(Backward[l].dE_db![j]), Num(after.B![j])));
        }
        sb.AppendLine($"E after the step = {Num(E_after)}");
        return sb.ToString();
    }

    public static string Shape(Network net)
    {
        var parts = new List<string> { $"{net.Inputs} inputs" };
        foreach (Layer l in net.Layers)
            parts.Add($"{l.Units} {Activations.Name(l.Activation)}" + (l.Bias == BiasMode.None ? "" : $" (bias {Validation.BiasName(l.Bias)})"));
        return string.Join(" -> ", parts);
    }

    /// <summary>A table row: the first <paramref name="labels"/> cells (example, layer, unit,
    /// parameter) left-aligned, the numbers right-aligned.</summary>
    static string Row(int labels, params string[] cells)
    {
        var sb = new StringBuilder(" ");
        for (int c = 0; c < cells.Length; c++)
            sb.Append(c < labels ? " " + cells[c].PadRight(cells[c].Length > 7 || labels == 2 && c == 1 ? 18 : 8) : cells[c].PadLeft(19));
        return sb.ToString().TrimEnd();
    }

    /// <summary>Machine output: every quantity at full round-trip precision. The paths of this
    /// document (for example <c>gradients[1].dE_dW[0][0]</c>) name quantities in golden/catalog.json.</summary>
    public string ToJson() => NetworkJson.Pretty(w =>
    {
            w.WriteStartObject();
            w.WritePropertyName("network");
            NetworkJson.Write(w, Network);
            w.WritePropertyName("learningRate");
            NetworkJson.WriteNumber(w, Network.LearningRate);
            w.WriteStartArray("examples");
            for (int n = 0; n < Network.BatchSize; n++)
            {
                w.WriteStartObject();
                w.WriteStartArray("layers");
                for (int l = 0; l < Network.Layers.Count; l++)
                {
                    LayerGradients<double> g = Backward[l];
                    w.WriteStartObject();
                    w.WritePropertyName("net"); NetworkJson.WriteRow(w, Forward.Net[l][n]);
                    w.WritePropertyName("out"); NetworkJson.WriteRow(w, Forward.Out[l][n]);
                    if (Network.Loss is LossKind.HalfSse or LossKind.HalfMse && l == Network.Layers.Count - 1)
                    {
                        // 002's E_o1, E_o2: the ½(t − o)² of each output, before any 1/m
                        w.WritePropertyName("E_o");
                        NetworkJson.WriteRow(w, Forward.Out[l][n].Select((o, k) => 0.5 * (Network.T[n][k] - o) * (Network.T[n][k] - o)));
                    }
                    w.WritePropertyName("dE_dout"); NetworkJson.WriteRow(w, g.dE_dout[n]);
                    if (g.dout_dnet is not null) { w.WritePropertyName("dout_dnet"); NetworkJson.WriteRow(w, g.dout_dnet[n]); }
                    w.WritePropertyName("delta"); NetworkJson.WriteRow(w, g.delta[n]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("E"); NetworkJson.WriteNumber(w, Forward.E);
            w.WriteStartArray("gradients");
            foreach (LayerGradients<double> g in Backward)
            {
                w.WriteStartObject();
                w.WritePropertyName("dE_dW"); NetworkJson.WriteMatrix(w, g.dE_dW);
                w.WritePropertyName("dE_db");
                if (g.dE_db is null) w.WriteNullValue(); else NetworkJson.WriteRow(w, g.dE_db);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("updated");
            NetworkJson.Write(w, Updated);
            w.WritePropertyName("E_after"); NetworkJson.WriteNumber(w, E_after);
            w.WriteEndObject();
    });
}
