namespace MlOps.Training.Worker.Training;

/// <summary>
/// Reads CSV one record at a time (RFC 4180: quotes, doubled quotes, line breaks inside quotes, CRLF or LF), so a
/// dataset never has to fit in memory as text. An empty cell, quoted or not, is missing; every other text, "None"
/// included, is kept as it is. A blank line carries no record. Malformed input throws
/// <see cref="InvalidDataException"/> with the line number.
/// </summary>
public sealed class CsvReader : ICsvRecords
{
    private readonly TextReader _reader;
    private readonly char[] _block = new char[65536];
    private int _blockLength;
    private int _blockPosition;
    private bool _first = true;

    // The current record: its fields' chars back to back, each field's start and length.
    private char[] _chars = new char[1024];
    private int _length;
    private int[] _starts = new int[64];
    private int[] _lengths = new int[64];

    /// <summary>Reads the header record; throws when there is none, a column has no name or a name repeats.</summary>
    public CsvReader(TextReader reader)
    {
        _reader = reader;
        if (!Read()) throw new InvalidDataException("The CSV is empty: no header row.");
        var header = new string[FieldCount];
        for (var i = 0; i < header.Length; i++)
            header[i] = GetString(i) ?? throw new InvalidDataException($"CSV header: column {i + 1} has no name.");
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"CSV header: column '{duplicate.Key}' appears twice.");
        Header = header;
    }

    public IReadOnlyList<string> Header { get; }

    /// <summary>Fields in the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>1-based line the reader has reached (for error messages).</summary>
    public int Line { get; private set; } = 1;

    /// <summary>A field of the current record; empty when missing.</summary>
    public ReadOnlySpan<char> this[int field] => _chars.AsSpan(_starts[field], _lengths[field]);

    public bool IsMissing(int field) => _lengths[field] == 0;

    public string? GetString(int field) => IsMissing(field) ? null : new string(this[field]);

    /// <summary>Moves to the next record; false at the end of the input.</summary>
    public bool Read()
    {
        while (true)
        {
            var any = ReadRecord();
            // A blank line (one empty field) carries no record.
            if (FieldCount == 1 && _lengths[0] == 0)
            {
                if (!any) return false;
                continue;
            }
            if (FieldCount == 0) return false;
            if (Header is not null && FieldCount != Header.Count)
                throw new InvalidDataException($"CSV data row {_dataRows + 1} has {FieldCount} fields, the header has {Header.Count}.");
            if (Header is not null) _dataRows++;
            return true;
        }
    }

    private int _dataRows;

    /// <summary>Reads up to the end of a record; false when the input ended.</summary>
    private bool ReadRecord()
    {
        _length = 0;
        FieldCount = 0;
        var fieldStart = 0;
        var quoted = false;
        var inQuotes = false;
        var sawAny = false;
        while (true)
        {
            if (_blockPosition == _blockLength && !Fill())
            {
                if (inQuotes) throw new InvalidDataException($"CSV line {Line}: a quoted field is not closed.");
                if (sawAny) EndField(fieldStart);
                else FieldCount = 0;
                return false;
            }
            var c = _block[_blockPosition++];
            sawAny = true;
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (Peek() == '"') { Append('"'); _blockPosition++; continue; }
                    inQuotes = false;
                }
                else
                {
                    if (c == '\n') Line++;
                    Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when _length == fieldStart && !quoted:
                    inQuotes = quoted = true;
                    break;
                case '"':
                    throw new InvalidDataException($"CSV line {Line}: a quote inside an unquoted field.");
                case ',':
                    EndField(fieldStart);
                    fieldStart = _length;
                    quoted = false;
                    break;
                case '\r' when Peek() == '\n':
                    break;
                case '\n' or '\r':
                    EndField(fieldStart);
                    Line++;
                    return true;
                default:
                    if (quoted) throw new InvalidDataException($"CSV line {Line}: text after a closing quote.");
                    Append(c);
                    break;
            }
        }
    }

    private int Peek()
    {
        if (_blockPosition == _blockLength && !Fill()) return -1;
        return _block[_blockPosition];
    }

    private bool Fill()
    {
        _blockLength = _reader.Read(_block, 0, _block.Length);
        _blockPosition = 0;
        if (_first && _blockLength > 0)
        {
            _first = false;
            if (_block[0] == '\uFEFF') _blockPosition = 1;
        }
        return _blockLength > _blockPosition || (_blockLength > 0 && Fill());
    }

    private void Append(char c)
    {
        if (_length == _chars.Length) Array.Resize(ref _chars, _chars.Length * 2);
        _chars[_length++] = c;
    }

    private void EndField(int start)
    {
        if (FieldCount == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }
        _starts[FieldCount] = start;
        _lengths[FieldCount] = _length - start;
        FieldCount++;
    }

    public void Dispose() => _reader.Dispose();
}
