namespace MlOps.ModelBundle.Drift;

/// <summary>Population stability index of observed bin counts against a baseline's fractions.</summary>
public static class PopulationStability
{
    // Empty bins would make PSI infinite; a small floor is the usual practice.
    private const double Floor = 1e-4;

    /// <summary>
    /// PSI = sum over bins of (actual - expected) * ln(actual / expected). Under 0.1: stable;
    /// 0.1-0.25: moderate shift; over 0.25: significant shift. Returns 0 when nothing was observed.
    /// </summary>
    public static double Compute(IReadOnlyList<double> expectedFractions, ReadOnlySpan<long> observedCounts)
    {
        if (observedCounts.Length != expectedFractions.Count)
            throw new ArgumentException("Observed bins do not match the baseline.", nameof(observedCounts));
        long total = 0;
        foreach (var c in observedCounts) total += c;
        if (total == 0) return 0;
        var psi = 0.0;
        for (var i = 0; i < observedCounts.Length; i++)
        {
            var expected = Math.Max(expectedFractions[i], Floor);
            var actual = Math.Max(observedCounts[i] / (double)total, Floor);
            psi += (actual - expected) * Math.Log(actual / expected);
        }
        return psi;
    }
}
