using System.Buffers;
using System.Collections;
using System.Text.Json;
using MlOps.Registry.Client.Serving;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// Per-request working memory, pooled per loaded model (vectors have that model's length): encoded rows,
/// categorical level codes (for drift), results and the response buffer. Nothing here is allocated per request.
/// </summary>
public sealed class PredictScratch : IReadOnlyList<float[]>
{
    /// <summary>Level code of a missing categorical value; -1 is an unknown level.</summary>
    public const int MissingLevel = -2;

    private readonly int _vectorLength;
    private readonly int _columns;
    private float[][] _vectors = [];
    private int[][] _levels = [];
    private long[] _rowSpans = [];

    public PredictScratch(int vectorLength, int columns)
    {
        _vectorLength = vectorLength;
        _columns = columns;
        Seen = new bool[columns];
        Writer = new Utf8JsonWriter(Output, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>Rows parsed so far (the list <see cref="MlOps.ModelBundle.Scoring.ScoringModel"/> scores).</summary>
    public int Count { get; set; }

    public bool[] Seen { get; }

    public Prediction[] Results { get; private set; } = [];

    public ArrayBufferWriter<byte> Output { get; } = new(4096);

    public Utf8JsonWriter Writer { get; }

    public float[] this[int index] => _vectors[index];

    public float[] Vector(int row)
    {
        EnsureRows(row + 1);
        return _vectors[row];
    }

    public int[] Levels(int row)
    {
        EnsureRows(row + 1);
        return _levels[row];
    }

    /// <summary>
    /// Where each parsed row's JSON object lies in the request body (start, end byte positions), so the prediction log
    /// can copy a row's inputs as sent without parsing the body again.
    /// </summary>
    public ReadOnlySpan<long> RowSpans => _rowSpans.AsSpan(0, 2 * Count);

    public void SetRowSpan(int row, long start, long end)
    {
        EnsureRows(row + 1);
        _rowSpans[2 * row] = start;
        _rowSpans[2 * row + 1] = end;
    }

    public Span<Prediction> ResultsFor(int rows)
    {
        if (Results.Length < rows) Results = new Prediction[Math.Max(rows, Results.Length * 2)];
        return Results.AsSpan(0, rows);
    }

    public void Reset()
    {
        Count = 0;
        Output.ResetWrittenCount();
        Writer.Reset(Output);
    }

    private void EnsureRows(int rows)
    {
        if (_vectors.Length >= rows) return;
        var size = Math.Max(rows, Math.Max(4, _vectors.Length * 2));
        var vectors = new float[size][];
        var levels = new int[size][];
        _vectors.CopyTo(vectors, 0);
        _levels.CopyTo(levels, 0);
        for (var i = _vectors.Length; i < size; i++)
        {
            vectors[i] = new float[_vectorLength];
            levels[i] = new int[_columns];
        }
        _vectors = vectors;
        _levels = levels;
        Array.Resize(ref _rowSpans, 2 * size);
    }

    public IEnumerator<float[]> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return _vectors[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
