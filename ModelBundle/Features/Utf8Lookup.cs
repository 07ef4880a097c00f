using System.Buffers.Binary;
using System.Text;

namespace MlOps.ModelBundle.Features;

/// <summary>
/// Strings to indices, looked up by their UTF-8 bytes: request text straight from the body, with no transcoding to
/// chars and no string. Open addressing over a power-of-two table; a later duplicate key wins (as a dictionary's
/// indexer set would).
/// </summary>
public sealed class Utf8Lookup
{
    private readonly byte[][] _keys;
    private readonly int[] _values;
    /// <summary>Index into <see cref="_keys"/> per slot, -1 for an empty slot.</summary>
    private readonly int[] _slots;
    private readonly int _mask;

    public Utf8Lookup(IReadOnlyList<string> keys)
    {
        var size = 4;
        while (size < keys.Count * 2) size *= 2;
        _slots = new int[size];
        Array.Fill(_slots, -1);
        _mask = size - 1;
        var stored = new List<byte[]>(keys.Count);
        var values = new List<int>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = Encoding.UTF8.GetBytes(keys[i]);
            var slot = (int)Hash(key) & _mask;
            while (_slots[slot] >= 0 && !stored[_slots[slot]].AsSpan().SequenceEqual(key)) slot = (slot + 1) & _mask;
            if (_slots[slot] >= 0) values[_slots[slot]] = i;
            else
            {
                _slots[slot] = stored.Count;
                stored.Add(key);
                values.Add(i);
            }
        }
        _keys = [.. stored];
        _values = [.. values];
    }

    /// <summary>The index of the key with exactly these bytes, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key)
    {
        var slot = (int)Hash(key) & _mask;
        while (true)
        {
            var index = _slots[slot];
            if (index < 0) return -1;
            if (key.SequenceEqual(_keys[index])) return _values[index];
            slot = (slot + 1) & _mask;
        }
    }

    // Length, first and last 8 bytes: enough to spread category names, cheap for long ones; collisions just probe on.
    private static uint Hash(ReadOnlySpan<byte> key)
    {
        const ulong K = 0x9E3779B97F4A7C15;
        var h = (ulong)key.Length * K;
        if (key.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * K;
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key[^8..])) * K;
        }
        else if (key.Length >= 4)
            h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(key) ^ ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(key[^4..]) << 32)) * K;
        else
            foreach (var b in key) h = (h ^ b) * K;
        return (uint)(h >> 32);
    }
}
