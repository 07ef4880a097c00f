using System.Security.Cryptography;
using System.Text;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// A CSV file in memory: header plus rows of raw cells. RFC 4180 (quotes, doubled quotes, line breaks inside
/// quotes, CRLF or LF). An empty cell, quoted or not, is missing (null); every other text, "None" included, is
/// kept as it is, since R and pandas disagree on what else means missing.
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
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var text = new StringBuilder();
        var buffer = new byte[81920];
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int read;
        while ((read = await csv.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            var n = decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
            text.Append(chars, 0, n);
        }
        var tail = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        text.Append(chars, 0, tail);
        if (text.Length > 0 && text[0] == '\uFEFF') text.Remove(0, 1);
        var table = Parse(text.ToString());
        return new CsvTable(table.Header, table.Rows) { Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()) };
    }

    /// <summary>Parses CSV text; throws <see cref="InvalidDataException"/> with the line number when malformed.</summary>
    public static CsvTable Parse(string text)
    {
        var records = new List<string?[]>();
        var fields = new List<string?>();
        var field = new StringBuilder();
        var quoted = false;
        var inQuotes = false;
        var line = 1;
        var i = 0;

        void EndField()
        {
            fields.Add(field.Length == 0 ? null : field.ToString());
            field.Clear();
            quoted = false;
        }

        void EndRecord()
        {
            EndField();
            // A blank line (one empty field) carries no record.
            if (!(fields.Count == 1 && fields[0] is null)) records.Add(fields.ToArray());
            fields.Clear();
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    inQuotes = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !quoted:
                    inQuotes = quoted = true;
                    break;
                case '"':
                    throw new InvalidDataException($"CSV line {line}: a quote inside an unquoted field.");
                case ',':
                    EndField();
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n' or '\r':
                    EndRecord();
                    line++;
                    break;
                default:
                    if (quoted) throw new InvalidDataException($"CSV line {line}: text after a closing quote.");
                    field.Append(c);
                    break;
            }
            i++;
        }
        if (inQuotes) throw new InvalidDataException($"CSV line {line}: a quoted field is not closed.");
        if (field.Length > 0 || fields.Count > 0 || quoted) EndRecord();

        if (records.Count == 0) throw new InvalidDataException("The CSV is empty: no header row.");
        var header = records[0].Select((h, index) => h ?? throw new InvalidDataException($"CSV header: column {index + 1} has no name.")).ToArray();
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"CSV header: column '{duplicate.Key}' appears twice.");
        records.RemoveAt(0);
        for (var r = 0; r < records.Count; r++)
        {
            if (records[r].Length != header.Length)
                throw new InvalidDataException($"CSV data row {r + 1} has {records[r].Length} fields, the header has {header.Length}.");
        }
        return new CsvTable(header, records);
    }
}
