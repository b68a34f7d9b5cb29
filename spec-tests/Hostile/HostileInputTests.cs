using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackpropSpec.Oracle;
using BackpropSpec.Reference;
using FsCheck;
using FsCheck.Fluent;
using BackpropSpec.SpecTests.Properties;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Hostile;

/// <summary>
/// Hostile input: FsCheck damages valid network documents (broken JSON, wrong types, shapes off by
/// one, NaN and Infinity, huge sizes, deep nesting, empty arrays, missing fields) and hands them to
/// the reader. Each must come back as a valid network or as a NetworkFormatException whose path
/// names a field and position; any other exception fails. The library API gets the same treatment.
/// </summary>
public class HostileInputTests(ITestOutputHelper output)
{
    /// <summary>(document), or a field path such as layers[1].weights[0][2] or batch.inputs; an
    /// unknown field is named when its name is an identifier (layers[1].bia0es), else its object is.</summary>
    static readonly Regex FieldPath = new(@"^(\(document\)|[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*)$");

    static readonly string[] Seeds = Examples.Names.Select(Examples.Text).ToArray();

    sealed record Case(string Json, Damage Damage)
    {
        public override string ToString() => $"{Damage}: {(Json.Length > 400 ? Json[..400] + "…" : Json)}";
    }

    static Gen<Case> Cases =>
        from seed in Gen.Elements(Seeds)
        from damage in Gen.Elements(Enum.GetValues<Damage>())
        from pick in Gen.Choose(0, int.MaxValue)
        select new Case(Damaging.Apply(seed, damage, new Random(pick)), damage);

    [Fact]
    public void Damaged_documents_are_refused_naming_the_field_and_never_crash_the_reader()
    {
        int tried = 0, refused = 0;
        var kinds = new Dictionary<Damage, int>();
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            tried++;
            kinds[c.Damage] = kinds.GetValueOrDefault(c.Damage) + 1;
            try { NetworkJson.Parse(c.Json); }
            catch (NetworkFormatException e)
            {
                refused++;
                if (!FieldPath.IsMatch(e.Path)) throw new PropertyFailure($"the error does not name a field: '{e.Path}' in \"{e.Message}\"");
                if (string.IsNullOrWhiteSpace(e.Problem)) throw new PropertyFailure($"the error at {e.Path} says nothing");
            }
        }).Check(PropertyRun.Config("damaged network documents", 5 * PropertyRun.Count));
        output.WriteLine($"{tried} damaged documents tried, {refused} refused with a field path, {tried - refused} still valid networks; by damage: "
                         + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        Assert.True(refused > tried / 2, "most damage must be refused");
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

    /// <summary>The library API, with nulls, ragged rows, NaN and wrong sizes anywhere.</summary>
    [Fact]
    public void Bad_api_arguments_throw_argument_exceptions_naming_the_field()
    {
        int tried = 0;
        Gen<Func<Network>> calls =
            from which in Gen.Choose(0, 9)
            from size in Gen.Choose(0, 3)
            from value in Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.5, -1.0, 1e308)
            select (Func<Network>)(() =>
            {
                double[,] w0 = new double[2, 2], w1 = new double[1, 2];
                w0[size % 2, 0] = value;
                Layer?[] layers = [new Layer(Activation.Sigmoid, w0, null, BiasMode.None), new Layer(Activation.Sigmoid, w1, null, BiasMode.None)];
                double[][]? x = [[0.5, value]];
                double[][]? t = [[value]];
                switch (which)
                {
                    case 0: layers[size % 2] = null; break;
                    case 1: layers[0] = new Layer(Activation.Relu, null!, null, BiasMode.None); break;
                    case 2: x = null; break;
                    case 3: t = [null!]; break;
                    case 4: x = [new double[size]]; break;
                    case 5: layers[1] = new Layer(Activation.Sigmoid, new double[1, size], null, BiasMode.None); break;
                    case 6: layers[0] = new Layer(Activation.Sigmoid, w0, new double[size], BiasMode.Trainable); break;
                    case 7: layers[1] = new Layer((Activation)(size + 7), w1, null, BiasMode.None); break;
                    case 8: layers[0] = new Layer(Activation.Sigmoid, w0, [1, 2], (BiasMode)(size + 5)); break;
                }
                return Network.Create(2, layers!, which == 9 ? (LossKind)(size + 4) : LossKind.BinaryCrossEntropy, value, x!, t!);
            });
        Prop.ForAll(calls.ToArbitrary(), call =>
        {
            tried++;
            try { call(); }
            catch (NetworkFormatException e) when (FieldPath.IsMatch(e.Path)) { }
        }).Check(PropertyRun.Config("bad API arguments"));
        output.WriteLine($"{tried} bad API calls tried");
    }
}
