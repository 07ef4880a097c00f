using Parquet.Schema;

namespace MlOps.PredictionLog;

/// <summary>
/// The Parquet columns of both file kinds (snake_case, as fixed in the issue 14 design). Timestamps are
/// INT64 microseconds, UTC-adjusted, so any Parquet reader (DuckDB, pandas, Spark) sees real timestamps.
/// </summary>
public static class PredictionLogSchema
{
    public static readonly DataField<string> PredictionId = new("prediction_id", nullable: false);
    public static readonly DataField<string> Model = new("model", nullable: false);
    public static readonly DataField<int> Version = new("version");
    public static readonly DataField<string> Alias = new("alias", nullable: false);
    public static readonly DataField<string> Arm = new("arm", nullable: true);
    public static readonly DateTimeDataField Timestamp = new(
        "timestamp", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false);
    public static readonly DataField<double> LatencyMs = new("latency_ms");
    public static readonly DataField<string> Inputs = new("inputs", nullable: false);
    public static readonly DataField<string> Prediction = new("prediction", nullable: false);
    public static readonly DataField<double?> Score = new("score");
    public static readonly DataField<string> Label = new("label", nullable: true);

    public static readonly DataField<string> Truth = new("truth", nullable: false);
    public static readonly DateTimeDataField ReceivedAt = new(
        "received_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false);
    public static readonly DataField<string> Source = new("source", nullable: true);

    public static readonly ParquetSchema Predictions = new(
        PredictionId, Model, Version, Alias, Arm, Timestamp, LatencyMs, Inputs, Prediction, Score, Label);

    public static readonly ParquetSchema Feedback = new(PredictionId, Model, Truth, ReceivedAt, Source);

    /// <summary>The schema of a kind (<see cref="PredictionLogKinds"/>).</summary>
    public static ParquetSchema For(string kind) => kind switch
    {
        PredictionLogKinds.Predictions => Predictions,
        PredictionLogKinds.Feedback => Feedback,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Expected 'predictions' or 'feedback'."),
    };

    /// <summary>
    /// Columns of <paramref name="kind"/> that <paramref name="actual"/> lacks or holds with another type
    /// (empty when the file fits). Extra columns are allowed, so a later schema can add some.
    /// </summary>
    public static IReadOnlyList<string> Mismatches(ParquetSchema actual, string kind)
    {
        var byName = actual.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var expected in For(kind).GetDataFields())
        {
            if (!byName.TryGetValue(expected.Name, out var found))
                problems.Add($"column '{expected.Name}' is missing");
            else if (found.ClrType != expected.ClrType || found.IsArray)
                problems.Add($"column '{expected.Name}' is {TypeName(found)}, expected {TypeName(expected)}");
        }
        return problems;
    }

    // Parquet.Net reports text columns as ReadOnlyMemory<char>; say "string" in messages.
    private static string TypeName(DataField field) =>
        field.IsArray ? "a list" : field.ClrType == typeof(ReadOnlyMemory<char>) ? "string" : field.ClrType.Name;
}
