using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipes;
using System.Text;
using System.Text.Json;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle.Protocol;

/// <summary>Every way an implementation can break the process protocol (PROTOCOL.md).</summary>
public enum ProtocolFailure
{
    /// <summary>The process exited, or closed its stdout, before replying.</summary>
    Crash,
    /// <summary>No reply within the per-request timeout.</summary>
    Hang,
    /// <summary>A line that is not JSON, or JSON that is not a reply object.</summary>
    Garbage,
    /// <summary>A reply whose <c>id</c> is not the request's.</summary>
    WrongId,
    /// <summary>A field missing, of the wrong kind, or of the wrong size.</summary>
    WrongShape,
    /// <summary>NaN, ±Infinity (not JSON), or a number too large for a double.</summary>
    NonFinite,
    /// <summary><c>ok: false</c> with code <c>bad-request</c> or <c>internal</c> (or another code).</summary>
    ErrorReply,
    /// <summary>A reply line longer than the limit (<see cref="ProcessBackprop.LineLimitFor"/>): refused
    /// unread, so a runaway writer cannot exhaust the checker's memory.</summary>
    TooLong,
}

public static class ProtocolFailures
{
    public static string Name(ProtocolFailure kind) => kind switch
    {
        ProtocolFailure.Crash => "crash",
        ProtocolFailure.Hang => "hang",
        ProtocolFailure.Garbage => "garbage",
        ProtocolFailure.WrongId => "wrong-id",
        ProtocolFailure.WrongShape => "wrong-shape",
        ProtocolFailure.NonFinite => "non-finite",
        ProtocolFailure.ErrorReply => "error-reply",
        ProtocolFailure.TooLong => "too-long",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Whether the reply stream can no longer be trusted to line up with the requests, so
    /// the process is killed (and started afresh if another request comes).</summary>
    public static bool KillsProcess(ProtocolFailure kind) =>
        kind is ProtocolFailure.Crash or ProtocolFailure.Hang or ProtocolFailure.Garbage or ProtocolFailure.WrongId or ProtocolFailure.TooLong;
}

/// <summary>The implementation broke the protocol. <see cref="Network"/> is the network of the
/// request it was answering (null for <c>hello</c>).</summary>
public sealed class ProtocolException(ProtocolFailure kind, string op, long id, Network? network, string message)
    : Exception(message)
{
    public ProtocolFailure Kind { get; } = kind;
    public string KindName => ProtocolFailures.Name(Kind);
    public string Op { get; } = op;
    public long Id { get; } = id;
    public Network? Network { get; } = network;
    /// <summary>For a crash: the exit code, when the process exited (null when it only closed stdout).</summary>
    public int? ExitCode { get; init; }
    /// <summary>For a crash: the last lines the process wrote to stderr.</summary>
    public string? StderrTail { get; init; }
}

/// <summary>The implementation answered <c>{ok: false, error: {code: "unsupported"}}</c>: it declines
/// this network. Not a failure; `check` skips the network and counts it.</summary>
public sealed class UnsupportedNetworkException(string op, string message, Network? network = null) : Exception(message)
{
    public string Op { get; } = op;
    /// <summary>The network the implementation declined (a derived one, a half of the batch say, may be declined alone).</summary>
    public Network? Network { get; } = network;
}

/// <summary>
/// An implementation served in this process (<see cref="ProcessBackprop.InProcess"/>): reads
/// requests from <paramref name="stdin"/>, writes replies to <paramref name="stdout"/>, returns its
/// exit code. <paramref name="killed"/> is cancelled when the client closes or kills it.
/// </summary>
public delegate int Served(Stream stdin, Stream stdout, Stream stderr, CancellationToken killed);

/// <summary>
/// An implementation in another process, spoken to over the JSON-lines protocol of PROTOCOL.md.
/// The command line runs through <c>/bin/sh -c</c>, so <c>python3 examples/python/backprop.py</c> works.
///
/// Every reply is checked before it is believed: the id, every field's kind and size, every number
/// finite. A broken reply throws <see cref="ProtocolException"/>; an <c>unsupported</c> reply throws
/// <see cref="UnsupportedNetworkException"/>. Both are also recorded in <see cref="Fault"/> and
/// <see cref="Declined"/>, because <see cref="Properties.FirstFailure"/> turns every exception into a
/// failure message and the checker must tell a broken protocol from a wrong answer.
///
/// Restart policy: after a crash, hang, garbage or wrong id the process is killed (with every process
/// it started), and the next request starts a fresh one and says hello again. The checker stops at the
/// first broken protocol anyway; the restart is what lets it shrink a crashing network. After a wrong
/// shape, a non-finite number or an error reply the replies still line up, so the process is kept.
///
/// Hostile processes: the implementation runs in a process group of its own (<c>setsid</c>), and the
/// whole group is killed when it is closed and as soon as the implementation's process exits, so a
/// helper it started can neither outlive the check nor hold stdout open and turn a crash into a hang.
/// stdout and stderr are read by threads of their own, always drained: stderr keeps only its last
/// lines, and a reply line longer than <see cref="LineLimitFor"/> is refused as <c>too-long</c>
/// without being kept. <see cref="Interrupt"/> stops every wait at once.
/// </summary>
public sealed partial class ProcessBackprop : IBackprop, IDisposable
{
    public const string Protocol = "backprop-spec/1";

