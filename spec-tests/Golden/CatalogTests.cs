using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackpropSpec.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Golden;

/// <summary>
/// Every number the five documents compute is in golden/catalog.json, and each one is accounted
/// for: reproduced by the reference to its printed digits, or an erratum reproduced by the
/// computation that really produced it, or printed by named wrong code, or underdetermined.
/// </summary>
public class CatalogTests(ITestOutputHelper output)
{
    public static TheoryData<string> Ids => new(Catalog.Entries.Select(e => e.Id));

    static CatalogEntry Entry(string id) => Catalog.Entries.Single(e => e.Id == id);

    static double Reference(CatalogEntry e, string quantity) => Catalog.Evaluate(quantity, e.Example!, e.Steps);

    static string Describe(PrintedNumber p, double v) => $"value {v:R} is {p.UnitsOff(v):G3} units of the last digit from printed {p.Text}";

    [Theory]
    [MemberData(nameof(Ids))]
    public void Printed_number_is_accounted_for(string id)
    {
        CatalogEntry e = Entry(id);
        var printed = PrintedNumber.Parse(e.Printed);
        switch (e.Status)
        {
            case "reproduced":
            {
                double v = Reference(e, e.Quantity!);
                Assert.True(printed.IsReproducedBy(v), $"{id}: reference {Describe(printed, v)}");
                if (e.WrongCode is { } wrong)   // printed by wrong code that happens to agree here
                {
                    double w = Alternatives.WrongCode((string)wrong["computation"]!);
                    Assert.True(printed.IsReproducedBy(w), $"{id}: wrong code {Describe(printed, w)}");
                }
                break;
            }
            case "erratum":
            {
                double v = Reference(e, e.Quantity!);
                Assert.False(printed.IsReproducedBy(v), $"{id}: listed as an erratum, but the reference reproduces it ({v:R})");
                object alternative = Alternatives.Erratum((string)e.Erratum!["alternative"]!);
                bool reproduced = alternative switch
                {
                    double d => printed.IsReproducedBy(d),
                    decimal m => printed.IsReproducedBy(Rational.Exact(m)),
                    string s => s == e.Printed,
                    _ => false,
                };
                Assert.True(reproduced, $"{id}: the alternative computation gives {alternative}, not the printed {e.Printed}");
                Assert.False(string.IsNullOrWhiteSpace((string?)e.Erratum["cause"]), $"{id}: an erratum needs its cause");
                break;
            }
            case "wrong-code":
            {
                double w = Alternatives.WrongCode((string)e.WrongCode!["computation"]!);
                Assert.True(printed.IsReproducedBy(w), $"{id}: wrong code {Describe(printed, w)}");
                double v = Reference(e, (string)e.WrongCode["reference"]!);
                Assert.False(printed.IsReproducedBy(v), $"{id}: the reference agrees with the wrong code ({v:R})");
                foreach (JsonNode? bug in e.WrongCode["bugs"]!.AsArray()) Bugs.Parse((string)bug!);   // a known bug class
                break;
            }
            case "underdetermined":
                Assert.False(string.IsNullOrWhiteSpace((string?)e.Underdetermined?["reason"]), $"{id}: say why it cannot be computed");
                break;
            default:
                Assert.Fail($"{id}: unknown status '{e.Status}'");
                break;
        }
    }

    [Fact]
    public void Catalog_entries_are_well_formed_and_each_printed_string_is_in_its_source()
    {
        Assert.Equal(Catalog.Entries.Count, Catalog.Entries.Select(e => e.Id).Distinct().Count());
        foreach (CatalogEntry e in Catalog.Entries)
        {
            Assert.Contains(e.Status, Catalog.Statuses);
            Assert.Contains(e.Printed, Source(e.Source));
            PrintedNumber.Parse(e.Printed);
            if (e.Status != "underdetermined") Assert.Contains(e.Example!, Examples.Names);
            if (e.Status is "reproduced" or "erratum") Assert.NotNull(e.Quantity);
        }
    }

