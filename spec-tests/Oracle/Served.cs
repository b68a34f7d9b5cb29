using System.Text;
using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>
/// Implementations served in this process (<see cref="ProcessBackprop.InProcess"/>): the reference
/// speaking the protocol, and the in-process twins of the hostile fixture programs in fixtures/. The
/// client talks to them over OS pipes exactly as to a process, so its tests need no process, run in
/// milliseconds, and can be mutation-tested (Stryker's runs of process tests take a minute each).
/// </summary>
static class Serve
{
    /// <summary>One request as the served implementation read it; <see cref="Number"/> counts from 1 (hello).</summary>
    public sealed record Request(long Id, string Op, Network? Network, int Number, string Line);

    /// <summary>What a served implementation can do with its pipes.</summary>
    public sealed class Io(Stream stdout, Stream stderr, CancellationToken killed)
    {
        public void Write(string text) { stdout.Write(Encoding.UTF8.GetBytes(text)); stdout.Flush(); }
        public void Line(string line) => Write(line + "\n");
        public void Err(string text) { stderr.Write(Encoding.UTF8.GetBytes(text)); stderr.Flush(); }
        public void CloseStdout() => stdout.Dispose();

        /// <summary>Sleeps until killed, as a hung process does.</summary>
        public int Hang() { killed.WaitHandle.WaitOne(); return 0; }
    }

    /// <summary>
    /// Reads request lines and hands each to <paramref name="step"/>, which writes what it likes and
    /// returns null to go on or an exit code to exit with. Ends with exit 0 when stdin closes.
    /// </summary>
    public static Served Script(Func<Request, Io, int?> step) => (stdin, stdout, stderr, killed) =>
    {
        var io = new Io(stdout, stderr, killed);
        using var reader = new StreamReader(stdin, Encoding.UTF8);
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            Network? network = root.TryGetProperty("network", out JsonElement n) ? NetworkJson.Read(n) : null;
            long id = root.GetProperty("id").GetInt64();
            if (!root.TryGetProperty("protocol", out JsonElement protocol) || protocol.GetString() != ProcessBackprop.Protocol)
            {
                io.Line($"{{\"id\":{id},\"ok\":false,\"error\":{{\"code\":\"bad-request\",\"message\":\"protocol is not {ProcessBackprop.Protocol}\"}}}}");
                continue;
            }
            var request = new Request(id, root.GetProperty("op").GetString()!, network, ++number, line);
            if (step(request, io) is { } exit) return exit;
        }
        return 0;
    };

    /// <summary>`check` against a served implementation, as the command line runs it.</summary>
    public static BackpropSpec.Oracle.Checking.CheckReport Check(Served serve, BackpropSpec.Oracle.Checking.CheckOptions options, BackpropSpec.Oracle.Checking.Interrupt? interrupt = null)
    {
        using var impl = ProcessBackprop.InProcess(options.Impl, serve, options.TimeoutMs);
        return BackpropSpec.Oracle.Checking.CheckRun.Run(impl, options, interrupt);
    }

    /// <summary>The reference, correct in every reply.</summary>
    public static Served ReferenceServed => Script((r, io) => { io.Line(Answer(r)); return null; });

    /// <summary>The reference, except that <paramref name="hostile"/> answers the requests it picks
    /// (it returns null to let the reference answer).</summary>
    public static Served ReferenceBut(Func<Request, Io, int?> hostile, Func<Request, bool> picks) =>
        Script((r, io) => picks(r) ? hostile(r, io) : Correct(r, io));

    static int? Correct(Request r, Io io) { io.Line(Answer(r)); return null; }

    /// <summary>The first gradients request (golden example 000 comes first in a check).</summary>
    public static bool FirstGradients(Request r) => r.Op == "gradients" && r.Number == 2;

    /// <summary><paramref name="backprop"/> (an in-process implementation: a mutant, a float32 one)
    /// speaking the protocol, with a hello that lists everything.</summary>
    public static Served Backprop(IBackprop backprop) => Script((r, io) => { io.Line(Answer(r, backprop)); return null; });

    /// <summary>The reply line of <paramref name="by"/> (the reference when null) to a request.</summary>
    public static string Answer(Request r, IBackprop? by = null)
    {
        IBackprop b = by ?? new ReferenceBackprop();
        return r.Op switch
        {
            "hello" => Hello(r.Id, Activations.All.Select(Activations.Name), Loss.All.Select(Loss.Name), "\"float64\""),
            "forward" => Json(r.Id, w => Forward(w, b.Forward(r.Network!))),
            "gradients" => Json(r.Id, w => GradientsBody(w, b.Gradients(r.Network!))),
            "step" => Json(r.Id, w => Layers(w, "layers", b.Step(r.Network!) is var p ? (p.W, p.B) : default)),
            _ => $"{{\"id\":{r.Id},\"ok\":false,\"error\":{{\"code\":\"unknown-op\",\"message\":\"{r.Op}\"}}}}",
        };
    }

    public static string Hello(long id, IEnumerable<string> activations, IEnumerable<string> losses, string? precisionJson) =>
        $"{{\"id\":{id},\"ok\":true,\"implementation\":\"reference (in process)\",\"activations\":{JsonSerializer.Serialize(activations)},"
        + $"\"losses\":{JsonSerializer.Serialize(losses)}{(precisionJson is null ? "" : $",\"precision\":{precisionJson}")}}}";

    static void Forward(Utf8JsonWriter w, Evaluation e)
    {
        w.WritePropertyName("outputs"); NetworkJson.WriteRows(w, e.Outputs);
        w.WritePropertyName("loss"); NetworkJson.WriteNumber(w, e.Loss);
    }

    static void GradientsBody(Utf8JsonWriter w, Gradients g)
    {
        Forward(w, new Evaluation(g.Outputs, g.Loss));
        Layers(w, "gradients", (g.dE_dW, g.dE_db));
    }

    static void Layers(Utf8JsonWriter w, string name, (double[][,] W, double[]?[] B) p)
    {
        w.WriteStartArray(name);
        for (int l = 0; l < p.W.Length; l++)
        {
            w.WriteStartObject();
            w.WritePropertyName("weights"); NetworkJson.WriteMatrix(w, p.W[l]);
            w.WritePropertyName("biases");
            if (p.B[l] is { } b) NetworkJson.WriteRow(w, b); else w.WriteNullValue();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A reply object; an answer that is not finite (JSON has no such numbers) is an error
    /// reply with code "overflow", as the examples give.</summary>
    static string Json(long id, Action<Utf8JsonWriter> body)
    {
        try { return Written(id, body); }
        catch (ArgumentException e) { return $"{{\"id\":{id},\"ok\":false,\"error\":{{\"code\":\"overflow\",\"message\":{JsonSerializer.Serialize(e.Message)}}}}}"; }
    }

    static string Written(long id, Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteBoolean("ok", true);
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
