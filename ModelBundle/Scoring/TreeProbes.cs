using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// The guard in front of the tree evaluator, against an ML.NET version or model variant whose semantics it does not
/// copy (or a damaged <c>trees.json</c>): ML.NET's PredictionEngine and the evaluator must give the same bits on rows
/// built to hit split thresholds exactly, one float step either side of them, and missing values
/// (<see cref="TreeEnsembleEvaluator.ProbeRows"/>), each row alone and all of them as one batch.
/// </summary>
internal static class TreeProbes
{
    private const int Count = 64, Seed = 17;

    /// <summary>
    /// The evaluator of <paramref name="trees"/> when its predictions on the probe rows have the bits that
    /// <paramref name="engine"/> gives on them (in <paramref name="probe"/> when it agrees) or, without an engine,
    /// the bits recorded in the trees' own probe; null with the reason otherwise. Never throws: the evaluator is an
    /// optimization, and whatever goes wrong building or checking it, the model is still scored by ML.NET.
    /// </summary>
    public static TreeScorer? CheckedScorer(TreeModel trees, BundleManifest manifest, FeatureEncoder encoder, Func<float[], Prediction>? engine,
        out TreeProbe? probe, out string reason)
    {
        probe = engine is null ? trees.Probe : null;
        if (engine is null && probe is null)
        {
            reason = "no probe of ML.NET's predictions to check the trees against";
            return null;
        }
        try
        {
            if (TreeScorer.TryCreate(trees, manifest, encoder.Length, out reason) is not { } scorer) return null;
            probe ??= Record(scorer, encoder, engine!);
            if (Agree(scorer, encoder, probe, out reason)) return scorer;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            reason = $"tree evaluator failed to build: {e.GetType().Name}: {e.Message}";
        }
        probe = null;
        return null;
    }

    /// <summary>The engine's predictions on the probe rows of <paramref name="trees"/> (66 rows: 4 blocks of 16 and 2 alone in a batch).</summary>
    private static TreeProbe Record(TreeScorer trees, FeatureEncoder encoder, Func<float[], Prediction> engine) =>
        new(Seed, Count, trees.Evaluator.ProbeRows(encoder, Count, Seed).Select(engine).ToList());

    private static bool Agree(TreeScorer trees, FeatureEncoder encoder, TreeProbe probe, out string reason)
    {
        // The row count comes from the bundle: checked against the predictions it holds before any row is made.
        if (probe.Count < 0 || probe.Expected.Count != probe.Count + 2)
        {
            reason = $"the probe has {probe.Expected.Count} predictions for {probe.Count} + 2 rows";
            return false;
        }
        var rows = trees.Evaluator.ProbeRows(encoder, probe.Count, probe.Seed).ToList();
        var batch = new Prediction[rows.Count];
        trees.Score(rows, batch);
        for (var i = 0; i < rows.Count; i++)
        {
            var expected = probe.Expected[i];
            if (Differs(expected, trees.Score(rows[i]), "a probe row", out reason) || Differs(expected, batch[i], "a probe row in a batch", out reason))
                return false;
        }
        reason = "";
        return true;
    }

    private static bool Differs(Prediction expected, Prediction actual, string what, out string reason)
    {
        if (!SameBits(expected.Value, actual.Value) || !SameBits(expected.Probability, actual.Probability) || expected.Label != actual.Label
            || !SameProbabilities(expected.Probabilities, actual.Probabilities))
        {
            reason = $"tree evaluator disagrees with PredictionEngine on {what} ({actual.Label} {actual.Value} {actual.Probability} vs {expected.Label} {expected.Value} {expected.Probability})";
            return true;
        }
        reason = "";
        return false;
    }

    private static bool SameProbabilities(IReadOnlyDictionary<string, double>? expected, IReadOnlyDictionary<string, double>? actual) =>
        expected is null ? actual is null
            : actual is not null && expected.Count == actual.Count
              && expected.All(e => actual.TryGetValue(e.Key, out var a) && SameBits(e.Value, a));

    private static bool SameBits(double? a, double? b) =>
        a is null ? b is null : b is not null && BitConverter.DoubleToInt64Bits(a.Value) == BitConverter.DoubleToInt64Bits(b.Value);
}