    /// <summary>The other direction: every number token in every document is either a catalogued
    /// result or one of that document's listed givens (inputs, weights, format specifiers …).</summary>
    [Fact]
    public void Every_number_in_the_documents_is_catalogued_or_listed_as_given()
    {
        JsonNode givens = JsonNode.Parse(File.ReadAllText(Repo.Path("golden", "catalog.json")))!["givens"]!;
        var token = new Regex(@"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?");
        foreach (string file in Directory.GetFiles(Repo.Path("golden", "sources"), "*.txt").Select(Path.GetFileName).Order()!)
        {
            string text = Regex.Replace(Source(file!), @"\(https?://[^)]*\)|https?://\S+|In \[\d+\]", "");
            var accounted = Catalog.Entries.Where(e => e.Source == file).Select(e => e.Printed)
                .Concat(givens[file!]!["numbers"]!.AsArray().Select(n => (string)n!)).ToHashSet();
            string[] missing = token.Matches(text).Select(m => m.Value).Where(t => !accounted.Contains(t)).Distinct().ToArray();
            Assert.True(missing.Length == 0, $"{file}: numbers neither catalogued nor given: {string.Join(", ", missing)}");
        }
    }

    static readonly Dictionary<string, string> Sources = new();

    /// <summary>A source document, with its Unicode minus signs read as '-'.</summary>
    static string Source(string file)
    {
        lock (Sources)
            return Sources.TryGetValue(file, out string? s) ? s
                : Sources[file] = File.ReadAllText(Repo.Path("golden", "sources", file)).Replace('\u2212', '-');
    }

    /// <summary>000's NumPy array is printed without its inputs; it is still checked for being what
    /// the text says it is, an outer product: rank one to its nine printed digits, rows 3–5 zero.</summary>
    [Fact]
    public void The_underdetermined_numpy_array_is_an_outer_product_to_its_printed_digits()
    {
        var m = new double[6, 3];
        foreach (CatalogEntry e in Catalog.Entries.Where(e => e.Underdetermined?["matrix"]?.ToString() == "000-numpy-outer"))
            m[(int)e.Underdetermined!["row"]!, (int)e.Underdetermined["column"]!] = double.Parse(e.Printed, System.Globalization.CultureInfo.InvariantCulture);
        // Each entry has 9 significant digits: relative error ≤ 5e-9. A ratio of two carries ≤ 1e-8,
        // and the difference of two ratios ≤ 2e-8 of their size.
        for (int i = 1; i < 3; i++)
            for (int j = 1; j < 3; j++)
            {
                double r0 = m[i, 0] / m[0, 0], rj = m[i, j] / m[0, j];
                Assert.True(Math.Abs(r0 - rj) <= 2e-8 * Math.Abs(r0), $"row {i} is not proportional to row 0 at column {j}: {r0:R} vs {rj:R}");
            }
        for (int i = 3; i < 6; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(0.0, m[i, j]);
    }

    /// <summary>The totals, printed, and checked against the README's summary table.</summary>
    [Fact]
    public void Totals_match_the_readme_summary_table()
    {
        int Count(string status) => Catalog.Entries.Count(e => e.Status == status);
        int coincident = Catalog.Entries.Count(e => e.Status == "reproduced" && e.WrongCode is not null);
        string row = $"| {Catalog.Entries.Count} | {Count("reproduced")} | {Count("erratum")} | {Count("wrong-code")} | {Count("underdetermined")} |";
        output.WriteLine("| numbers | reproduced | errata | wrong code | underdetermined |");
        output.WriteLine(row);
        output.WriteLine($"({coincident} reproduced numbers were printed by wrong code that agrees with the reference on that input)");
        Assert.Contains(row, File.ReadAllText(Repo.Path("README.md")));
    }
}
