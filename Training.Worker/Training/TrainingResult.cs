using MlOps.ModelBundle.Packaging;

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
}
