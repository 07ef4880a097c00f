using MlOps.Registry.Client.Runs;

namespace MlOps.Studio.Runs;

/// <summary>Which keys get a column in the runs table and the compare view.</summary>
public static class RunColumns
{
    public const string CurvePrefix = "learning_curve.";
    public const string ImportancePrefix = "feature_importance.";

    /// <summary>Summary metrics: everything but per-iteration curves and per-feature importance (on the run page).</summary>
    public static List<string> Metrics(IEnumerable<Run> runs) =>
        runs.SelectMany(r => r.Metrics.Keys).Distinct()
            .Where(k => !k.StartsWith(CurvePrefix, StringComparison.Ordinal) && !k.StartsWith(ImportancePrefix, StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>Params whose value differs between the runs shown (all of them when only one run or none differs, up to 8).</summary>
    public static List<string> Params(IReadOnlyList<Run> runs)
    {
        var keys = runs.SelectMany(r => r.Params.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var varying = keys.Where(k => Differs(runs, r => r.Params.GetValueOrDefault(k))).ToList();
        return varying.Count > 0 ? varying : keys.Where(k => !k.StartsWith("dataset.", StringComparison.Ordinal)).Take(8).ToList();
    }

    public static bool Differs(IReadOnlyList<Run> runs, Func<Run, string?> value) =>
        runs.Select(value).Distinct().Count() > 1;

    public static IEnumerable<string> CurveKeys(Run run) =>
        run.Metrics.Keys.Where(k => k.StartsWith(CurvePrefix, StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal);
}
