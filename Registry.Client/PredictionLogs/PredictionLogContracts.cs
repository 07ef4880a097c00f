namespace MlOps.Registry.Client.PredictionLogs;

/// <summary>
/// A prediction log file the registry holds (docs/prediction-log.md): Parquet, written by serving, stored in the
/// registry's bucket under <see cref="Key"/> and indexed in PostgreSQL.
/// </summary>
public sealed record PredictionLogFile(
    Guid Id,
    string Model,
    /// <summary><c>predictions</c> or <c>feedback</c> (<see cref="PredictionLogFileKinds"/>).</summary>
    string Kind,
    /// <summary>The model version that served the rows; null for feedback files.</summary>
    int? Version,
    /// <summary>Partition date (UTC): the day served, or for feedback the day received.</summary>
    DateOnly Date,
    string Key,
    long Rows,
    long SizeBytes,
    /// <summary>Earliest and latest row time (timestamp, or received_at for feedback).</summary>
    DateTimeOffset? MinTimestamp,
    DateTimeOffset? MaxTimestamp,
    DateTimeOffset CreatedAt);

/// <summary>One page of <c>GET /api/v1/prediction-logs/{model}/files</c>; pass <see cref="Next"/> as <c>after</c> for the next page.</summary>
public sealed record PredictionLogFilePage(IReadOnlyList<PredictionLogFile> Files, Guid? Next);

/// <summary>
/// Body of <c>POST /api/v1/prediction-logs/{model}/datasets</c>: turn the logged-and-labelled predictions served
/// in [<see cref="From"/>, <see cref="To"/>) into a version of dataset <see cref="Dataset"/>.
/// </summary>
public sealed record MaterializeWindowRequest(
    string Dataset,
    DateTimeOffset From,
    DateTimeOffset To,
    /// <summary>Only predictions served by these model versions; null or absent means every version.</summary>
    IReadOnlyList<int>? Versions = null);

/// <summary>
/// Where a materialised dataset version came from: the model, the versions and window its rows were served in, the
/// files read, and how many rows were logged and labelled. Stored with the dataset version, returned by GET.
/// </summary>
public sealed record DatasetLineage(
    string Model,
    /// <summary>The model versions that served the rows in the dataset (sorted).</summary>
    IReadOnlyList<int> Versions,
    DateTimeOffset From,
    DateTimeOffset To,
    /// <summary>The label column (the model's training label); its values are the posted truths.</summary>
    string Label,
    IReadOnlyList<Guid> PredictionFiles,
    IReadOnlyList<Guid> FeedbackFiles,
    /// <summary>Predictions logged in the window (after the version filter, shadow rows and duplicates left out).</summary>
    long LoggedRows,
    /// <summary>Of those, the ones with a truth: the dataset's rows.</summary>
    long LabelledRows);

public static class PredictionLogFileKinds
{
    public const string Predictions = "predictions";
    public const string Feedback = "feedback";
    public static readonly IReadOnlyList<string> All = [Predictions, Feedback];
}
