using System.Globalization;
using MlOps.Registry.Client.Datasets;

namespace MlOps.Training.Worker.Training;

/// <summary>How cells become values: the same rules the registry uses to type a dataset's columns.</summary>
public static class ColumnValues
{
    /// <summary>
    /// In a numeric column these mean missing, as the registry's profiler reads them when it types a column; in a
    /// categorical column only an empty cell does ("None" is a level in Ames).
    /// </summary>
    private static readonly HashSet<string> NumericMissing = new(StringComparer.OrdinalIgnoreCase) { "NA", "N/A", "NaN", "null", "None" };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NumericMissingSpan = NumericMissing.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool IsNumericMissing(string? cell) => cell is null || NumericMissing.Contains(cell);

    /// <summary>An empty span is a missing cell.</summary>
    public static bool IsNumericMissing(ReadOnlySpan<char> cell) => cell.IsEmpty || NumericMissingSpan.Contains(cell);

    public static bool TryParseNumber(ReadOnlySpan<char> cell, out double value) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>
    /// Column types from the dataset version's schema; columns it does not type are inferred from the cells, in one
    /// pass over the records (<paramref name="open"/> is not called when the schema types every column).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ResolveTypes(IReadOnlyList<string> header, IReadOnlyList<DatasetColumn>? schema, Func<ICsvRecords> open)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        if (schema is not null)
        {
            foreach (var column in schema) types[column.Name] = column.Type;
        }
        var untyped = Enumerable.Range(0, header.Count).Where(c => !types.ContainsKey(header[c])).ToList();
        if (untyped.Count == 0) return types;
        var numeric = untyped.ToDictionary(c => c, _ => true);
        using (var records = open())
        {
            while (records.Read())
            {
                foreach (var c in untyped)
                {
                    if (!numeric[c]) continue;
                    var cell = records[c];
                    if (!IsNumericMissing(cell) && !TryParseNumber(cell, out _)) numeric[c] = false;
                }
            }
        }
        foreach (var c in untyped) types[header[c]] = numeric[c] ? ColumnTypes.Numeric : ColumnTypes.Categorical;
        return types;
    }

    /// <summary>A numeric cell: null when missing; a clear error naming column, row and value otherwise.</summary>
    public static double? Number(string? cell, string column, int row) =>
        cell is null ? null : Number(cell.AsSpan(), column, row);

    /// <summary>A numeric cell (empty = missing): null when missing; a clear error naming column, row and value otherwise.</summary>
    public static double? Number(ReadOnlySpan<char> cell, string column, int row)
    {
        if (IsNumericMissing(cell)) return null;
        if (TryParseNumber(cell, out var value)) return value;
        throw new TrainingSpecException(
            $"Column '{column}' is numeric but data row {row + 1} holds '{Shorten(cell.ToString())}', which is not a number.");
    }

    /// <summary>First cell of a coded column that is neither missing nor a number, for error messages.</summary>
    public static (int Row, string Value)? FirstNonNumeric(DataColumn column)
    {
        for (var r = 0; r < column.Length; r++)
        {
            var cell = column.Text(r);
            if (!IsNumericMissing(cell) && !TryParseNumber(cell, out _)) return (r, Shorten(cell!));
        }
        return null;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
