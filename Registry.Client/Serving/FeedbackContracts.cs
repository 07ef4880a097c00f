using System.Text.Json;

namespace MlOps.Registry.Client.Serving;

/// <summary>Body of <c>POST /v1/models/{name}/feedback</c>: ground truth for predictions this service answered.</summary>
public sealed record FeedbackRequest(IReadOnlyList<FeedbackItem> Items);

/// <summary>
/// <see cref="PredictionId"/> as the predict answer gave it; <see cref="Truth"/> a number (regression) or the
/// class as a string (binary, multiclass).
/// </summary>
public sealed record FeedbackItem(string PredictionId, JsonElement Truth);

/// <summary>
/// Every item was stored (one feedback file in the registry). <see cref="Matched"/> items were joined here with
/// this replica's logged prediction and count in live quality now; <see cref="UnmatchedIds"/> were not found here
/// (another replica answered, not sampled, or forgotten) and are joined by the registry only.
/// </summary>
public sealed record FeedbackResponse(string Model, int Accepted, int Matched, int Unmatched, IReadOnlyList<string> UnmatchedIds);

/// <summary><c>GET /v1/models/{name}/quality</c>: per version, live quality next to the training metrics.</summary>
public sealed record ModelQuality(string Model, string Task, int Window, IReadOnlyList<VersionQuality> Versions);

/// <summary>
/// One version: <see cref="Alias"/> and <see cref="Arm"/> when it is loaded here; <see cref="Rows"/> labelled
/// predictions in its window; <see cref="Live"/> and <see cref="Training"/> keyed by metric name.
/// </summary>
public sealed record VersionQuality(
    int Version, string? Alias, string? Arm, int Rows,
    IReadOnlyDictionary<string, double> Live, IReadOnlyDictionary<string, double> Training);
