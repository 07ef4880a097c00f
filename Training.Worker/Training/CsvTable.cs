
namespace MlOps.Training.Worker.Training;

/// <summary>
/// A small CSV in memory: header plus rows of raw cells (parsed by <see cref="CsvReader"/>: an empty cell is
/// missing, null). For tests, tools and examples; the worker streams datasets through <see cref="DatasetFile"/>
/// instead, since a string per cell costs about ten times the file's size.
/// </summary>
public sealed class CsvTable
{
    public CsvTable(IReadOnlyList<string> header, List<string?[]> rows)
    {
        Header = header;
        Rows = rows;
    }

    public IReadOnlyList<string> Header { get; }

    public List<string?[]> Rows { get; }

    /// <summary>Hex sha256 of the bytes read (set by <see cref="ReadAsync"/>).</summary>
    public string Sha256 { get; private init; } = "";

    public int IndexOf(string column)
    {
        for (var i = 0; i < Header.Count; i++)
            if (string.Equals(Header[i], column, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>Reads a whole CSV stream, hashing the bytes as they pass.</summary>
    public static async Task<CsvTable> ReadAsync(Stream csv, CancellationToken ct)
    {
        using var bytes = new MemoryStream();
        var sha256 = await DatasetFile.CopyHashedAsync(csv, bytes, ct);
        bytes.Position = 0;
        var table = Read(DatasetFile.OpenText(bytes));
        return new CsvTable(table.Header, table.Rows) { Sha256 = sha256 };
    }

    /// <summary>Parses CSV text; throws <see cref="InvalidDataException"/> with the line number when malformed.</summary>
    public static CsvTable Parse(string text) => Read(new StringReader(text));

    private static CsvTable Read(TextReader text)
    {
        using var reader = new CsvReader(text);
        var rows = new List<string?[]>();
        while (reader.Read())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.GetString(i);
            rows.Add(row);
        }
        return new CsvTable(reader.Header, rows);
    }
}
