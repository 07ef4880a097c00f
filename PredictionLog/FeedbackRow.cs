namespace MlOps.PredictionLog;

/// <summary>One ground-truth answer for a logged prediction, in a feedback file (docs/prediction-log.md).</summary>
/// <param name="Truth">Ground truth as text: a regression value in invariant culture, else the label.</param>
/// <param name="ReceivedAt">UTC time serving accepted the feedback.</param>
/// <param name="Source">Who sent it (API key role/name or client), when known.</param>
public sealed record FeedbackRow(
    string PredictionId,
    string Model,
    string Truth,
    DateTime ReceivedAt,
    string? Source);
