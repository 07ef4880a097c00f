using MlOps.Registry.Client.Datasets;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// Loads every column of a dataset typed, one record at a time: numeric columns as doubles (a cell that is not a
/// number is an error naming column, row and value), other columns as level codes. The records are read once, or
/// twice when the schema leaves columns to infer.
/// </summary>
internal static class ColumnLoader
{
    /// <param name="coded">Columns to hold as level codes whatever their type (a classification label keeps its texts).</param>
    public static (IReadOnlyList<DataColumn> Columns, IReadOnlyDictionary<string, string> Types) Load(
        Func<ICsvRecords> open, IReadOnlyList<DatasetColumn>? schema, ISet<string> coded)
    {
        IReadOnlyList<string> header;
        using (var peek = open()) header = peek.Header;
        var types = ColumnValues.ResolveTypes(header, schema, open);
        var builders = header.Select(name => types[name] == ColumnTypes.Numeric && !coded.Contains(name)
            ? (ColumnBuilder)new NumericBuilder(name) : new CodedBuilder(name)).ToArray();
        using (var records = open())
        {
            var row = 0;
            while (records.Read())
            {
                for (var c = 0; c < builders.Length; c++) builders[c].Add(records[c], row);
                row++;
            }
        }
        return (builders.Select(b => b.Build()).ToList(), types);
    }

    private abstract class ColumnBuilder(string name)
    {
        protected string Name { get; } = name;

        protected int Count { get; set; }

        public abstract void Add(ReadOnlySpan<char> cell, int row);

        public abstract DataColumn Build();

        /// <summary>Doubling growth; <see cref="Build"/> trims to the row count.</summary>
        protected static void Grow<T>(ref T[] array, int count)
        {
            if (count == array.Length) Array.Resize(ref array, Math.Max(1024, array.Length * 2));
        }
    }

    private sealed class NumericBuilder(string name) : ColumnBuilder(name)
    {
        private double[] _values = [];

        public override void Add(ReadOnlySpan<char> cell, int row)
        {
            Grow(ref _values, Count);
            _values[Count++] = ColumnValues.Number(cell, Name, row) ?? double.NaN;
        }

        public override DataColumn Build()
        {
            Array.Resize(ref _values, Count);
            return DataColumn.Numeric(Name, _values);
        }
    }

    private sealed class CodedBuilder : ColumnBuilder
    {
        private readonly List<string> _levels = [];
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private int[] _codes = [];

        public CodedBuilder(string name) : base(name) => _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();

        public override void Add(ReadOnlySpan<char> cell, int row)
        {
            Grow(ref _codes, Count);
            var code = -1;
            if (!cell.IsEmpty && !_lookup.TryGetValue(cell, out code))
            {
                code = _levels.Count;
                var text = cell.ToString();
                _levels.Add(text);
                _index.Add(text, code);
            }
            _codes[Count++] = code;
        }

        public override DataColumn Build()
        {
            Array.Resize(ref _codes, Count);
            return DataColumn.Coded(Name, _codes, _levels);
        }
    }
}
