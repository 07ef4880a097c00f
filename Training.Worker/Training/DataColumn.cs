using System.Globalization;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// One dataset column held typed, not as a string per cell: numbers (8 bytes a cell, NaN = missing) or, for a
/// categorical column (and a classification label), a level code per cell (4 bytes, -1 = missing) into the
/// distinct texts. A few million rows take what the numbers take, not what their text takes.
/// </summary>
public sealed class DataColumn
{
    private readonly double[]? _numbers;
    private readonly int[]? _codes;
    private readonly IReadOnlyList<string> _levels;

    private DataColumn(string name, double[]? numbers, int[]? codes, IReadOnlyList<string> levels)
    {
        Name = name;
        _numbers = numbers;
        _codes = codes;
        _levels = levels;
    }

    public static DataColumn Numeric(string name, double[] numbers) => new(name, numbers, null, []);

    public static DataColumn Coded(string name, int[] codes, IReadOnlyList<string> levels) => new(name, null, codes, levels);

    public string Name { get; }

    /// <summary>True when held as numbers; false when held as level codes.</summary>
    public bool IsNumeric => _numbers is not null;

    /// <summary>Distinct texts of a coded column, in order of first appearance.</summary>
    public IReadOnlyList<string> Levels => _levels;

    public int Length => _numbers?.Length ?? _codes!.Length;

    /// <summary>Level code of a coded column's cell; -1 when missing.</summary>
    public int Code(int row) => _codes![row];

    /// <summary>A cell as a number: null when missing; a coded cell's text is parsed by the numeric rules.</summary>
    public double? Number(int row)
    {
        if (_numbers is not null) return double.IsNaN(_numbers[row]) ? null : _numbers[row];
        return ColumnValues.Number(Text(row), Name, row);
    }

    /// <summary>
    /// A cell as text: the original text of a coded cell; a number's shortest round-trip form (a number column's
    /// original text is not kept: "1.50" reads back as "1.5").
    /// </summary>
    public string? Text(int row)
    {
        if (_codes is not null) return _codes[row] < 0 ? null : _levels[_codes[row]];
        var value = _numbers![row];
        return double.IsNaN(value) ? null : value.ToString("R", CultureInfo.InvariantCulture);
    }
}
