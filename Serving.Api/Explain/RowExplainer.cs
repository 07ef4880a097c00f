using MlOps.ModelBundle.Explaining;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Explain;

/// <summary>One encoded row's prediction and contributions, keyed by input column and class.</summary>
public static class RowExplainer
{
    public static RowExplanation Explain(LoadedModel model, TreeExplainer explainer, float[] row)
    {
        var raw = new double[explainer.OutputCount];
        var phi = new double[explainer.OutputCount * explainer.PlayerCount];
        explainer.Explain(row, raw, phi);
        var manifest = model.Model.Manifest;
        var columns = explainer.Encoder.Columns;
        var scores = new ScoreExplanation[raw.Length];
        for (var e = 0; e < raw.Length; e++)
        {
            var contributions = new Dictionary<string, double>(columns.Count, StringComparer.Ordinal);
            for (var c = 0; c < columns.Count; c++) contributions[columns[c].Name] = phi[e * columns.Count + c];
            scores[e] = new ScoreExplanation(ClassOf(manifest, e), explainer.BaseValue(e), raw[e], contributions);
        }
        return new RowExplanation(model.Model.Predict(row), scores);
    }

    /// <summary>The fallback: ML.NET's contributions to the single raw score (regression, binary), no base value.</summary>
    public static RowExplanation Explain(LoadedModel model, MlNetContributions contributions, float[] row)
    {
        var columns = model.Model.Encoder.Columns;
        Span<double> perColumn = columns.Count <= 256 ? stackalloc double[columns.Count] : new double[columns.Count];
        contributions.Explain(row, perColumn);
        var byName = new Dictionary<string, double>(columns.Count, StringComparer.Ordinal);
        for (var c = 0; c < columns.Count; c++) byName[columns[c].Name] = perColumn[c];
        var prediction = model.Model.Predict(row);
        // Regression and binary predictions carry the raw score (binary: the margin before calibration).
        var score = new ScoreExplanation(ClassOf(model.Model.Manifest, 0), null, prediction.Value ?? double.NaN, byName);
        return new RowExplanation(prediction, [score]);
    }

    // Regression: no class. Binary: the margin is the positive class's (the second). Multiclass: class order.
    private static string? ClassOf(ModelBundle.Packaging.BundleManifest manifest, int output) => manifest.Task switch
    {
        Registry.Client.Jobs.TrainingTasks.Binary => manifest.Classes?[1],
        Registry.Client.Jobs.TrainingTasks.Multiclass => manifest.Classes?[output],
        _ => null,
    };
}
