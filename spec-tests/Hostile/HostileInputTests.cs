using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using BackpropSpec.Conformance;
using BackpropSpec.SpecTests.Properties;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>
/// Hostile input: FsCheck damages valid network documents (broken JSON, wrong types, shapes off by
/// one, NaN and Infinity, huge sizes, deep nesting, empty arrays, missing fields) and hands them to
/// the reader. Each must come back as a valid network or as a NetworkFormatException whose path
/// names a field and position; any other exception fails. The library API gets the same treatment.
/// </summary>
[Properties(Arbitrary = [typeof(HostileInputTests.Cases)])]
public class HostileInputTests(ITestOutputHelper output) : PropertyTests(output)
{
    /// <summary>(document), or a field path such as layers[1].weights[0][2] or batch.inputs; an
    /// unknown field is named when its name is an identifier (layers[1].bia0es), else its object is.</summary>
    static readonly Regex FieldPath = new(@"^(\(document\)|[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*)$");

    static readonly string[] Seeds = Examples.Names.Select(Examples.Text).ToArray();

    /// <summary>A worked example's document, damaged one way.</summary>
    public sealed record DamagedDocument(string Json, Damage Damage)
    {
        public override string ToString() => $"{Damage}: {(Json.Length > 400 ? Json[..400] + "…" : Json)}";
    }

    /// <summary>The class's generators (seeded, like every property's): damaged documents and bad API calls.</summary>
    public static class Cases
    {
        static readonly Gen<DamagedDocument> Documents =
            from seed in Gen.Elements(Seeds)
            from damage in Gen.Elements(Enum.GetValues<Damage>())
            from pick in Gen.Choose(0, int.MaxValue)
            select new DamagedDocument(Damaging.Apply(seed, damage, new Random(pick)), damage);

        public static Arbitrary<DamagedDocument> DamagedDocuments() => SeededRun.Cases(Documents, NetworkPropertyAttribute.DefaultCount).ToArbitrary();

        public static Arbitrary<BadCall> BadCalls() => SeededRun.Cases(
            from which in Gen.Choose(0, 9)
            from size in Gen.Choose(0, 3)
            from value in Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.5, -1.0, 1e308)
            select new BadCall(which, size, value), NetworkPropertyAttribute.DefaultCount).ToArbitrary();

        /// <summary>Case i of the seeded run of damaged documents.</summary>
        public static DamagedDocument At(int i, int count) => SeededRun.Case(Documents, RunSettings.Seed, i, count);
    }

    [NetworkProperty(Multiple = 5)]
    public Property Damaged_documents_are_refused_naming_the_field_and_never_crash_the_reader(DamagedDocument d)
    {
        string? failure = null;
        bool refused = false;
        try { NetworkJson.Parse(d.Json); }
        catch (NetworkFormatException e)
        {
            refused = true;
            if (!FieldPath.IsMatch(e.Path)) failure = $"the error does not name a field: '{e.Path}' in \"{e.Message}\"";
            else if (string.IsNullOrWhiteSpace(e.Problem)) failure = $"the error at {e.Path} says nothing";
        }
        catch (Exception e) { failure = $"the reader threw {e.GetType().Name}: {e.Message}"; }
        return Holds(d, failure).Classify(refused, "refused").Classify(!refused, "still a valid network").Classify(true, d.Damage.ToString());
    }

    /// <summary>The damage is real: most damaged documents of the run are refused, not still valid
    /// (counted on its first 200).</summary>
    [Fact]
    public void Most_damaged_documents_are_refused()
    {
        int count = Math.Min(200, RunSettings.Count(NetworkPropertyAttribute.DefaultCount)), refused = 0;
        for (int i = 0; i < count; i++)
        {
            try { NetworkJson.Parse(Cases.At(i, count).Json); }
            catch (NetworkFormatException) { refused++; }
        }
        Output.WriteLine($"{refused} of {count} damaged documents refused");
        Assert.True(refused > count / 2, "most damage must be refused");
    }

    [Fact]
    public void A_layer_of_a_billion_units_is_refused_before_anything_is_allocated()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        string json = Examples.Text("002").Replace("\"units\": 2", "\"units\": 1000000000");
        var e = Assert.Throws<NetworkFormatException>(() => NetworkJson.Parse(json));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("layers[0].units", e.Path);
        Assert.True(allocated < 10_000_000, $"{allocated} bytes allocated to refuse it");
    }

    /// <summary>A call of the library API with one thing wrong: a null, a ragged row, NaN or a wrong
    /// size somewhere (<see cref="Which"/> picks what, <see cref="Size"/> where).</summary>
    public sealed record BadCall(int Which, int Size, double Value)
    {
        public Network Call()
        {
            double[,] w0 = new double[2, 2], w1 = new double[1, 2];
            w0[Size % 2, 0] = Value;
            Layer?[] layers = [new Layer(Activation.Sigmoid, w0, null, BiasMode.None), new Layer(Activation.Sigmoid, w1, null, BiasMode.None)];
            double[][]? x = [[0.5, Value]];
            double[][]? t = [[Value]];
            switch (Which)
            {
                case 0: layers[Size % 2] = null; break;
                case 1: layers[0] = new Layer(Activation.Relu, null!, null, BiasMode.None); break;
                case 2: x = null; break;
                case 3: t = [null!]; break;
                case 4: x = [new double[Size]]; break;
                case 5: layers[1] = new Layer(Activation.Sigmoid, new double[1, Size], null, BiasMode.None); break;
                case 6: layers[0] = new Layer(Activation.Sigmoid, w0, new double[Size], BiasMode.Trainable); break;
                case 7: layers[1] = new Layer((Activation)(Size + 7), w1, null, BiasMode.None); break;
                case 8: layers[0] = new Layer(Activation.Sigmoid, w0, [1, 2], (BiasMode)(Size + 5)); break;
            }
            return Network.Create(2, layers!, Which == 9 ? (LossKind)(Size + 4) : LossKind.BinaryCrossEntropy, Value, x!, t!);
        }
    }

    /// <summary>The library API, with nulls, ragged rows, NaN and wrong sizes anywhere: a valid network
    /// or an exception naming the field, never anything else.</summary>
    [NetworkProperty]
    public Property Bad_api_arguments_throw_argument_exceptions_naming_the_field(BadCall call)
    {
        try { call.Call(); }
        catch (NetworkFormatException e) when (FieldPath.IsMatch(e.Path)) { }
        catch (Exception e) { return Holds(call, $"threw {e.GetType().Name}: {e.Message}"); }
        return Holds(call, null);
    }
}
