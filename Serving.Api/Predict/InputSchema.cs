using System.Text;
using System.Text.Json;
using MlOps.ModelBundle.Features;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// A model's input columns, resolved once at load so the request parser never allocates to find a column:
/// UTF-8 names for the in-order fast path, a span-keyed lookup for any order.
/// </summary>
public sealed class InputSchema
{
    private readonly Dictionary<string, int> _index;

    public InputSchema(FeatureEncoder encoder)
    {
        Encoder = encoder;
        var columns = encoder.Columns;
        Names = new string[columns.Count];
        Utf8Names = new byte[columns.Count][];
        Utf8Members = new byte[columns.Count][];
        IsNumeric = new bool[columns.Count];
        _index = new Dictionary<string, int>(columns.Count, StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            Names[i] = columns[i].Name;
            Utf8Names[i] = Encoding.UTF8.GetBytes(columns[i].Name);
            Utf8Members[i] = Encoding.UTF8.GetBytes((i == 0 ? "\"" : ",\"") + columns[i].Name + "\":");
            IsNumeric[i] = columns[i].Kind == FeatureKind.Numeric;
            _index[columns[i].Name] = i;
        }
        MaxNameLength = Names.Length == 0 ? 0 : Names.Max(n => n.Length);
        // A name JSON must escape ('"', '\\', control characters) never appears as its raw bytes in a body.
        PlainNames = Names.Length > 0 && Names.All(n => !n.Any(c => c is '"' or '\\' or < ' '));
    }

    /// <summary>Whether every column name is written in JSON as its plain UTF-8 bytes (<see cref="PlainJsonRows"/>).</summary>
    public bool PlainNames { get; }

    public FeatureEncoder Encoder { get; }

    public int Count => Names.Length;

    public string[] Names { get; }

    public byte[][] Utf8Names { get; }

    /// <summary>
    /// Per column, how compact JSON writes its member up to the value: <c>"name":</c> for the first column,
    /// <c>,"name":</c> after it (only meaningful when <see cref="PlainNames"/>).
    /// </summary>
    public byte[][] Utf8Members { get; }

    public bool[] IsNumeric { get; }

    public int MaxNameLength { get; }

    public int IndexOf(ReadOnlySpan<char> name) =>
        _index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var i) ? i : -1;

    public int IndexOf(string name) => _index.GetValueOrDefault(name, -1);

    /// <summary>
    /// Column of the property name under the reader. Rows usually list columns in schema order, so the
    /// expected column is compared first (no lookup); otherwise the name is unescaped into a stack buffer.
    /// </summary>
    public int Resolve(ref Utf8JsonReader reader, int expected)
    {
        if ((uint)expected < (uint)Utf8Names.Length && reader.ValueTextEquals(Utf8Names[expected])) return expected;
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // An escape (\uXXXX) is at most 6 bytes per char: anything longer cannot unescape to a column name.
        if (length > MaxNameLength * 6L + 6) return -1;
        Span<char> buffer = stackalloc char[(int)length];
        var written = reader.CopyString(buffer);
        return IndexOf(buffer[..written]);
    }
}
