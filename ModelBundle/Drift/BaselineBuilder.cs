namespace MlOps.ModelBundle.Drift;

/// <summary>Builds <see cref="FeatureBaseline"/>s from training columns.</summary>
public static class BaselineBuilder
{
    public const int DefaultNumericBins = 10;
    public const int DefaultCategoricalLevels = 20;

    /// <summary>Quantile bins (deduplicated cut points, so a constant column has one bin) plus a missing bin.</summary>
    public static FeatureBaseline Numeric(string feature, IEnumerable<double?> values, int bins = DefaultNumericBins)
    {
        var present = new List<double>();
        var missing = 0;
        foreach (var value in values)
        {
            if (value is { } v && !double.IsNaN(v)) present.Add(v); else missing++;
        }
        present.Sort();
        var edges = new List<double>();
        for (var q = 1; q < bins && present.Count > 0; q++)
        {
            var cut = present[(int)Math.Min(present.Count - 1, Math.Floor(q * (double)present.Count / bins))];
            // The last value would make an empty top bin; equal cuts would make empty middle bins.
            if (cut < present[^1] && (edges.Count == 0 || cut > edges[^1])) edges.Add(cut);
        }
        var baseline = new FeatureBaseline(feature, Features.FeatureKind.Numeric, edges, null, new double[edges.Count + 2]);
        var counts = new double[baseline.BinCount];
        foreach (var v in present) counts[baseline.BinOf(v)]++;
        counts[baseline.MissingBin] += missing;
        return baseline with { Fractions = Normalize(counts) };
    }

    /// <summary>The most frequent levels get a bin each; the rest share "other"; missing has its own.</summary>
    public static FeatureBaseline Categorical(string feature, IEnumerable<string?> values, int maxLevels = DefaultCategoricalLevels)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var missing = 0;
        foreach (var value in values)
        {
            if (value is null) { missing++; continue; }
            counts[value] = counts.GetValueOrDefault(value) + 1;
        }
        var levels = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(maxLevels).Select(kv => kv.Key).ToList();
        var binCounts = new double[levels.Count + 2];
        for (var i = 0; i < levels.Count; i++) binCounts[i] = counts[levels[i]];
        binCounts[levels.Count] = counts.Where(kv => !levels.Contains(kv.Key)).Sum(kv => kv.Value);
        binCounts[levels.Count + 1] = missing;
        return new FeatureBaseline(feature, Features.FeatureKind.Categorical, null, levels, Normalize(binCounts));
    }

    private static double[] Normalize(double[] counts)
    {
        var total = counts.Sum();
        return total == 0 ? counts : counts.Select(c => c / total).ToArray();
    }
}
