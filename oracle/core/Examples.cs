using System.Reflection;
using BackpropSpec.Reference;

namespace BackpropSpec.Oracle;

/// <summary>The worked examples of golden/examples, embedded in this assembly.</summary>
public static class Examples
{
    static readonly Assembly Self = typeof(Examples).Assembly;

    /// <summary>Every example name, for instance <c>002-mazur-2-2-2</c>, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Self.GetManifestResourceNames()
        .Where(r => r.StartsWith("examples/", StringComparison.Ordinal))
        .Select(r => r["examples/".Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>The example whose name is <paramref name="name"/> or starts with it (<c>002</c>).</summary>
    public static Network Load(string name) => NetworkJson.Parse(Text(name));

    public static string Text(string name)
    {
        string[] matches = Names.Where(n => n == name).ToArray();
        if (matches.Length == 0) matches = Names.Where(n => n.StartsWith(name, StringComparison.Ordinal)).ToArray();
        if (matches.Length != 1)
            throw new ArgumentException(matches.Length == 0
                ? $"no built-in example named '{name}'; the examples are: {string.Join(", ", Names)}"
                : $"'{name}' names several examples: {string.Join(", ", matches)}; give more of the name");
        using Stream s = Self.GetManifestResourceStream($"examples/{matches[0]}.json")!;
        return new StreamReader(s).ReadToEnd();
    }
}
