namespace MlOps.ModelBundle.Features;

/// <summary>
/// Turns one row into the float vector the model was trained on. Training and serving both use this
/// class, so a row can never be encoded one way for training and another for serving.
/// </summary>
public sealed class FeatureEncoder
{
    private readonly int[] _offsets;
    private readonly Dictionary<string, int>[] _levelIndex;
    private readonly Utf8Lookup[] _utf8Levels;
    private readonly Dictionary<string, int> _columnIndex;

    public FeatureEncoder(IReadOnlyList<FeatureColumn> columns)
    {
        Columns = columns;
        _offsets = new int[columns.Count];
        _levelIndex = new Dictionary<string, int>[columns.Count];
        _utf8Levels = new Utf8Lookup[columns.Count];
        _columnIndex = new Dictionary<string, int>(columns.Count, StringComparer.Ordinal);
        var offset = 0;
        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            if (!_columnIndex.TryAdd(column.Name, i))
                throw new ArgumentException($"Duplicate feature column '{column.Name}'.", nameof(columns));
            _offsets[i] = offset;
            offset += column.Width;
            var levels = column.Levels ?? [];
            _levelIndex[i] = new Dictionary<string, int>(levels.Count, StringComparer.Ordinal);
            for (var l = 0; l < levels.Count; l++) _levelIndex[i][levels[l]] = l;
            _utf8Levels[i] = new Utf8Lookup(levels);
        }
        Length = offset;
    }

    public IReadOnlyList<FeatureColumn> Columns { get; }

    /// <summary>Length of the encoded vector.</summary>
    public int Length { get; }

    /// <summary>Index of a column by name, or -1.</summary>
    public int IndexOf(string column) => _columnIndex.GetValueOrDefault(column, -1);

    /// <summary>Whether a categorical column's value was seen in training (the encoder's levels).</summary>
    public bool IsKnownLevel(int column, string value) => _levelIndex[column].ContainsKey(value);

    /// <summary>Clears a row's slots: numeric to NaN (missing), categorical to zeros.</summary>
    public void Reset(Span<float> vector)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Kind == FeatureKind.Numeric) vector[_offsets[i]] = float.NaN;
            else vector.Slice(_offsets[i], Columns[i].Width).Clear();
        }
    }

    public void SetNumeric(Span<float> vector, int column, double? value) =>
        vector[_offsets[column]] = value is { } v ? (float)v : float.NaN;

    /// <summary>Sets a categorical column; returns false when the level is unknown (encoded as all zeros).</summary>
    public bool SetCategorical(Span<float> vector, int column, string? value)
    {
        var slots = vector.Slice(_offsets[column], Columns[column].Width);
        slots.Clear();
        if (value is null || !_levelIndex[column].TryGetValue(value, out var level)) return value is null;
        slots[level] = 1f;
        return true;
    }

    /// <summary>First slot of a column in the vector.</summary>
    public int OffsetOf(int column) => _offsets[column];

    /// <summary>Level index of a categorical value, or -1 when unknown; takes a span so a server can look up
    /// request text without allocating a string per value.</summary>
    public int LevelOf(int column, ReadOnlySpan<char> value) =>
        _levelIndex[column].GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(value, out var level) ? level : -1;

    /// <summary>Level index of a categorical value given as UTF-8 bytes (unescaped), or -1 when no level has exactly
    /// these bytes.</summary>
    public int LevelOf(int column, ReadOnlySpan<byte> utf8) => _utf8Levels[column].Find(utf8);

    /// <summary>Sets a categorical column by level index (<see cref="LevelOf"/>); -1 encodes as all zeros.</summary>
    public void SetLevel(Span<float> vector, int column, int level)
    {
        var slots = vector.Slice(_offsets[column], Columns[column].Width);
        slots.Clear();
        if (level >= 0) slots[level] = 1f;
    }

    /// <summary>Slot names, for feature importance reports ("Neighborhood=North_Ames").</summary>
    public IReadOnlyList<string> SlotNames()
    {
        var names = new List<string>(Length);
        foreach (var column in Columns)
        {
            if (column.Kind == FeatureKind.Numeric) names.Add(column.Name);
            else names.AddRange((column.Levels ?? []).Select(level => $"{column.Name}={level}"));
        }
        return names;
    }

    /// <summary>Which column a slot belongs to.</summary>
    public int ColumnOfSlot(int slot)
    {
        var index = Array.BinarySearch(_offsets, slot);
        if (index >= 0)
        {
            // Zero-width columns (a categorical with no level) share an offset with the next column.
            while (index + 1 < _offsets.Length && _offsets[index + 1] == slot) index++;
            return index;
        }
        return ~index - 1;
    }
}
