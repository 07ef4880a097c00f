using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Models;

namespace MlOps.Training.Worker.Training;

/// <summary>One point of a per-iteration curve: <see cref="Step"/> is the boosting iteration (1-based).</summary>
public sealed record LearningCurvePoint(string Key, long Step, double Value);

/// <summary>
/// What one training produced: the model bundle (<see cref="ModelBundleFile"/> bytes) with its sha256, the
/// test-split metrics, the params it ran with, the learning curve and feature importance.
/// </summary>
public sealed record TrainingResult(
    byte[] Bundle,
    string Sha256,
    BundleManifest Manifest,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyList<LearningCurvePoint> LearningCurve,
    IReadOnlyDictionary<string, double> FeatureImportance,
    int TrainRows,
    int TestRows,
    string DatasetSha256,
    TimeSpan TrainingTime)
{
    /// <summary>LightGBM's fit alone (IDataView to trained model), the span a benchmark against another library compares.</summary>
    public TimeSpan FitTime { get; init; }

    /// <summary>Null when the bundle carries its plain trees (serving needs no ML.NET); else why it does not.</summary>
    public string? WithoutPlainTrees { get; init; }

    /// <summary>The model's input columns as the registry records them on the version.</summary>
    public IReadOnlyList<FeatureSchema> InputSchema() =>
        Manifest.Features.Select(f => new FeatureSchema(f.Name,
            f.Kind == FeatureKind.Numeric ? ColumnTypes.Numeric : ColumnTypes.Categorical, f.Levels)).ToList();
}
