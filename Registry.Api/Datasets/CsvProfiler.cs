using System.Buffers;
using System.Globalization;
using System.Text;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client.Datasets;

namespace MlOps.Registry.Api.Datasets;

/// <summary>The CSV is not one the registry can profile (no header, ragged rows...): a 400.</summary>
public sealed class CsvFormatException(string message) : Exception(message);

/// <summary>
/// Push-based RFC 4180 CSV profiler: fed chunks as they stream to S3, it computes rows, the schema (numeric when
/// every non-missing value parses as an invariant-culture number, else categorical), missing counts and per-column
/// stats in one pass and bounded memory (level counting stops at <see cref="MaxTrackedLevels"/> per column).
/// </summary>
public sealed class CsvProfiler : IUploadObserver
{
    public const int MaxTrackedLevels = 1000;
    public const int MaxReportedLevels = 50;
    public const int MaxFieldBytes = 64 * 1024;
    /// <summary>Unquoted markers that mean "missing" besides an empty field. Quoted text is always a value
    /// (ames_housing has a real level "None").</summary>
    private static readonly string[] MissingMarkers = ["NA", "NaN"];

    private readonly ArrayBufferWriter<byte> field = new(256);
    private readonly List<string> header = [];
    private readonly List<ColumnStats> columns = [];
    private char[] chars = new char[256];
    private bool inQuotes;
    private bool quotePending;
    private bool fieldWasQuoted;
    private int columnIndex;
    private bool rowHasContent;
    private long rows;
    private long line = 1;
    private bool crPending;
    private readonly byte[] prefix = new byte[3];
    private int prefixCount;
    private bool started;
    /// <summary>Fields are decoded strictly: invalid UTF-8 is refused rather than stored as U+FFFD.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public long Rows => rows;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (!started)
        {
            // The first bytes decide the encoding: a UTF-8 BOM is dropped (as the worker drops it), UTF-16 is refused.
            while (prefixCount < prefix.Length && !chunk.IsEmpty)
            {
                prefix[prefixCount++] = chunk[0];
                chunk = chunk[1..];
            }
            if (prefixCount < prefix.Length)
            {
                return;
            }
            Start();
        }
        foreach (var b in chunk)
        {
            Process(b);
        }
    }

    private void Start()
    {
        started = true;
        var first = prefix.AsSpan(0, prefixCount);
        if (first.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || first.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            throw new CsvFormatException("The file starts with a UTF-16 byte-order mark: the registry takes UTF-8 CSV only; save it as UTF-8.");
        }
        if (first.SequenceEqual((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return;
        }
        foreach (var b in first)
        {
            Process(b);
        }
    }

    private void Process(byte b)
    {
        if (b == 0)
        {
            throw new CsvFormatException($"Line {line} holds a NUL byte (0x00): the registry takes UTF-8 CSV text only (a UTF-16 file has NUL bytes; "
                + "save it as UTF-8), and NUL cannot be stored.");
        }
        if (crPending)
        {
            crPending = false;
            if (b == (byte)'\n')
            {
                return; // the LF of a CRLF
            }
        }
        if (inQuotes)
        {
            if (quotePending)
            {
                quotePending = false;
                if (b == (byte)'"')
                {
                    AddByte(b);
                    return;
                }
                inQuotes = false;
                // fall through: b is the byte after the closing quote
            }
            else if (b == (byte)'"')
            {
                quotePending = true;
                return;
            }
            else
            {
                if (b == (byte)'\n')
                {
                    line++;
                }
                AddByte(b);
                return;
            }
        }
        switch (b)
        {
            case (byte)'"' when field.WrittenCount == 0 && !fieldWasQuoted:
                inQuotes = true;
                fieldWasQuoted = true;
                rowHasContent = true;
                break;
            case (byte)',':
                EndField();
                break;
            case (byte)'\n':
                EndRow();
                line++;
                break;
            case (byte)'\r':
                // CRLF, LF and CR-only line endings all end a row, as in the worker's reader.
                EndRow();
                line++;
                crPending = true;
                break;
            default:
                rowHasContent = true;
                AddByte(b);
                break;
        }
    }

    public void Complete()
    {
        if (!started)
        {
            Start();
        }
        if (inQuotes && !quotePending)
        {
            throw new CsvFormatException($"Unterminated quoted field at line {line}.");
        }
        inQuotes = false;
        quotePending = false;
        EndRow();
        if (header.Count == 0)
        {
            throw new CsvFormatException("The CSV is empty: a header row is required.");
        }
    }

    public IReadOnlyList<DatasetColumn> Columns() => columns.Select((c, i) => c.ToContract(header[i])).ToList();

    private void AddByte(byte b)
    {
        if (field.WrittenCount >= MaxFieldBytes)
        {
            throw new CsvFormatException($"A field at line {line} is longer than {MaxFieldBytes} bytes.");
        }
        field.GetSpan(1)[0] = b;
        field.Advance(1);
    }

    private void EndField()
    {
        rowHasContent = true;
        var bytes = field.WrittenSpan;
        if (chars.Length < bytes.Length)
        {
            chars = new char[Math.Max(bytes.Length, chars.Length * 2)];
        }
        int n;
        try
        {
            n = StrictUtf8.GetChars(bytes, chars);
        }
        catch (DecoderFallbackException)
        {
            throw new CsvFormatException($"Line {line}, field {columnIndex + 1} is not valid UTF-8: the registry takes UTF-8 CSV text only "
                + "(is this a binary file, or a CSV saved as Latin-1 or UTF-16?).");
        }
        ReadOnlySpan<char> value = chars.AsSpan(0, n);
        if (!fieldWasQuoted)
        {
            value = value.Trim();
        }
        if (IsHeaderRow)
        {
            header.Add(value.ToString());
        }
        else
        {
            if (columnIndex >= columns.Count)
            {
                throw new CsvFormatException($"Line {line} has more fields than the header's {header.Count}.");
            }
            columns[columnIndex].Add(value, fieldWasQuoted);
        }
        columnIndex++;
        field.ResetWrittenCount();
        fieldWasQuoted = false;
    }

    private bool IsHeaderRow => columns.Count == 0;

    private void EndRow()
    {
        if (!rowHasContent && columnIndex == 0 && field.WrittenCount == 0)
        {
            return; // blank line
        }
        EndField();
        if (columns.Count == 0)
        {
            ValidateHeader();
            columns.AddRange(header.Select(_ => new ColumnStats()));
        }
        else
        {
            if (columnIndex != header.Count)
            {
                throw new CsvFormatException($"Line {line} has {columnIndex} fields; the header has {header.Count}.");
            }
            rows++;
        }
        columnIndex = 0;
        rowHasContent = false;
    }

    private void ValidateHeader()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in header)
        {
            if (name.Length == 0 || name.Length > 256 || name.Any(char.IsControl))
            {
                throw new CsvFormatException($"Header names must be 1-256 characters without control characters; column {header.IndexOf(name) + 1} is "
                    + (name.Length == 0 ? "empty." : name.Length > 256 ? $"{name.Length} characters long." : "holding a control character."));
            }
            if (!seen.Add(name))
            {
                throw new CsvFormatException($"Header name '{name}' appears twice.");
            }
        }
    }

    private sealed class ColumnStats
    {
        private readonly Dictionary<string, long> levels = new(StringComparer.Ordinal);
        private bool numeric = true;
        private bool levelsOverflowed;
        private long missing;
        private long count;
        private double mean;
        private double m2;
        private double min = double.PositiveInfinity;
        private double max = double.NegativeInfinity;

        public void Add(ReadOnlySpan<char> value, bool quoted)
        {
            if (value.IsEmpty || (!quoted && IsMissing(value)))
            {
                missing++;
                return;
            }
            if (numeric)
            {
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    // Welford: stable mean and variance in one pass.
                    count++;
                    var delta = d - mean;
                    mean += delta / count;
                    m2 += delta * (d - mean);
                    min = Math.Min(min, d);
                    max = Math.Max(max, d);
                }
                else
                {
                    numeric = false;
                }
            }
            var lookup = levels.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(value, out var c))
            {
                lookup[value] = c + 1;
            }
            else if (levels.Count < MaxTrackedLevels)
            {
                lookup[value] = 1;
            }
            else
            {
                levelsOverflowed = true;
            }
        }

        private static bool IsMissing(ReadOnlySpan<char> value)
        {
            foreach (var marker in MissingMarkers)
            {
                if (value.SequenceEqual(marker))
                {
                    return true;
                }
            }
            return false;
        }

        public DatasetColumn ToContract(string name)
        {
            if (numeric)
            {
                var stats = count == 0
                    ? null
                    : new NumericStats(min, max, mean, count > 1 ? Math.Sqrt(m2 / (count - 1)) : 0);
                return new DatasetColumn(name, ColumnTypes.Numeric, missing, stats, null);
            }
            var top = levels.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(MaxReportedLevels)
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            var truncated = levelsOverflowed || levels.Count > MaxReportedLevels;
            return new DatasetColumn(name, ColumnTypes.Categorical, missing, null, new CategoricalStats(levels.Count, top, truncated));
        }
    }
}
