using System.Text;

namespace MlOps.PredictionLog;

/// <summary>
/// Rows of a predictions file in columns, ready for <see cref="PredictionLogWriter"/>: per-row values in arrays, <c>inputs</c> and <c>prediction</c> as UTF-8 (<see cref="Utf8Column"/>). Made to be filled, written and
/// cleared again and again by a busy serving process without an object per row; <see cref="PredictionLogRow"/>
/// is the one-object-per-row form for everything else.
/// </summary>
public sealed class PredictionLogBatch
{
    private string[] _models = [];
    private int[] _versions = [];
    private string[] _aliases = [];
    private string?[] _arms = [];
    private DateTime[] _timestamps = [];
    private double[] _latencies = [];
    private double?[] _scores = [];
    private string?[] _labels = [];

    public int Count { get; private set; }

    /// <summary>Each row's input JSON object; add it before calling <see cref="Add"/>.</summary>
    public Utf8Column Inputs { get; } = new();

    /// <summary>Each row's prediction id as text.</summary>
    public Utf8Column Ids { get; } = new();

    /// <summary>Each row's prediction JSON; add it before calling <see cref="Add"/>.</summary>
    public Utf8Column Predictions { get; } = new();

    public ReadOnlyMemory<string> Models => _models.AsMemory(0, Count);
    public ReadOnlyMemory<int> Versions => _versions.AsMemory(0, Count);
    public ReadOnlyMemory<string> Aliases => _aliases.AsMemory(0, Count);
    public ReadOnlyMemory<string?> Arms => _arms.AsMemory(0, Count);
    public ReadOnlyMemory<DateTime> Timestamps => _timestamps.AsMemory(0, Count);
    public ReadOnlyMemory<double> Latencies => _latencies.AsMemory(0, Count);
    public ReadOnlyMemory<double?> Scores => _scores.AsMemory(0, Count);
    public ReadOnlyMemory<string?> Labels => _labels.AsMemory(0, Count);

    /// <summary>
    /// Completes a row whose <see cref="Inputs"/> and <see cref="Predictions"/> values were added first. Text values
    /// are kept by reference (a process's model names, aliases and class labels are shared, not copied per row).
    /// </summary>
    public void Add(Guid id, string model, int version, string alias, string? arm, DateTime timestamp, double latencyMs,
        double? score, string? label)
    {
        var text = Ids.GetSpan(36);
        if (!id.TryFormat(text, out var written, "D")) throw new InvalidOperationException("A prediction id did not format.");
        Ids.Advance(written);
        Ids.EndValue();
        AddRow(model, version, alias, arm, timestamp, latencyMs, score, label);
    }

    private void AddRow(string model, int version, string alias, string? arm, DateTime timestamp, double latencyMs,
        double? score, string? label)
    {
        if (Inputs.Count != Count + 1 || Predictions.Count != Count + 1 || Ids.Count != Count + 1)
            throw new InvalidOperationException("Add the row's inputs and prediction JSON before the row.");
        if (Count == _models.Length) Grow(Math.Max(256, Count * 2));
        var i = Count++;
        _models[i] = model;
        _versions[i] = version;
        _aliases[i] = alias;
        _arms[i] = arm;
        _timestamps[i] = Utc(timestamp);
        _latencies[i] = latencyMs;
        _scores[i] = score;
        _labels[i] = label;
    }

    /// <summary>The rows of <paramref name="rows"/> (UTF-8 encoded once here).</summary>
    public static PredictionLogBatch From(IReadOnlyList<PredictionLogRow> rows)
    {
        var batch = new PredictionLogBatch();
        foreach (var row in rows)
        {
            AddText(batch.Inputs, row.Inputs);
            AddText(batch.Predictions, row.Prediction);
            AddText(batch.Ids, row.PredictionId);
            batch.AddRow(row.Model, row.Version, row.Alias, row.Arm, row.Timestamp, row.LatencyMs, row.Score, row.Label);
        }
        return batch;
    }

    /// <summary>Keeps the first <paramref name="count"/> rows: undoes rows added (or half added) after them.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        _models.AsSpan(count, Count - count).Clear();
        _aliases.AsSpan(count, Count - count).Clear();
        _arms.AsSpan(count, Count - count).Clear();
        _labels.AsSpan(count, Count - count).Clear();
        Count = count;
        Ids.Truncate(Math.Min(count, Ids.Count));
        Inputs.Truncate(Math.Min(count, Inputs.Count));
        Predictions.Truncate(Math.Min(count, Predictions.Count));
    }

    /// <summary>Empties the batch and keeps its buffers for the next one.</summary>
    // References are cleared so that a kept batch does not hold on to an old model's strings.
    public void Clear() => Truncate(0);

    // A Local or Unspecified time would be shifted or misread by other tools; the format says UTC.
    internal static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private static void AddText(Utf8Column column, string text)
    {
        var span = column.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        column.Advance(Encoding.UTF8.GetBytes(text, span));
        column.EndValue();
    }

    private void Grow(int size)
    {
        Grow(ref _models, size);
        Grow(ref _versions, size);
        Grow(ref _aliases, size);
        Grow(ref _arms, size);
        Grow(ref _timestamps, size);
        Grow(ref _latencies, size);
        Grow(ref _scores, size);
        Grow(ref _labels, size);
    }

    private void Grow<T>(ref T[] array, int size)
    {
        var bigger = new T[size];
        array.AsSpan(0, Count).CopyTo(bigger);
        array = bigger;
    }
}
