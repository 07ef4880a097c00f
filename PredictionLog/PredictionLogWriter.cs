using Parquet;

namespace MlOps.PredictionLog;

/// <summary>Writes rows as one Parquet file (one row group) to a stream; the stream stays open.</summary>
public static class PredictionLogWriter
{
    // Snappy: cheap on CPU (the writer runs on the serving host) and read by every Parquet tool.
    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy };

    public static async Task WritePredictionsAsync(
        IReadOnlyList<PredictionLogRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        await using var file = await FileWriter.CreateAsync(PredictionLogSchema.Predictions, rows.Count, output, cancellationToken);
        var group = file.Group;
        await group.WriteAsync(PredictionLogSchema.PredictionId, Column(rows, r => r.PredictionId));
        await group.WriteAsync(PredictionLogSchema.Model, Column(rows, r => r.Model));
        await group.WriteAsync<int>(PredictionLogSchema.Version, Column(rows, r => r.Version), cancellationToken: cancellationToken);
        await group.WriteAsync(PredictionLogSchema.Alias, Column(rows, r => r.Alias));
        await group.WriteAsync(PredictionLogSchema.Arm, Column(rows, r => r.Arm));
        await group.WriteAsync<DateTime>(PredictionLogSchema.Timestamp, Column(rows, r => Utc(r.Timestamp)), cancellationToken: cancellationToken);
        await group.WriteAsync<double>(PredictionLogSchema.LatencyMs, Column(rows, r => r.LatencyMs), cancellationToken: cancellationToken);
        await group.WriteAsync(PredictionLogSchema.Inputs, Column(rows, r => r.Inputs));
        await group.WriteAsync(PredictionLogSchema.Prediction, Column(rows, r => r.Prediction));
        await group.WriteAsync<double>(PredictionLogSchema.Score, Column(rows, r => r.Score), cancellationToken: cancellationToken);
        await group.WriteAsync(PredictionLogSchema.Label, Column(rows, r => r.Label));
        group.CompleteValidate();
    }

    public static async Task WriteFeedbackAsync(
        IReadOnlyList<FeedbackRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        await using var file = await FileWriter.CreateAsync(PredictionLogSchema.Feedback, rows.Count, output, cancellationToken);
        var group = file.Group;
        await group.WriteAsync(PredictionLogSchema.PredictionId, Column(rows, r => r.PredictionId));
        await group.WriteAsync(PredictionLogSchema.Model, Column(rows, r => r.Model));
        await group.WriteAsync(PredictionLogSchema.Truth, Column(rows, r => r.Truth));
        await group.WriteAsync<DateTime>(PredictionLogSchema.ReceivedAt, Column(rows, r => Utc(r.ReceivedAt)), cancellationToken: cancellationToken);
        await group.WriteAsync(PredictionLogSchema.Source, Column(rows, r => r.Source));
        group.CompleteValidate();
    }

    // One writer and its single row group, disposed in the right order (group first, then the footer).
    private sealed class FileWriter(ParquetWriter writer, ParquetRowGroupWriter group) : IAsyncDisposable
    {
        public ParquetRowGroupWriter Group => group;

        public static async Task<FileWriter> CreateAsync(
            Parquet.Schema.ParquetSchema schema, int rows, Stream output, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(output);
            if (rows == 0) throw new ArgumentException("A prediction log file holds at least one row.", nameof(rows));
            var writer = await ParquetWriter.CreateAsync(schema, output, Options, append: false, cancellationToken);
            return new FileWriter(writer, writer.CreateRowGroup());
        }

        public async ValueTask DisposeAsync()
        {
            group.Dispose();
            await writer.DisposeAsync();
        }
    }

    private static T[] Column<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> pick)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = pick(rows[i]);
        return values;
    }

    // A Local or Unspecified time would be shifted or misread by other tools; the format says UTC.
    private static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
