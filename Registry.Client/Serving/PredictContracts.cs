using System.Text.Json.Serialization;

namespace MlOps.Registry.Client.Serving;

/// <summary>
/// Body of <c>POST /v1/models/{name}/predict</c> (and <c>/predict</c>): either one row in <see cref="Features"/>
/// or several in <see cref="Instances"/>. Rows are keyed by the training CSV's column names: numbers as JSON
/// numbers, categories as strings, null for a missing value. Every input column must be present.
/// </summary>
public sealed record PredictRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object?>? Features = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IReadOnlyDictionary<string, object?>>? Instances = null)
{
    public static PredictRequest Single(IReadOnlyDictionary<string, object?> row) => new(Features: row);

    public static PredictRequest Batch(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows) => new(Instances: rows);
}

/// <summary>
/// Answer of a predict call: one <see cref="Prediction"/> per row, in request order. <see cref="Version"/> and
/// <see cref="Alias"/> say which model version answered (the canary's, for requests routed to it).
/// </summary>
public sealed record PredictResponse(
    string Model,
    int Version,
    string Alias,
    IReadOnlyList<Prediction> Predictions,
    double LatencyMs,
    /// <summary>One id per row, in row order (issue 14): what feedback names. Null from a server without prediction ids.</summary>
    IReadOnlyList<string>? PredictionIds = null);

/// <summary>
/// A served model version: what <c>GET /v1/models/{name}</c> and <c>/model/info</c> describe. <see cref="Scorer"/>:
/// <c>tree-evaluator</c> or <c>prediction-engine</c> (ML.NET's, for models the evaluator does not reproduce).
/// <see cref="MlNetLoadReason"/> is null when the version was loaded from its bundle's plain trees without ML.NET,
/// else why ML.NET had to be loaded for it (each such model costs the replica memory: docs/capacity.md).
/// </summary>
public sealed record ServedVersion(
    int Version,
    string Alias,
    string Sha256,
    DateTimeOffset LoadedAt,
    double LoadSeconds,
    string? Scorer = null,
    string? MlNetLoadReason = null);

/// <summary>
/// <c>GET /v1/models/{name}</c>: the primary version with its input schema and training metrics, and the
/// canary (or shadow) version when one is configured and loaded. <see cref="PositiveClass"/> (binary only) is the
/// class whose probability the training metrics (auc, f1, log_loss) score: <c>probabilities[positiveClass]</c>.
/// </summary>
public sealed record ServedModelInfo(
    string Name,
    string Task,
    string Label,
    ServedVersion Primary,
    IReadOnlyList<Models.FeatureSchema> InputSchema,
    IReadOnlyList<string>? Classes,
    IReadOnlyDictionary<string, double> Metrics,
    ServedCanary? Canary = null,
    string? PositiveClass = null);

/// <summary>The second version of a model. <see cref="Mode"/>: <c>canary</c> (answers Weight% of requests) or <c>shadow</c>.</summary>
public sealed record ServedCanary(string Mode, int Weight, ServedVersion? Version);

public static class CanaryModes
{
    public const string Canary = "canary";
    public const string Shadow = "shadow";
}
