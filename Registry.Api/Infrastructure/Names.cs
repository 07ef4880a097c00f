using System.Text.RegularExpressions;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// Names of experiments, datasets, models, aliases and metric/param keys: ASCII letters, digits and <c>-_.</c>,
/// 1-128 characters, not only dots. Anything else (path traversal, control characters, look-alike unicode) is a 400.
/// </summary>
public static partial class Names
{
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Keys (metrics, params, tags) may also hold '/' and ' ' (e.g. "valid/rmse"), never "..".</summary>
    [GeneratedRegex("^[A-Za-z0-9_.\\-/ :]{1,250}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name) && name.Trim('.').Length > 0;

    public static bool IsValidKey(string? key) => key is not null && KeyPattern().IsMatch(key) && !key.Contains("..") && key.Trim().Length > 0;

    public static string Describe(string what) =>
        $"{what} must be 1-128 characters of ASCII letters, digits, '-', '_' or '.', and not only dots.";
}
