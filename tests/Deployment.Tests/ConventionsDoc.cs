using System.Text.RegularExpressions;

namespace MlOps.Deployment.Tests;

/// <summary>The tables of docs/conventions.md that deployment assets must agree with.</summary>
internal static partial class ConventionsDoc
{
    /// <summary>
    /// Keys of the "Configuration keys" table, with the <c>N</c> of indexed keys read as 0 and a leading
    /// <c>...:</c> expanded from the cell's first key (<c>`A:B:C`, `...:D`</c> is A:B:D).
    /// </summary>
    public static HashSet<string> ConfigurationKeys() =>
        TableRows("## Configuration keys")
            .SelectMany(cells =>
            {
                var keys = Backticked().Matches(cells[0]).Select(m => m.Groups[1].Value).ToList();
                return keys.Select(k => Expand(keys[0], k).Replace(":N:", ":0:"));
            })
            .ToHashSet(StringComparer.Ordinal);

    private static string Expand(string first, string key)
    {
        if (!key.StartsWith("...:", StringComparison.Ordinal))
        {
            return key;
        }
        var rest = key[4..].Split(':');
        var segments = first.Split(':');
        var at = Array.IndexOf(segments, rest[0]);
        return string.Join(':', segments[..(at >= 0 ? at : segments.Length - 1)].Concat(rest));
    }

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
