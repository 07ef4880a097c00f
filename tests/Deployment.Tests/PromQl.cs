using System.Text.RegularExpressions;

namespace MlOps.Deployment.Tests;

/// <summary>Metric names a PromQL expression selects (enough of PromQL for our rules and panels).</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"];

    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var stripped = expr;
        foreach (var noise in new[] { StringLiteral(), LabelMatchers(), RangeSelectors(), Grouping() })
        {
            stripped = noise.Replace(stripped, " ");
        }
        return Identifier().Matches(stripped)
            .Where(m => !Keywords.Contains(m.Value.ToLowerInvariant()))
            .Select(m => m.Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeSelectors();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    /// <summary>An identifier that is not a function call and not part of a number.</summary>
    [GeneratedRegex(@"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\()(?![\w])")]
    private static partial Regex Identifier();
}
