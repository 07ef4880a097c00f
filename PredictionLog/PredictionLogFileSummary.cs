namespace MlOps.PredictionLog;

/// <summary>What the registry indexes about an uploaded file: kind, rows, and its time span (UTC).</summary>
public sealed record PredictionLogFileSummary(string Kind, long Rows, DateTime? MinTimestamp, DateTime? MaxTimestamp);