    /// <summary>How much of stderr a crash report shows.</summary>
    const int StderrLines = 20, StderrLineLength = 400;

    /// <summary>The longest reply line read (PROTOCOL.md): 64 MiB, or 64 bytes per number the reply
    /// holds when that is more, up to 10⁹ bytes (a string holds little more). The longest number at
    /// round-trip precision takes 24 characters (<c>-2.2250738585072014E-308</c>) and a comma, so a reply
    /// for a network of a million parameters needs at most about 25 MB: the limit is 2.5 times that,
    /// and as much for any larger network up to about 15 million numbers.</summary>
    public const long MinLineLimit = 64L << 20, MaxLineLimit = 1_000_000_000;
    public const int LineBytesPerNumber = 64;

    /// <summary>The longest reply line accepted while a request about <paramref name="network"/> is
    /// outstanding: its parameters (gradients, step) and outputs, <see cref="LineBytesPerNumber"/> each.</summary>
    public static long LineLimitFor(Network? network) =>
        network is null ? MinLineLimit : LineLimitFor(network.ParameterCount + (long)network.BatchSize * network.Layers[^1].Units + 1);

    /// <summary>The longest reply line accepted for a reply of <paramref name="numbers"/> numbers.</summary>
    public static long LineLimitFor(long numbers) => Math.Clamp(numbers * LineBytesPerNumber, MinLineLimit, MaxLineLimit);

    readonly string workingDirectory;
    /// <summary>Set for an implementation served in this process (<see cref="InProcess"/>).</summary>
    readonly Served? served;
    Child? child;
    long nextId;
    bool disposed;

    /// <param name="commandLine">Run with <c>/bin/sh -c</c>.</param>
    /// <param name="timeoutMs">How long one request may take, from writing it to reading its reply
    /// (for the first request of a process, starting it and saying hello count too).</param>
    public ProcessBackprop(string commandLine, int timeoutMs, string? workingDirectory = null)
    {
        if (string.IsNullOrWhiteSpace(commandLine)) throw new ArgumentException("the implementation's command line is empty");
        if (timeoutMs < 1) throw new ArgumentException($"the timeout must be at least 1 ms, got {timeoutMs}");
        CommandLine = commandLine;
        TimeoutMs = timeoutMs;
        this.workingDirectory = workingDirectory ?? Environment.CurrentDirectory;
    }

    /// <summary>
    /// The same client over the same kind of pipes (OS pipes, stdin, stdout and stderr), to
    /// <paramref name="serve"/> running on a thread of this process as the implementation's process
    /// would: when it returns, its pipes close and its return value is the exit code; a throw is a
    /// crash with exit code 1 and the exception's message on stderr. Closing or killing it cancels
    /// the token it is given and closes its ends of the pipes. For tests of the client itself
    /// (and its mutation testing), which then need no process.
    /// </summary>
    public static ProcessBackprop InProcess(string name, Served serve, int timeoutMs) => new($"(in process) {name}", timeoutMs, null, serve);

    ProcessBackprop(string commandLine, int timeoutMs, string? workingDirectory, Served? serve) : this(commandLine, timeoutMs, workingDirectory) => served = serve;

    /// <summary>A second client of the same implementation (its own process), as a worker of `check --jobs`.</summary>
    public ProcessBackprop Another() => new(CommandLine, TimeoutMs, workingDirectory, served) { Interrupt = Interrupt };

    public string CommandLine { get; }
    public int TimeoutMs { get; }

    /// <summary>The <c>implementation</c> of the hello reply ("?" until the first hello).</summary>
    public string Name { get; private set; } = "?";

    /// <summary>What the hello reply lists, in the reference's order; unknown names are ignored.</summary>
    public Capabilities Capabilities { get; private set; } = Capabilities.Everything;

    /// <summary>Names in the hello reply this checker does not know (reported, not sent).</summary>
    public IReadOnlyList<string> UnknownCapabilities { get; private set; } = [];

    /// <summary>Processes started so far (1 + restarts).</summary>
    public int Starts { get; private set; }

    /// <summary>Requests sent so far, hello included.</summary>
    public long Requests => nextId;

    /// <summary>Time spent in requests: writing, waiting for and reading replies (timing only, never in a report).</summary>
    public TimeSpan Waiting => waiting.Elapsed;
    readonly Stopwatch waiting = new();

