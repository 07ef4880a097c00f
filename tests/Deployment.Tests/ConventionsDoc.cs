using System.Text.RegularExpressions;

namespace MlOps.Deployment.Tests;

/// <summary>The tables of docs/conventions.md that deployment assets must agree with.</summary>
internal static partial class ConventionsDoc
{
    /// <summary>Keys of the "Configuration keys" table, with the <c>N</c> of indexed keys read as 0.</summary>
    public static HashSet<string> ConfigurationKeys() =>
        TableRows("## Configuration keys")
            .SelectMany(cells => Backticked().Matches(cells[0]).Select(m => m.Groups[1].Value.Replace(":N:", ":0:")))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Prometheus names of the "Metric names" table; <c>x_bucket/...</c> stands for x_bucket, x_sum, x_count.</summary>
    public static HashSet<string> MetricNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cells in TableRows("## Metric names"))
        {
            var name = Backticked().Match(cells[^1]).Groups[1].Value.Split('/')[0];
            names.Add(name);
            if (name.EndsWith("_bucket", StringComparison.Ordinal))
            {
                var stem = name[..^"_bucket".Length];
                names.Add(stem + "_sum");
                names.Add(stem + "_count");
            }
        }
        return names;
    }

    /// <summary>Data rows (cells trimmed) of the first table after <paramref name="heading"/>.</summary>
    private static IEnumerable<string[]> TableRows(string heading)
    {
        var lines = RepoFiles.Read("docs", "conventions.md").Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        if (start < 0)
        {
            throw new InvalidOperationException($"docs/conventions.md has no '{heading}' section");
        }
        var rows = lines.Skip(start + 1)
            .SkipWhile(l => !l.StartsWith('|'))
            .TakeWhile(l => l.StartsWith('|'))
            .Skip(2) // header and separator
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .ToList();
        return rows.Count > 0 ? rows : throw new InvalidOperationException($"'{heading}' has no table rows");
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();
}
