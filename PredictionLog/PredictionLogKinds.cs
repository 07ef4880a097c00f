namespace MlOps.PredictionLog;

/// <summary>The two kinds of prediction log file and the media type they travel with.</summary>
public static class PredictionLogKinds
{
    public const string Predictions = "predictions";
    public const string Feedback = "feedback";

    /// <summary>Media type of a Parquet file (IANA registration, 2024).</summary>
    public const string MediaType = "application/vnd.apache.parquet";

    public static bool IsKnown(string? kind) => kind is Predictions or Feedback;
}
