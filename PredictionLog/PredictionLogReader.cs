using Parquet;
using Parquet.Schema;

namespace MlOps.PredictionLog;

/// <summary>
/// Reads prediction log files back (every row group). A file that is not Parquet or lacks a column of its
/// kind throws <see cref="PredictionLogFormatException"/>.
/// </summary>
public static class PredictionLogReader
{
    public static Task<IReadOnlyList<PredictionLogRow>> ReadPredictionsAsync(
        Stream input, CancellationToken cancellationToken = default) =>
        ReadAsync<PredictionLogRow>(input, PredictionLogKinds.Predictions, async (group, fields, n, rows) =>
        {
            var ids = await Strings(group, fields, PredictionLogSchema.PredictionId, n, cancellationToken);
            var models = await Strings(group, fields, PredictionLogSchema.Model, n, cancellationToken);
            var versions = await Values<int>(group, fields, PredictionLogSchema.Version, n, cancellationToken);
            var aliases = await Strings(group, fields, PredictionLogSchema.Alias, n, cancellationToken);
            var arms = await Strings(group, fields, PredictionLogSchema.Arm, n, cancellationToken);
            var times = await Values<DateTime>(group, fields, PredictionLogSchema.Timestamp, n, cancellationToken);
            var latencies = await Values<double>(group, fields, PredictionLogSchema.LatencyMs, n, cancellationToken);
            var inputs = await Strings(group, fields, PredictionLogSchema.Inputs, n, cancellationToken);
            var predictions = await Strings(group, fields, PredictionLogSchema.Prediction, n, cancellationToken);
            var scores = await Nullables<double>(group, fields, PredictionLogSchema.Score, n, cancellationToken);
            var labels = await Strings(group, fields, PredictionLogSchema.Label, n, cancellationToken);
            for (var i = 0; i < n; i++)
            {
                rows.Add(new PredictionLogRow(
                    ids[i]!, models[i]!, versions[i], aliases[i]!, arms[i], Utc(times[i]), latencies[i],
                    inputs[i]!, predictions[i]!, scores[i], labels[i]));
            }
        }, cancellationToken);

    public static Task<IReadOnlyList<FeedbackRow>> ReadFeedbackAsync(
        Stream input, CancellationToken cancellationToken = default) =>
        ReadAsync<FeedbackRow>(input, PredictionLogKinds.Feedback, async (group, fields, n, rows) =>
        {
            var ids = await Strings(group, fields, PredictionLogSchema.PredictionId, n, cancellationToken);
            var models = await Strings(group, fields, PredictionLogSchema.Model, n, cancellationToken);
            var truths = await Strings(group, fields, PredictionLogSchema.Truth, n, cancellationToken);
            var received = await Values<DateTime>(group, fields, PredictionLogSchema.ReceivedAt, n, cancellationToken);
            var sources = await Strings(group, fields, PredictionLogSchema.Source, n, cancellationToken);
            for (var i = 0; i < n; i++)
                rows.Add(new FeedbackRow(ids[i]!, models[i]!, truths[i]!, Utc(received[i]), sources[i]));
        }, cancellationToken);

    private static async Task<IReadOnlyList<T>> ReadAsync<T>(
        Stream input, string kind,
        Func<ParquetRowGroupReader, Dictionary<string, DataField>, int, List<T>, Task> readGroup,
        CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await OpenAsync(input, kind, cancellationToken);
        var fields = Fields(reader.Schema);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            await readGroup(group, fields, checked((int)group.RowCount), rows);
        }
        return rows;
    }

    /// <summary>
    /// Reads only what the registry indexes: the row count and the time span (timestamp for predictions,
    /// received_at for feedback). Needs a seekable stream (the footer is at the end).
    /// </summary>
    public static async Task<PredictionLogFileSummary> SummarizeAsync(
        Stream input, string kind, CancellationToken cancellationToken = default)
    {
        await using var reader = await OpenAsync(input, kind, cancellationToken);
        var fields = Fields(reader.Schema);
        var timeField = kind == PredictionLogKinds.Predictions ? PredictionLogSchema.Timestamp : PredictionLogSchema.ReceivedAt;
        long rows = 0;
        DateTime? min = null, max = null;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);
            rows += n;
            foreach (var t in await Values<DateTime>(group, fields, timeField, n, cancellationToken))
            {
                if (min is null || t < min) min = t;
                if (max is null || t > max) max = t;
            }
        }
        return new PredictionLogFileSummary(kind, rows, min is null ? null : Utc(min.Value), max is null ? null : Utc(max.Value));
    }

    private static async Task<ParquetReader> OpenAsync(Stream input, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!PredictionLogKinds.IsKnown(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Expected 'predictions' or 'feedback'.");
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(input, cancellationToken: cancellationToken);
        }
        // Any failure to parse a footer means bad input (the registry answers 400), whatever the library throws.
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new PredictionLogFormatException($"Not a readable Parquet file: {e.Message}", e);
        }
        var problems = PredictionLogSchema.Mismatches(reader.Schema, kind);
        if (problems.Count > 0)
        {
            await reader.DisposeAsync();
            throw new PredictionLogFormatException($"Not a {kind} file: {string.Join("; ", problems)}.");
        }
        return reader;
    }

    // Reads must use the file's own field objects (they carry its schema path and levels).
    private static Dictionary<string, DataField> Fields(ParquetSchema schema) =>
        schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);

    private static async Task<string?[]> Strings(
        ParquetRowGroupReader group, Dictionary<string, DataField> fields, DataField field, int n, CancellationToken ct)
    {
        var values = new string?[n];
        await group.ReadAsync(fields[field.Name], values.AsMemory()!, cancellationToken: ct);
        return values;
    }

    private static async Task<T[]> Values<T>(
        ParquetRowGroupReader group, Dictionary<string, DataField> fields, DataField field, int n, CancellationToken ct)
        where T : struct
    {
        var values = new T[n];
        await group.ReadAsync<T>(fields[field.Name], values.AsMemory(), cancellationToken: ct);
        return values;
    }

    private static async Task<T?[]> Nullables<T>(
        ParquetRowGroupReader group, Dictionary<string, DataField> fields, DataField field, int n, CancellationToken ct)
        where T : struct
    {
        var values = new T?[n];
        await group.ReadAsync<T>(fields[field.Name], values.AsMemory(), cancellationToken: ct);
        return values;
    }

    private static DateTime Utc(DateTime value) =>
        value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
