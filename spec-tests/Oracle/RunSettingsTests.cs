using BackpropSpec.Oracle;
using Xunit;

namespace BackpropSpec.SpecTests.Checking;

/// <summary>What the environment's BACKPROPSPEC_SEED, BACKPROPSPEC_PROPERTY_COUNT and BACKPROPSPEC_SHARD
/// texts mean (read through the parsers: setting the variables here would change the runs of the
/// property tests beside this one). A shard must be K/N exactly, with 1 ≤ K ≤ N.</summary>
public class RunSettingsTests
{
    [Theory]
    [InlineData("12", 12UL)]
    [InlineData(" 12 ", 12UL)]
    [InlineData("0", 0UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData(null, RunSettings.DefaultSeed)]
    [InlineData("", RunSettings.DefaultSeed)]
    [InlineData("  ", RunSettings.DefaultSeed)]
    public void A_seed_is_a_whole_number_or_unset_for_the_default(string? text, ulong seed) => Assert.Equal(seed, RunSettings.SeedOf(text));

    /// <summary>A user who typed BACKPROPSPEC_SEED=abc was once given the default seed's 200 networks
    /// without a word (found by a newcomer using the kit).</summary>
    [Theory]
    [InlineData("-1")]
    [InlineData("18446744073709551616")]
    [InlineData("seed")]
    [InlineData("abc")]
    public void A_seed_that_is_no_whole_number_is_refused_naming_the_variable(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => RunSettings.SeedOf(text));
        Assert.Equal($"BACKPROPSPEC_SEED='{text}' is not a seed: a whole number from 0 to 18446744073709551615 (for example 31337)", e.Message);
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("1", 1)]
    [InlineData(" 7 ", 7)]
    [InlineData(null, 100)]
    [InlineData("", 100)]
    public void A_count_is_a_positive_number_or_unset_for_the_runners_default(string? text, int count) => Assert.Equal(count, RunSettings.CountOf(text, 100));

    /// <summary>BACKPROPSPEC_PROPERTY_COUNT=1e4, 10_000 or 0 once ran the default count in silence.</summary>
    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("many")]
    [InlineData("1e4")]
    [InlineData("10_000")]
    public void A_count_that_is_no_positive_whole_number_is_refused_naming_the_variable(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => RunSettings.CountOf(text, 100));
        Assert.Equal($"BACKPROPSPEC_PROPERTY_COUNT='{text}' is not a count: a positive whole number, written in digits (for example 10000)", e.Message);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(-1, 3)]
    [InlineData(4, 3)]
    [InlineData(1, 0)]
    [InlineData(0, 0)]
    [InlineData(-2, -1)]
    public void A_shard_outside_1_to_N_cannot_be_made(int k, int n)
    {
        var e = Assert.Throws<ArgumentException>(() => new Shard(k, n));
        Assert.Equal($"a shard is K/N with 1 <= K <= N, not {k}/{n}", e.Message);
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData("4/4", 4, 4)]
    [InlineData(" 3/5 ", 3, 5)]
    public void A_shard_option_is_K_of_N(string text, int k, int n)
    {
        Assert.Equal(new Shard(k, n), Shard.ParseOption(text));
        Assert.Equal(new Shard(k, n), Shard.Parse(text));
        Assert.Equal($"{k}/{n}", Shard.ParseOption(text).ToString());
    }

    [Theory]
    [InlineData("1/2/3")]
    [InlineData("1/2/")]
    [InlineData("/2")]
    [InlineData("1/")]
    [InlineData("a/2")]
    [InlineData("1/b")]
    [InlineData("+1/2")]
    [InlineData("1/ 2")]
    [InlineData("2")]
    [InlineData("")]
    public void Anything_else_is_not_a_shard_option(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.ParseOption(text));
        Assert.Equal($"--shard expects K/N with 1 ≤ K ≤ N (for example 2/4), got '{text}'", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void An_unset_or_blank_shard_variable_is_the_whole_run(string? text) => Assert.True(Shard.Parse(text).IsWhole);

    [Fact]
    public void A_shard_variable_that_is_not_K_of_N_says_so()
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Parse("2 of 4"));
        Assert.Equal("BACKPROPSPEC_SHARD='2 of 4' is not K/N with 1 <= K <= N (for example 2/4)", e.Message);
    }

    [Theory]
    [InlineData(1, 4, 10, 3)]        // 0, 4, 8
    [InlineData(2, 4, 10, 3)]        // 1, 5, 9
    [InlineData(3, 4, 10, 2)]        // 2, 6
    [InlineData(4, 4, 3, 0)]         // fewer items than K
    [InlineData(3, 4, 3, 1)]         // exactly K items: the last is its
    public void A_shard_holds_every_Nth_item_from_K(int k, int n, int count, int size)
    {
        var shard = new Shard(k, n);
        Assert.Equal(size, shard.Size(count));
        Assert.Equal(Enumerable.Range(0, count).Where(shard.Contains), shard.Of(count).Take());
        Assert.Equal(k == 1, shard.HasExamples);
    }
}
