namespace MlOps.PredictionLog;

/// <summary>
/// One served row in a prediction log file (docs/prediction-log.md). A request of n rows gives n of these,
/// each with its own prediction id.
/// </summary>
/// <param name="PredictionId">Serving-generated, unique, time-ordered (UUIDv7 text).</param>
/// <param name="Arm"><c>primary</c>, <c>canary</c> or <c>shadow</c>; null when the model has no canary.</param>
/// <param name="Timestamp">UTC time the prediction was served.</param>
/// <param name="Inputs">JSON object of the row as validated: feature -> value.</param>
/// <param name="Prediction">JSON of the served prediction for that row.</param>
/// <param name="Score">Regression value, else null.</param>
/// <param name="Label">Predicted label for classification, else null.</param>
public sealed record PredictionLogRow(
    string PredictionId,
    string Model,
    int Version,
    string Alias,
    string? Arm,
    DateTime Timestamp,
    double LatencyMs,
    string Inputs,
    string Prediction,
    double? Score,
    string? Label);
