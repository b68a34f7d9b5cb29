using System.Text.Json;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using BackpropSpec.SpecTests.Properties;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
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
[Properties(Arbitrary = [typeof(HostileReplyTests.Cases)])]
public class HostileReplyTests(ITestOutputHelper output) : PropertyTests(output)
{
    const long Id = 7;

    static readonly Dictionary<string, Network> Networks = Examples.Names.ToDictionary(name => name, Examples.Load);

    static Network ExampleNetwork(string example) => Networks[example];

    /// <summary>A correct reply to a request on a worked example, damaged one way.</summary>
    public sealed record DamagedReply(string Op, string Example, string Line, Damage Damage)
    {
        public override string ToString() => $"{Op} on {Example}, {Damage}: {(Line.Length > 400 ? Line[..400] + "…" : Line)}";
    }

    /// <summary>The reference's reply, as the in-process implementations give it.</summary>
    static string Reply(string op, Network n) => BackpropSpec.SpecTests.Checking.Serve.Answer(new(Id, op, n, 0, ""));

    /// <summary>The class's generator (seeded, like every property's): damaged replies.</summary>
    public static class Cases
    {
        /// <summary>The correct reply to every request on every example, made once.</summary>
        static readonly Dictionary<(string Op, string Example), string> Undamaged =
            (from op in new[] { "forward", "gradients", "step" } from example in Examples.Names select (op, example))
            .ToDictionary(k => k, k => Reply(k.op, ExampleNetwork(k.example)));

        static readonly Gen<DamagedReply> Replies =
            from example in Gen.Elements(Examples.Names.ToArray())
            from op in Gen.Elements("forward", "gradients", "step")
            from damage in Gen.Elements(Enum.GetValues<Damage>())
            from pick in Gen.Choose(0, int.MaxValue)
            select new DamagedReply(op, example, Damaging.Apply(Undamaged[(op, example)], damage, new Random(pick)), damage);

        public static Arbitrary<DamagedReply> DamagedReplies() => SeededRun.Cases(Replies, NetworkPropertyAttribute.DefaultCount).ToArbitrary();

        /// <summary>Case i of the seeded run of damaged replies.</summary>
        public static DamagedReply At(int i, int count) => SeededRun.Case(Replies, RunSettings.Seed, i, count);
    }

    [Fact]
    public void Undamaged_replies_read_back_to_the_reference_values()
    {
        Network n = Examples.Load("002");
        var g = (Gradients)ProcessBackprop.ReadReply("gradients", Reply("gradients", n), Id, n);
        Assert.Equal(new ReferenceBackprop().Gradients(n).Flatten(), g.Flatten());
    }

    [NetworkProperty(Multiple = 3)]
    public Property Damaged_replies_are_reported_by_kind_and_never_crash_the_checker(DamagedReply r)
    {
        Network n = ExampleNetwork(r.Example);
        string? failure = null, kind = "still a valid reply";
        try { ProcessBackprop.ReadReply(r.Op, r.Line, Id, n); }
        catch (ProtocolException e)
        {
            kind = e.KindName;
            if (!e.Message.Contains($"`{r.Op}`")) failure = $"the report does not name the request: {e.Message}";
        }
        catch (UnsupportedNetworkException) { kind = "unsupported"; }
        catch (Exception e) { failure = $"reading it threw {e.GetType().Name}: {e.Message}"; }
        return Holds(r, failure).Classify(true, kind);
    }

    /// <summary>The damage is real: most damaged replies of the run are refused (counted on its first 200).</summary>
    [Fact]
    public void Most_damaged_replies_are_refused()
    {
        int count = Math.Min(200, RunSettings.Count(NetworkPropertyAttribute.DefaultCount)), refused = 0;
        for (int i = 0; i < count; i++)
        {
            DamagedReply r = Cases.At(i, count);
            try { ProcessBackprop.ReadReply(r.Op, r.Line, Id, ExampleNetwork(r.Example)); }
            catch (Exception e) when (e is ProtocolException or UnsupportedNetworkException) { refused++; }
        }
        Output.WriteLine($"{refused} of {count} damaged replies refused");
        Assert.True(refused > count / 2, "most damage must be refused");
    }
}
