namespace MlOps.Training.Worker.Training;

/// <summary>Data records, one at a time, after the header: a CSV as it streams in or a table already in memory.</summary>
public interface ICsvRecords : IDisposable
{
    IReadOnlyList<string> Header { get; }

    int FieldCount { get; }

    /// <summary>Moves to the next data record; false at the end.</summary>
    bool Read();

    /// <summary>A field of the current record; empty when missing.</summary>
    ReadOnlySpan<char> this[int field] { get; }

    bool IsMissing(int field);
}

/// <summary>The records of a <see cref="CsvTable"/>.</summary>
internal sealed class TableRecords(CsvTable table) : ICsvRecords
{
    private int _row = -1;

    public IReadOnlyList<string> Header => table.Header;

    public int FieldCount => table.Rows[_row].Length;

    public bool Read() => ++_row < table.Rows.Count;

    public ReadOnlySpan<char> this[int field] => table.Rows[_row][field];

    public bool IsMissing(int field) => table.Rows[_row][field] is null;

    public void Dispose()
    {
    }
}
