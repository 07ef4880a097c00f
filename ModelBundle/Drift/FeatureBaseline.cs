namespace MlOps.ModelBundle.Drift;

/// <summary>
/// The training data's distribution of one feature, as bins. Numeric: bins split at <see cref="Edges"/>
/// (ascending; bin i holds values &lt;= Edges[i] and &gt; Edges[i-1]), then one bin for missing.
/// Categorical: one bin per entry of <see cref="Levels"/>, one for any other value, one for missing.
/// <see cref="Fractions"/> has one entry per bin and sums to 1.
/// </summary>
public sealed record FeatureBaseline(
    string Feature,
    Features.FeatureKind Kind,
    IReadOnlyList<double>? Edges,
    IReadOnlyList<string>? Levels,
    IReadOnlyList<double> Fractions)
{
    public int BinCount => Fractions.Count;

    public int MissingBin => Fractions.Count - 1;

    /// <summary>Bin of a numeric value (null or NaN: the missing bin).</summary>
    public int BinOf(double? value)
    {
        if (value is not { } v || double.IsNaN(v)) return MissingBin;
        var edges = Edges ?? [];
        var lo = 0;
        var hi = edges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (v <= edges[mid]) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>Bin of a categorical value (null: missing; unknown level: the "other" bin).</summary>
    public int BinOf(string? value)
    {
        if (value is null) return MissingBin;
        var levels = Levels ?? [];
        for (var i = 0; i < levels.Count; i++)
            if (string.Equals(levels[i], value, StringComparison.Ordinal)) return i;
        return MissingBin - 1;
    }
}
