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

    public long Rows => rows;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        foreach (var b in chunk)
        {
            if (inQuotes)
            {
                if (quotePending)
                {
                    quotePending = false;
                    if (b == (byte)'"')
                    {
                        AddByte(b);
                        continue;
                    }
                    inQuotes = false;
                    // fall through: b is the byte after the closing quote
                }
                else if (b == (byte)'"')
                {
                    quotePending = true;
                    continue;
                }
                else
                {
                    if (b == (byte)'\n')
                    {
                        line++;
                    }
                    AddByte(b);
                    continue;
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
                    break;
                default:
                    rowHasContent = true;
                    AddByte(b);
                    break;
            }
        }
    }

    public void Complete()
    {
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
        var n = Encoding.UTF8.GetChars(bytes, chars);
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
                throw new CsvFormatException("Header names must be 1-256 characters without control characters.");
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