    /// <summary>The first protocol failure since <see cref="ClearFaults"/>.</summary>
    public ProtocolException? Fault { get; private set; }

    /// <summary>The first <c>unsupported</c> reply since <see cref="ClearFaults"/>.</summary>
    public UnsupportedNetworkException? Declined { get; private set; }

    public void ClearFaults() { Fault = null; Declined = null; }

    /// <summary>The precision hello declared when it is not one this checker knows (null otherwise):
    /// the answers of an arithmetic it cannot judge are not judged as float64.</summary>
    public string? UnknownPrecision { get; private set; }

    /// <summary>Cancels every wait (a reply, a write, the process starting): the request throws
    /// <see cref="OperationCanceledException"/>, the process is killed, and nothing more is sent.</summary>
    public CancellationToken Interrupt { get; set; }

    /// <summary>Starts the process and says hello, unless it is running already.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Interrupt.ThrowIfCancellationRequested();
        if (child is not null) return;
        Starts++;
        var startedAt = Stopwatch.StartNew();
        try { child = served is null ? Child.Start(CommandLine, workingDirectory) : Child.Serve(served); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            throw Record(new ProtocolException(ProtocolFailure.Crash, "hello", 0, null, $"could not start /bin/sh -c \"{CommandLine}\": {e.Message}"));
        }
        waiting.Start();
        try
        {
            Pending request = Send("hello", null, null, startedAt);
            string line = NextLine(request, startedAt);
            pending.RemoveFirst();
            ReadHello(ParseReply(line, "hello", request.Id, null));
        }
        catch (ProtocolException e) { throw Record(e); }
        catch (OperationCanceledException) { Abandon(); throw; }
        finally { waiting.Stop(); }
    }

    /// <summary>
    /// Sends a request now and reads its reply later, when it is asked for (<see cref="Gradients"/>,
    /// <see cref="Step"/>, <see cref="Forward"/> on the same network object): the implementation
    /// works while the checker computes. Replies still come in order; one read ahead of its turn is
    /// kept until asked for. A request that cannot be written is simply not sent: asking for it then
    /// sends it again and reports what goes wrong. <paramref name="group"/> ties requests to a network
    /// of the check, for <see cref="Forget"/>.
    /// </summary>
    public void Prefetch(string op, Network network, object? group = null)
    {
        if (disposed || op is not ("forward" or "gradients" or "step") || Find(op, network) is not null) return;
        try
        {
            Start();
            Send(op, network, group, Stopwatch.StartNew());
        }
        catch (ProtocolException) { }
        catch (UnsupportedNetworkException) { }
        catch (OperationCanceledException) { Abandon(); }
    }

    /// <summary>The replies of requests sent for <paramref name="group"/> are no longer wanted:
    /// dropped when they arrive (they must still be read, in order).</summary>
    public void Forget(object group)
    {
        forgotten.Add(group);
        foreach (long id in received.Where(r => ReferenceEquals(r.Value.Request.Group, group)).Select(r => r.Key).ToArray()) received.Remove(id);
        forgotten.RemoveWhere(g => !pending.Any(p => ReferenceEquals(p.Group, g)));
    }

    /// <summary>A request written whose reply has not been read yet, in the order of writing.</summary>
    sealed record Pending(long Id, string Op, Network? Network, object? Group);

    readonly LinkedList<Pending> pending = new();
    /// <summary>Replies read ahead of their turn, by request id; parsed when asked for.</summary>
    readonly Dictionary<long, (Pending Request, string Line)> received = new();
    readonly HashSet<object> forgotten = new(ReferenceEqualityComparer.Instance);

    Pending? Find(string op, Network network) =>
        pending.FirstOrDefault(p => p.Op == op && ReferenceEquals(p.Network, network))
        ?? received.Values.Select(r => r.Request).FirstOrDefault(p => p.Op == op && ReferenceEquals(p.Network, network));

    public Evaluation Forward(Network network) => Ask("forward", network, ReadForward);

    public Gradients Gradients(Network network) => Ask("gradients", network, ReadGradients);

    public Parameters Step(Network network) => Ask("step", network, ReadStep);

    static Evaluation ReadForward(JsonElement reply, ReplyReader r) =>
        new(r.Outputs(reply), r.Number(r.Field(reply, "loss"), "loss"));

    static Gradients ReadGradients(JsonElement reply, ReplyReader r)
    {
        double[][] outputs = r.Outputs(reply);
        double loss = r.Number(r.Field(reply, "loss"), "loss");
        var (w, b) = r.LayerList(r.Field(reply, "gradients"), "gradients");
        return new Gradients(outputs, loss, w, b);
    }

    static Parameters ReadStep(JsonElement reply, ReplyReader r)
    {
        var (w, b) = r.LayerList(r.Field(reply, "layers"), "layers");
        return new Parameters(w, b);
    }

