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

    public static bool IsNumericMissing(string? cell) => cell is null || NumericMissing.Contains(cell);

    public static bool TryParseNumber(string cell, out double value) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Column types from the dataset version's schema, or inferred from the cells when there is none.</summary>
    public static IReadOnlyDictionary<string, string> ResolveTypes(CsvTable table, IReadOnlyList<DatasetColumn>? schema)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        if (schema is not null)
        {
            foreach (var column in schema) types[column.Name] = column.Type;
        }
        for (var c = 0; c < table.Header.Count; c++)
        {
            var name = table.Header[c];
            if (types.ContainsKey(name)) continue;
            var numeric = true;
            foreach (var row in table.Rows)
            {
                var cell = row[c];
                if (!IsNumericMissing(cell) && !TryParseNumber(cell!, out _)) { numeric = false; break; }
            }
            types[name] = numeric ? ColumnTypes.Numeric : ColumnTypes.Categorical;
        }
        return types;
    }

    /// <summary>A numeric cell: null when missing; a clear error naming column, row and value otherwise.</summary>
    public static double? Number(string? cell, string column, int row)
    {
        if (IsNumericMissing(cell)) return null;
        if (TryParseNumber(cell!, out var value)) return value;
        throw new TrainingSpecException(
            $"Column '{column}' is numeric but data row {row + 1} holds '{Shorten(cell!)}', which is not a number.");
    }

    /// <summary>First cell of a column that is neither missing nor a number, for error messages.</summary>
    public static (int Row, string Value)? FirstNonNumeric(CsvTable table, int column)
    {
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var cell = table.Rows[r][column];
            if (!IsNumericMissing(cell) && !TryParseNumber(cell!, out _)) return (r, Shorten(cell!));
        }
        return null;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
