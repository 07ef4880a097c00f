using System.Buffers;

namespace MlOps.PredictionLog;

/// <summary>
/// A text column kept as UTF-8 bytes end to end: values appended back to back in one growing buffer, with their
/// end offsets. The buffers are the column's own (not pooled): a column is cleared and refilled, so after its first
/// batch it no longer allocates, and a shared pool would keep every size it grew through. A logged row's JSON goes from the request body into the file without a string per value;
/// <see cref="IBufferWriter{T}"/> lets a <c>Utf8JsonWriter</c> write a value in place, closed by <see cref="EndValue"/>.
/// </summary>
public sealed class Utf8Column : IBufferWriter<byte>
{
    private byte[] _bytes = [];
    private int[] _ends = [];
    private int _length;

    public int Count { get; private set; }

    /// <summary>Bytes held, all values together.</summary>
    public int Length => _length;

    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            var start = index == 0 ? 0 : _ends[index - 1];
            return _bytes.AsSpan(start, _ends[index] - start);
        }
    }

    public void Add(ReadOnlySpan<byte> value)
    {
        value.CopyTo(GetSpan(value.Length));
        Advance(value.Length);
        EndValue();
    }

    /// <summary>Closes the value written through <see cref="IBufferWriter{T}"/> since the last one.</summary>
    public void EndValue()
    {
        if (Count == _ends.Length) Grow(ref _ends, Math.Max(256, Count * 2));
        _ends[Count++] = _length;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_length + count > _bytes.Length) throw new InvalidOperationException("Advanced past the buffer obtained.");
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsSpan(_length);
    }

    /// <summary>Keeps the first <paramref name="count"/> values (and drops a value being written).</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        Count = count;
        _length = count == 0 ? 0 : _ends[count - 1];
    }

    /// <summary>Empties the column and keeps its buffers for the next batch.</summary>
    public void Clear()
    {
        _length = 0;
        Count = 0;
    }

    private void Reserve(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 256);
        if (needed > _bytes.Length) Grow(ref _bytes, Math.Max(needed, Math.Max(64 * 1024, _bytes.Length * 2)));
    }

    private static void Grow<T>(ref T[] array, int size)
    {
        var bigger = GC.AllocateUninitializedArray<T>(size);
        array.AsSpan().CopyTo(bigger);
        array = bigger;
    }
}
