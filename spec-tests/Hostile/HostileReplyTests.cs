using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Properties;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>
/// Hostile protocol messages: correct replies to forward, gradients and step requests on the worked
/// examples, damaged by FsCheck the way network documents are, then read exactly as `check` reads a
/// live process's replies. Each must read as a result or be refused with a ProtocolException that
/// names its kind (garbage, wrong-id, wrong-shape, non-finite, error-reply) and the request; any
/// other exception fails.
/// </summary>
public class HostileReplyTests(ITestOutputHelper output)
{
    const long Id = 7;

    sealed record Case(string Op, string Example, string Line, Damage Damage)
    {
        public override string ToString() => $"{Op} on {Example}, {Damage}: {(Line.Length > 400 ? Line[..400] + "…" : Line)}";
    }

    static string Reply(string op, Network n)
    {
        Gradients g = new ReferenceBackprop().Gradients(n);
        Parameters step = new ReferenceBackprop().Step(n);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("id", Id);
            w.WriteBoolean("ok", true);
            if (op != "step")
            {
                w.WritePropertyName("outputs"); NetworkJson.WriteRows(w, g.Outputs);
                w.WritePropertyName("loss"); NetworkJson.WriteNumber(w, g.Loss);
            }
            if (op != "forward")
            {
                w.WriteStartArray(op == "step" ? "layers" : "gradients");
                for (int l = 0; l < n.Layers.Count; l++)
                {
                    w.WriteStartObject();
                    w.WritePropertyName("weights"); NetworkJson.WriteMatrix(w, op == "step" ? step.W[l] : g.dE_dW[l]);
                    w.WritePropertyName("biases");
                    double[]? b = op == "step" ? step.B[l] : g.dE_db[l];
                    if (b is null) w.WriteNullValue(); else NetworkJson.WriteRow(w, b);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    static Gen<Case> Cases =>
        from example in Gen.Elements(Examples.Names.ToArray())
        from op in Gen.Elements("forward", "gradients", "step")
        from damage in Gen.Elements(Enum.GetValues<Damage>())
        from pick in Gen.Choose(0, int.MaxValue)
        select new Case(op, example, Damaging.Apply(Reply(op, Examples.Load(example)), damage, new Random(pick)), damage);

    [Fact]
    public void Undamaged_replies_read_back_to_the_reference_values()
    {
        Network n = Examples.Load("002");
        var g = (Gradients)ProcessBackprop.ReadReply("gradients", Reply("gradients", n), Id, n);
        Assert.Equal(new ReferenceBackprop().Gradients(n).Flatten(), g.Flatten());
    }

    [Fact]
    public void Damaged_replies_are_reported_by_kind_and_never_crash_the_checker()
    {
        int tried = 0, refused = 0;
        var kinds = new Dictionary<string, int>();
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            tried++;
            Network n = Examples.Load(c.Example);
            try { ProcessBackprop.ReadReply(c.Op, c.Line, Id, n); }
            catch (ProtocolException e)
            {
                refused++;
                kinds[e.KindName] = kinds.GetValueOrDefault(e.KindName) + 1;
                if (!e.Message.Contains($"`{c.Op}`")) throw new PropertyFailure($"the report does not name the request: {e.Message}");
            }
            catch (UnsupportedNetworkException) { refused++; }
        }).Check(PropertyRun.Config("damaged protocol replies", 3 * PropertyRun.Count));
        output.WriteLine($"{tried} damaged replies tried, {refused} refused; by kind: {string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}");
        Assert.True(refused > tried / 2, "most damage must be refused");
    }
}