    /// <summary>
    /// Reads one reply line to a forward, gradients or step request exactly as the live client
    /// does: the result, or a <see cref="ProtocolException"/> (or <see cref="UnsupportedNetworkException"/>)
    /// saying what is wrong and where. For tests and fuzzing without a process.
    /// </summary>
    public static object ReadReply(string op, string line, long id, Network network)
    {
        JsonElement reply = ParseReply(line, op, id, network);
        var r = new ReplyReader(op, id, network);
        return op switch
        {
            "forward" => ReadForward(reply, r),
            "gradients" => ReadGradients(reply, r),
            "step" => ReadStep(reply, r),
            _ => throw new ArgumentException($"unknown request '{op}'"),
        };
    }

    /// <summary>One request, its reply read field by field; every failure is recorded in <see cref="Fault"/>.</summary>
    T Ask<T>(string op, Network network, Func<JsonElement, ReplyReader, T> read)
    {
        JsonElement reply = Request(op, network, out long id);
        try { return read(reply, new ReplyReader(op, id, network)); }
        catch (ProtocolException e) { throw Record(e); }
    }

    /// <summary>Closes stdin and gives the process a moment to exit on its own; then kills it and
    /// everything it started.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        child?.Close(graceMs: 500);
        child = null;
    }

    // ------------------------------------------------------------------ the exchange

    JsonElement Request(string op, Network network, out long id)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        try
        {
            Start();
            waiting.Start();
            try
            {
                Pending request = Find(op, network) ?? Send(op, network, null, Stopwatch.StartNew());
                id = request.Id;
                return ParseReply(ReadUntil(request), op, request.Id, network);
            }
            finally { waiting.Stop(); }
        }
        catch (ProtocolException e) { throw Record(e); }
        catch (UnsupportedNetworkException e) { Declined ??= e; throw; }
        catch (OperationCanceledException) { Abandon(); throw; }
    }

    /// <summary>Interrupted in the middle of an exchange: the replies no longer line up, so the
    /// process goes (with everything it started).</summary>
    void Abandon()
    {
        child?.Close(graceMs: 0);
        child = null;
        pending.Clear();
        received.Clear();
    }

    ProtocolException Record(ProtocolException e)
    {
        Fault ??= e;
        if (ProtocolFailures.KillsProcess(e.Kind))
        {
            child?.Close(graceMs: 0);
            child = null;
            pending.Clear();                                   // their replies went with the process
            received.Clear();
        }
        return e;
    }

    /// <summary>Writes one request, bounded by the timeout too: a process that stops reading fills the pipe.</summary>
    Pending Send(string op, Network? network, object? group, Stopwatch clock)
    {
        Child c = child!;
        long id = ++nextId;
        ProtocolException Fail(ProtocolFailure kind, string message) => new(kind, op, id, network, message);
        c.RaiseLineLimit(LineLimitFor(network));            // before the reply can come
        Task write = c.WriteAsync(Encode(id, op, network));
        try
        {
            if (!write.Wait((int)Math.Max(0, TimeoutMs - clock.ElapsedMilliseconds), Interrupt))
                throw Fail(ProtocolFailure.Hang, $"did not read its request within {TimeoutMs} ms while answering `{op}` (id {id})");
        }
        catch (AggregateException)
        {
            throw CrashOrClosed(c, Fail, $"stopped reading its stdin before answering `{op}` (id {id})");
        }
        var request = new Pending(id, op, network, group);
        pending.AddLast(request);
        return request;
    }

    /// <summary>Reads reply lines in order until <paramref name="request"/>'s, keeping the ones before it
    /// (unless forgotten). Each line must come within the timeout of starting to wait for it.</summary>
    string ReadUntil(Pending request)
    {
        if (received.Remove(request.Id, out var early)) return early.Line;
        while (true)
        {
            Pending first = pending.First!.Value;
            string line = NextLine(first, Stopwatch.StartNew());
            pending.RemoveFirst();
            if (first == request) return line;
            if (first.Group is null || !forgotten.Contains(first.Group)) received[first.Id] = (first, line);
        }
    }

    /// <summary>The next non-blank line of stdout, the reply to <paramref name="first"/>: a hang past
    /// the timeout (counted from <paramref name="clock"/>), a crash when stdout closes, too-long past
    /// the line limit.</summary>
    string NextLine(Pending first, Stopwatch clock)
    {
        Child c = child!;
        ProtocolException Fail(ProtocolFailure kind, string message) => new(kind, first.Op, first.Id, first.Network, message);
        string doing = $"answering `{first.Op}` (id {first.Id})";
        while (true)
        {
            if (!c.Lines.TryTake(out Line line, (int)Math.Max(0, TimeoutMs - clock.ElapsedMilliseconds), Interrupt))
            {
                if (c.Lines.IsCompleted) throw CrashOrClosed(c, Fail, $"before {doing}");
                string partial = c.Partial is { } p
                    ? $"; it wrote {p.Bytes:N0} bytes of a line and no end of line: {Excerpt(p.Start)}"
                    : "";
                throw Fail(ProtocolFailure.Hang, $"no reply within {TimeoutMs} ms while {doing} (--timeout-ms sets the limit){partial}");
            }
            if (line.TooLong is { } bytes)
                throw Fail(ProtocolFailure.TooLong,
                    $"replied to `{first.Op}` (id {first.Id}) with a line longer than {c.LineLimit:N0} bytes (the limit; {bytes:N0} read without an end of line): {Excerpt(line.Text)}");
            if (!string.IsNullOrWhiteSpace(line.Text)) return line.Text;      // blank lines between replies are tolerated
        }
    }

    /// <summary>The process closed stdout or stdin: a crash, with its exit code and stderr when it
    /// exited. Robust under load: a process that is exiting is waited for (up to the timeout) until
    /// it has, and only one that is still asleep a second after closing stdout is said to have kept
    /// running; its stderr is read to the end once everything it started is killed.</summary>
    ProtocolException CrashOrClosed(Child c, Func<ProtocolFailure, string, ProtocolException> fail, string when)
    {
        int? exit = c.ExitCodeOrKeptRunning(TimeoutMs);
        c.Kill();                                                       // its helpers close stderr too
        string tail = c.StderrTail(waitMs: TimeoutMs);
        string what = exit is { } code ? $"exited with code {code} {when}" : $"closed its stdout (and kept running) {when}";
        string stderr = tail.Length == 0 ? "\nit wrote nothing to stderr" : $"\nlast lines of its stderr:\n{Indent(tail)}";
        ProtocolException e = fail(ProtocolFailure.Crash, $"the implementation {what}{stderr}");
        return new ProtocolException(e.Kind, e.Op, e.Id, e.Network, e.Message) { ExitCode = exit, StderrTail = tail };
    }

    static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "  | " + l));

    static byte[] Encode(long id, string op, Network? network)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("protocol", Protocol);
            w.WriteNumber("id", id);
            w.WriteString("op", op);
            if (network is not null) { w.WritePropertyName("network"); NetworkJson.Write(w, network); }
            w.WriteEndObject();
        }
        byte[] bytes = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    static readonly JsonDocumentOptions ReplyOptions = new() { MaxDepth = 32 };

    /// <summary>
    /// JSON, an object, the right id, ok: true. A line that is JSON only once bare NaN / Infinity
    /// tokens are read as numbers is non-finite, not garbage: the tokens become the strings "NaN"
    /// and "Infinity", which the field readers report by name.
    /// </summary>
    static JsonElement ParseReply(string line, string op, long id, Network? network)
    {
        ProtocolException Fail(ProtocolFailure kind, string message) => new(kind, op, id, network, message);
        JsonElement root;
        bool bareNonFinite = false;
        if (!TryParse(line, out root, out string? error))
        {
            string? quoted = QuoteNonFiniteTokens(line);
            if (quoted is null || !TryParse(quoted, out root, out _))
                throw Fail(ProtocolFailure.Garbage, $"replied to `{op}` (id {id}) with a line that is not JSON ({error}): {Excerpt(line)}");
            bareNonFinite = true;
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ok", out JsonElement ok) || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw Fail(ProtocolFailure.Garbage, $"replied to `{op}` (id {id}) with JSON that is not a reply object (an object with \"ok\": true or false): {Excerpt(line)}");

        bool idMatches = root.TryGetProperty("id", out JsonElement idJson) && idJson.ValueKind == JsonValueKind.Number
                         && idJson.TryGetInt64(out long replyId) && replyId == id;
        if (ok.ValueKind == JsonValueKind.False)
        {
            // an error reply with id null is an implementation that could not read the request
            // (it has no id to echo): reported as the error it is, not as a wrong id
            if (!idMatches && !(idJson.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined))
                throw Fail(ProtocolFailure.WrongId, $"answered request id {id} (`{op}`) with id {idJson.GetRawText()}");
            string code = "", message = "";
            if (root.TryGetProperty("error", out JsonElement err) && err.ValueKind == JsonValueKind.Object)
            {
                if (err.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.String) code = c.GetString()!;
                if (err.TryGetProperty("message", out JsonElement m) && m.ValueKind == JsonValueKind.String) message = m.GetString()!;
            }
            if (code == "unsupported" && network is not null)
                throw new UnsupportedNetworkException(op, message.Length > 0 ? message : "(no message)", network);
            string shown = code.Length == 0 ? "an error reply without error.code" : $"error code \"{code}\"";
            throw Fail(ProtocolFailure.ErrorReply, $"answered `{op}` (id {id}) with {shown}: {(message.Length > 0 ? message : "(no message)")}");
        }
        if (!idMatches)
            throw Fail(ProtocolFailure.WrongId, $"answered request id {id} (`{op}`) with id {(idJson.ValueKind == JsonValueKind.Undefined ? "(missing)" : idJson.GetRawText())}");
        if (bareNonFinite)
        {
            // the fields `check` reads name the NaN; a NaN elsewhere in the reply is still not JSON
            new ReplyReader(op, id, network).CheckAll(root);
            throw Fail(ProtocolFailure.NonFinite, $"replied to `{op}` (id {id}) with a bare NaN or Infinity, which is not JSON: {Excerpt(line)}");
        }
        return root;
    }

    static bool TryParse(string text, out JsonElement root, out string? error)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text, ReplyOptions);
            root = doc.RootElement.Clone();
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            root = default;
            error = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.');
            return false;
        }
    }

    /// <summary>The line with every bare NaN, Infinity, -Infinity (and Python's nan, inf) outside
    /// strings replaced by the strings "NaN", "Infinity", "-Infinity"; null when there are none.</summary>
    static string? QuoteNonFiniteTokens(string line)
    {
        var sb = new StringBuilder(line.Length + 16);
        bool inString = false, found = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (inString)
            {
                sb.Append(ch);
                if (ch == '\\' && i + 1 < line.Length) sb.Append(line[++i]);
                else if (ch == '"') inString = false;
                continue;
            }
            if (ch == '"') { inString = true; sb.Append(ch); continue; }
            string? token = null, name = null;
            foreach (var (t, n) in new[] { ("-Infinity", "-Infinity"), ("Infinity", "Infinity"), ("NaN", "NaN"), ("-inf", "-Infinity"), ("inf", "Infinity"), ("nan", "NaN") })
                if (string.CompareOrdinal(line, i, t, 0, t.Length) == 0
                    && (i == 0 || !char.IsLetterOrDigit(line[i - 1])) && (i + t.Length == line.Length || !char.IsLetterOrDigit(line[i + t.Length])))
                { token = t; name = n; break; }
            if (token is null) { sb.Append(ch); continue; }
            sb.Append('"').Append(name).Append('"');
            i += token.Length - 1;
            found = true;
        }
        return found ? sb.ToString() : null;
    }

    static string Excerpt(string line) => line.Length <= 200 ? line : line[..200] + $"… ({line.Length} characters)";

    void ReadHello(JsonElement reply)
    {
        var r = new ReplyReader("hello", nextId, null);
        string name = reply.TryGetProperty("implementation", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        var unknown = new List<string>();
        var activations = new HashSet<Activation>();
        foreach (string s in r.Strings(r.Field(reply, "activations"), "activations"))
        {
            try { activations.Add(NetworkJson.ParseActivation(s, "activations")); }
            catch (NetworkFormatException) { unknown.Add(s); }
        }
        var losses = new HashSet<LossKind>();
        foreach (string s in r.Strings(r.Field(reply, "losses"), "losses"))
        {
            try { losses.Add(NetworkJson.ParseLoss(s, "losses")); }
            catch (NetworkFormatException) { unknown.Add(s); }
        }
        Name = name.Length > 0 ? name : "(unnamed)";
        // precision: optional, float64 unless declared; an unknown one is reported, and check judges
        // nothing in it (UnknownPrecision) unless --precision says which arithmetic to judge by
        Judging.Precision precision = Judging.Precision.Float64;
        UnknownPrecision = null;
        if (reply.TryGetProperty("precision", out JsonElement p))
        {
            if (p.ValueKind == JsonValueKind.String && p.GetString() is "float32" or "float64") precision = Judging.PrecisionProfile.Parse(p.GetString()!);
            else
            {
                unknown.Add($"precision {p.GetRawText()}");
                UnknownPrecision = p.GetRawText();
            }
        }
        // the reference's order, whatever the hello's: the same seed gives the same networks
        Capabilities = new Capabilities(Activations.All.Where(activations.Contains).ToArray(), Loss.All.Where(losses.Contains).ToArray(), precision);
        UnknownCapabilities = unknown;
    }

    // ------------------------------------------------------------------ one child process

    /// <summary>A line of stdout: its text, or, when <see cref="TooLong"/> is set, the start of a line
    /// refused for its length and how many bytes of it had come.</summary>
    internal readonly record struct Line(string Text, long? TooLong = null);

    /// <summary>A line being written: how many bytes have come, and how it starts.</summary>
    internal sealed record PartialLine(long Bytes, string Start);

    /// <summary>
    /// One run of the implementation: its three pipes, with a thread reading stdout into lines within
    /// the line limit and a thread keeping the last lines of stderr. Both pipes are always drained,
    /// so a chatty or runaway child never blocks on a full pipe, and what is kept is bounded. What
    /// runs behind the pipes is an <see cref="IRun"/>: a process (<see cref="Start"/>), or a function
    /// on a thread of this process (<see cref="Serve"/>). Internal for its tests: what its readers do
    /// when a read fails.
    /// </summary>
    internal sealed class Child
    {
        readonly IRun run;
        readonly Stream stdin;
        readonly Queue<string> stderr = new();
        readonly ManualResetEventSlim stderrClosed = new();
        long lineLimit = MinLineLimit;
        volatile PartialLine? partial;

        public BlockingCollection<Line> Lines { get; } = new();

        /// <summary>The longest line read now (raised by each request, never lowered).</summary>
        public long LineLimit => Interlocked.Read(ref lineLimit);

        /// <summary>The line being written, when it has not ended yet.</summary>
        public PartialLine? Partial => partial;

        internal Child(IRun run, Stream stdin, Stream stdout, Stream err)
        {
            this.run = run;
            this.stdin = stdin;
            new Thread(() => ReadLines(stdout)) { IsBackground = true, Name = "backprop-spec stdout reader" }.Start();
            new Thread(() => ReadStderr(err)) { IsBackground = true, Name = "backprop-spec stderr reader" }.Start();
        }

        /// <summary>The implementation's process, through <c>/bin/sh -c</c>.</summary>
        public static Child Start(string commandLine, string workingDirectory)
        {
            var p = new ProcessRun(commandLine, workingDirectory);
            return new Child(p, p.Process.StandardInput.BaseStream, p.Process.StandardOutput.BaseStream, p.Process.StandardError.BaseStream);
        }

        /// <summary>A function on a thread of this process, behind three OS pipes of its own.</summary>
        public static Child Serve(Served serve)
        {
            var s = new ServedRun(serve);
            return new Child(s, s.Stdin, s.Stdout, s.Stderr);
        }

        public void RaiseLineLimit(long limit)
        {
            long current;
            while ((current = Interlocked.Read(ref lineLimit)) < limit && Interlocked.CompareExchange(ref lineLimit, limit, current) != current) { }
        }

        /// <summary>stdout, split into lines; a line past the limit is posted as too long (its start
        /// only) and skipped to its end, never kept whole.</summary>
        void ReadLines(Stream stdout)
        {
            var chunk = new byte[1 << 16];
            var line = new MemoryStream();
            long skipping = -1;                                  // ≥ 0: bytes of a too-long line skipped so far
            try
            {
                int read;
                while ((read = stdout.Read(chunk, 0, chunk.Length)) > 0)
                {
                    for (int start = 0; start < read;)
                    {
                        int newline = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                        int end = newline < 0 ? read : newline;
                        if (skipping >= 0) skipping += end - start;
                        else if (line.Length + (end - start) > LineLimit)
                        {
                            line.Write(chunk, start, Math.Min(end - start, 256));
                            skipping = line.Length - Math.Min(end - start, 256) + (end - start);
                            Lines.Add(new Line(Decode(line, 256), skipping));
                            line = new MemoryStream();
                        }
                        else line.Write(chunk, start, end - start);
                        if (newline < 0) break;
                        if (skipping < 0) Lines.Add(new Line(Decode(line, int.MaxValue).TrimEnd('\r')));
                        skipping = -1;
                        if (line.Capacity > 1 << 20) line = new MemoryStream();
                        else line.SetLength(0);
                        start = newline + 1;
                    }
                    partial = line.Length > 0 ? new PartialLine(line.Length, Decode(line, 256)) : null;
                }
            }
            // IOException: a failing read; ObjectDisposedException: the client disposed the stream (Close)
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            finally { Lines.CompleteAdding(); }
        }

        static string Decode(MemoryStream bytes, int most) =>
            Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)Math.Min(bytes.Length, most));

        /// <summary>stderr: the last <see cref="StderrLines"/> lines, each cut at <see cref="StderrLineLength"/>
        /// characters; the rest is read and dropped.</summary>
        void ReadStderr(Stream err)
        {
            var chunk = new byte[1 << 16];
            var line = new MemoryStream();
            long lineBytes = 0;
            try
            {
                int read;
                while ((read = err.Read(chunk, 0, chunk.Length)) > 0)
                {
                    for (int start = 0; start < read;)
                    {
                        int newline = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                        int end = newline < 0 ? read : newline;
                        line.Write(chunk, start, (int)Math.Min(end - start, Math.Max(0, 4 * StderrLineLength - line.Length)));
                        lineBytes += end - start;
                        if (newline < 0) break;
                        KeepStderr(line, lineBytes);
                        line.SetLength(0);
                        lineBytes = 0;
                        start = newline + 1;
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            finally
            {
                if (lineBytes > 0) KeepStderr(line, lineBytes);
                stderrClosed.Set();
            }
        }

        void KeepStderr(MemoryStream line, long bytes)
        {
            string text = Decode(line, int.MaxValue).TrimEnd('\r');
            if (text.Length > StderrLineLength || bytes > line.Length) text = text[..Math.Min(text.Length, StderrLineLength)] + "…";
            lock (stderr)
            {
                stderr.Enqueue(text);
                while (stderr.Count > StderrLines) stderr.Dequeue();
            }
        }

        public async Task WriteAsync(byte[] request)
        {
            await stdin.WriteAsync(request);
            await stdin.FlushAsync();
        }

        /// <summary>The exit code once the implementation has exited within <paramref name="ms"/>, else null.</summary>
        public int? WaitForExit(int ms) => run.WaitForExit(ms);

        /// <summary>After stdout closed: the exit code, waiting up to <paramref name="timeoutMs"/> for a
        /// process that is exiting (on a loaded machine that can take a while), or null for one that is
        /// still asleep a second later: it closed stdout and kept running.</summary>
        public int? ExitCodeOrKeptRunning(int timeoutMs)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (WaitForExit(50) is { } code) return code;
                if (clock.ElapsedMilliseconds >= timeoutMs || clock.ElapsedMilliseconds >= 1000 && run.Asleep()) return null;
            }
        }

        public string StderrTail(int waitMs)
        {
            stderrClosed.Wait(waitMs);
            lock (stderr) return string.Join("\n", stderr);
        }

        /// <summary>Closes stdin, waits up to <paramref name="graceMs"/> for the implementation to
        /// exit, then kills it and everything it started.</summary>
        public void Close(int graceMs)
        {
            stdin.Dispose();                                   // a pipe stream: never throws (ServedRun.CloseServerEnds)
            if (graceMs > 0) WaitForExit(graceMs);
            Kill();
            run.Dispose();
        }

        /// <summary>Kills the implementation and everything it started, and waits for it.</summary>
        public void Kill() => run.Kill();
    }

    /// <summary>What runs behind a child's pipes.</summary>
    internal interface IRun : IDisposable
    {
        /// <summary>The exit code once it has exited within <paramref name="ms"/>, else null.</summary>
        int? WaitForExit(int ms);

        /// <summary>Whether it is waiting (asleep), not running or exiting.</summary>
        bool Asleep();

        /// <summary>Ends it and everything it started, and waits for it.</summary>
        void Kill();
    }

    /// <summary>
    /// A <see cref="Served"/> function on a thread of this process, its stdin, stdout and stderr
    /// anonymous OS pipes. Like a process it exits when the function returns (its ends of the pipes
    /// close, the return value is the exit code), crashes with exit code 1 and the message on stderr
    /// when it throws, and is killed by closing its ends of the pipes and cancelling its token.
    /// </summary>
    sealed class ServedRun : IRun
    {
        readonly CancellationTokenSource killed = new();
        readonly Thread thread;
        readonly Stream serverIn, serverOut, serverErr;
        volatile int exitCode;

        /// <summary>The client's ends.</summary>
        public Stream Stdin { get; }
        public Stream Stdout { get; }
        public Stream Stderr { get; }

        public ServedRun(Served serve)
        {
            (Stdin, serverIn) = Pipe();
            (serverOut, Stdout) = Pipe();
            (serverErr, Stderr) = Pipe();
            thread = new Thread(() =>
            {
                try { exitCode = serve(serverIn, serverOut, serverErr, killed.Token); }
                catch (Exception e)
                {
                    exitCode = 1;
                    if (!killed.IsCancellationRequested)
                        try { serverErr.Write(Encoding.UTF8.GetBytes($"{e.GetType().Name}: {e.Message}\n")); }
                        catch (Exception e2) when (e2 is IOException or ObjectDisposedException) { }
                }
                finally { CloseServerEnds(); }
            }) { IsBackground = true, Name = "backprop-spec served implementation" };
            thread.Start();
        }

        /// <summary>An OS pipe: (write end, read end).</summary>
        static (Stream Write, Stream Read) Pipe()
        {
            var write = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
            return (write, new AnonymousPipeClientStream(PipeDirection.In, write.ClientSafePipeHandle));
        }

        /// <summary>Disposing a pipe stream never throws, and a second time does nothing: it closes its
        /// handle once, and a failing close(2) is ignored (SafePipeHandle.ReleaseHandle's result).</summary>
        void CloseServerEnds()
        {
            foreach (Stream s in new[] { serverIn, serverOut, serverErr }) s.Dispose();
        }

        public int? WaitForExit(int ms) => thread.Join(ms) ? exitCode : null;

        /// <summary>Alive is asleep: a served function that has not returned waits on a pipe or its token.</summary>
        public bool Asleep() => thread.IsAlive;

        public void Kill()
        {
            killed.Cancel();
            CloseServerEnds();
            thread.Join(2000);
        }

        public void Dispose()
        {
            Kill();
            foreach (Stream s in new[] { Stdin, Stdout, Stderr }) s.Dispose();
        }
    }
}
