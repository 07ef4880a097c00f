using System.Buffers;
using System.Text;
using Parquet;

namespace MlOps.PredictionLog;

/// <summary>Writes rows as one Parquet file to a stream; the stream stays open.</summary>
public static class PredictionLogWriter
{
    // Snappy: cheap on CPU (the writer runs on the serving host) and read by every Parquet tool.
    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy };

    /// <summary>
    /// Rows per row group of a predictions file: bounds the text decoded at once (Parquet.Net takes UTF-16) to a few
    /// MB however large the batch, so the writer's buffers are reused rather than grown per file.
    /// </summary>
    public const int RowGroupRows = 2048;

    public static async Task WritePredictionsAsync(
        IReadOnlyList<PredictionLogRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        await WritePredictionsAsync(PredictionLogBatch.From(rows), output, cancellationToken);
    }

    public static async Task WritePredictionsAsync(
        PredictionLogBatch batch, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Count == 0) throw new ArgumentException("A prediction log file holds at least one row.", nameof(batch));
        using var text = new TextColumns();
        await using var writer = await ParquetWriter.CreateAsync(PredictionLogSchema.Predictions, output, Options, append: false, cancellationToken);
        for (var from = 0; from < batch.Count; from += RowGroupRows)
        {
            var count = Math.Min(RowGroupRows, batch.Count - from);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(PredictionLogSchema.PredictionId, text.Decode(batch.Ids, from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Model, text.Wrap(batch.Models.Slice(from, count)), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Version, batch.Versions.Slice(from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Alias, text.Wrap(batch.Aliases.Slice(from, count)), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Arm, text.WrapNullable(batch.Arms.Slice(from, count)), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Timestamp, batch.Timestamps.Slice(from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.LatencyMs, batch.Latencies.Slice(from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Inputs, text.Decode(batch.Inputs, from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Prediction, text.Decode(batch.Predictions, from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Score, batch.Scores.Slice(from, count), cancellationToken: cancellationToken);
            await group.WriteAsync(PredictionLogSchema.Label, text.WrapNullable(batch.Labels.Slice(from, count)), cancellationToken: cancellationToken);
            group.CompleteValidate();
        }
    }

    public static async Task WriteFeedbackAsync(
        IReadOnlyList<FeedbackRow> rows, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (rows.Count == 0) throw new ArgumentException("A prediction log file holds at least one row.", nameof(rows));
        await using var writer = await ParquetWriter.CreateAsync(PredictionLogSchema.Feedback, output, Options, append: false, cancellationToken);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(PredictionLogSchema.PredictionId, Column(rows, r => r.PredictionId));
        await group.WriteAsync(PredictionLogSchema.Model, Column(rows, r => r.Model));
        await group.WriteAsync(PredictionLogSchema.Truth, Column(rows, r => r.Truth));
        await group.WriteAsync<DateTime>(PredictionLogSchema.ReceivedAt, Column(rows, r => PredictionLogBatch.Utc(r.ReceivedAt)), cancellationToken: cancellationToken);
        await group.WriteAsync(PredictionLogSchema.Source, Column(rows, r => r.Source));
        group.CompleteValidate();
    }

    private static T[] Column<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> pick)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = pick(rows[i]);
        return values;
    }

    /// <summary>
    /// Text values as Parquet.Net wants them (<see cref="ReadOnlyMemory{T}"/> of chars), over buffers rented once per
    /// file: UTF-8 columns decoded into one char buffer, shared strings wrapped as they are.
    /// </summary>
    private sealed class TextColumns : IDisposable
    {
        private char[] _chars = [];
        private ReadOnlyMemory<char>[] _values = [];
        private ReadOnlyMemory<char>?[] _nullable = [];

        public ReadOnlyMemory<ReadOnlyMemory<char>> Decode(Utf8Column column, int from, int count)
        {
            var bytes = 0;
            for (var i = 0; i < count; i++) bytes += column[from + i].Length;
            Ensure(ref _chars, bytes); // UTF-8 never decodes to more UTF-16 code units than it has bytes
            Ensure(ref _values, count);
            var used = 0;
            for (var i = 0; i < count; i++)
            {
                var chars = Encoding.UTF8.GetChars(column[from + i], _chars.AsSpan(used));
                _values[i] = _chars.AsMemory(used, chars);
                used += chars;
            }
            return _values.AsMemory(0, count);
        }

        public ReadOnlyMemory<ReadOnlyMemory<char>> Wrap(ReadOnlyMemory<string> strings)
        {
            Ensure(ref _values, strings.Length);
            var span = strings.Span;
            for (var i = 0; i < span.Length; i++) _values[i] = span[i].AsMemory();
            return _values.AsMemory(0, span.Length);
        }

        public ReadOnlyMemory<ReadOnlyMemory<char>?> WrapNullable(ReadOnlyMemory<string?> strings)
        {
            Ensure(ref _nullable, strings.Length);
            var span = strings.Span;
            // Typed: a bare null would convert to an empty ReadOnlyMemory (through char[]), not to a missing value.
            for (var i = 0; i < span.Length; i++) _nullable[i] = span[i] is { } s ? s.AsMemory() : (ReadOnlyMemory<char>?)null;
            return _nullable.AsMemory(0, span.Length);
        }

        public void Dispose()
        {
            Return(ref _chars);
            Return(ref _values);
            Return(ref _nullable);
        }

        private static void Ensure<T>(ref T[] array, int size)
        {
            if (array.Length >= size) return;
            Return(ref array);
            array = ArrayPool<T>.Shared.Rent(size);
        }

        private static void Return<T>(ref T[] array)
        {
            if (array.Length > 0) ArrayPool<T>.Shared.Return(array, clearArray: typeof(T) != typeof(char));
            array = [];
        }
    }
}
