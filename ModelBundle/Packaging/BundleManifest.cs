using MlOps.ModelBundle.Drift;
using MlOps.ModelBundle.Features;

namespace MlOps.ModelBundle.Packaging;

/// <summary>
/// manifest.json inside a model bundle: everything besides the ML.NET model that serving needs to encode
/// input, name outputs and watch drift. <see cref="Task"/> is a <c>TrainingTasks</c> value.
/// </summary>
public sealed record BundleManifest(
    string Task,
    string Label,
    IReadOnlyList<FeatureColumn> Features,
    /// <summary>Binary: [negative, positive]. Multiclass: class names in the model's score order. Regression: null.</summary>
    IReadOnlyList<string>? Classes,
    IReadOnlyList<FeatureBaseline> Baseline,
    /// <summary>Per input column (one-hot slots summed), from LightGBM's split gains.</summary>
    IReadOnlyDictionary<string, double> FeatureImportance,
    IReadOnlyDictionary<string, double> Metrics,
    string? DatasetName = null,
    int? DatasetVersion = null,
    string? DatasetSha256 = null,
    int FormatVersion = BundleManifest.CurrentFormatVersion)
{
    public const int CurrentFormatVersion = 1;
}
