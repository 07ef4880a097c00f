using Microsoft.ML;
using Microsoft.ML.Data;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// Builds the train and test IDataViews of a <see cref="TrainingData"/>: two columns, Features (the encoded vector)
/// and Label (in the type each task's trainer wants). They stream: a cursor encodes a row from the typed columns
/// only when its Features getter is called, straight into the caller's buffer (ML.NET copies what it keeps), so no
/// encoded copy of the data is ever held.
/// </summary>
/// <remarks>
/// A view of its own rather than <c>LoadFromEnumerable</c>: ML.NET's LightGBM reads the training view in three full
/// passes (labels, bin sampling, rows pushed to LightGBM), and the enumerable view added a row object, a reflected
/// property read and a copy of the vector to every row of every pass. The values are the same either way.
/// </remarks>
internal static class LabeledRows
{
    public static IDataView Load(MLContext ml, TrainingData data, int[] rows) => data.Spec.Task switch
    {
        // Regression: float label. Binary: bool, true = positive (Classes[1]). Multiclass: a key in Classes order,
        // 1-based (0 is a missing key), so the class index + 1.
        TrainingTasks.Regression => new View<float>(ml, data, rows, NumberDataViewType.Single, label => (float)label),
        TrainingTasks.Binary => new View<bool>(ml, data, rows, BooleanDataViewType.Instance, label => label == 1),
        _ => new View<uint>(ml, data, rows, new KeyDataViewType(typeof(uint), data.Classes!.Count), label => (uint)label + 1),
    };

    /// <summary>Column names the trainers and evaluators look for by default.</summary>
    private const string FeaturesColumn = "Features";
    private const string LabelColumn = "Label";

    private sealed class View<TLabel> : IDataView
    {
        private readonly TrainingData _data;
        private readonly int[] _rows;
        private readonly Func<double, TLabel> _label;

        public View(MLContext ml, TrainingData data, int[] rows, DataViewType labelType, Func<double, TLabel> label)
        {
            // Registered with the context as ML.NET's own data views register: that draws from the context's seeded
            // random source, which later seeds the trainer's (LightGBM's bin sampling), so the models stay the bytes
            // they were with LoadFromEnumerable.
            ((Microsoft.ML.Runtime.IHostEnvironment)ml).Register("LabeledRows");
            _data = data;
            _rows = rows;
            _label = label;
            Schema = BuildSchema(data.Encoder.Length, labelType);
        }

        public DataViewSchema Schema { get; }

        public bool CanShuffle => false;

        public long? GetRowCount() => _rows.Length;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(this, columnsNeeded);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private static DataViewSchema BuildSchema(int length, DataViewType labelType)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, length));
            builder.AddColumn(LabelColumn, labelType);
            return builder.ToSchema();
        }

        private sealed class Cursor : DataViewRowCursor
        {
            private readonly View<TLabel> _view;
            private readonly bool[] _active = new bool[2];
            private long _position = -1;

            public Cursor(View<TLabel> view, IEnumerable<DataViewSchema.Column> columnsNeeded)
            {
                _view = view;
                foreach (var column in columnsNeeded) _active[column.Index] = true;
            }

            public override DataViewSchema Schema => _view.Schema;

            public override long Position => _position;

            public override long Batch => 0;

            public override bool MoveNext()
            {
                if (_position + 1 < _view._rows.Length)
                {
                    _position++;
                    return true;
                }
                _position = _view._rows.Length;
                return false;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() =>
                (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

            public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (!IsColumnActive(column)) throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was made.");
                Delegate getter = column.Index == 0 ? (ValueGetter<VBuffer<float>>)GetFeatures : (ValueGetter<TLabel>)GetLabel;
                return getter as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
            }

            private void GetFeatures(ref VBuffer<float> value)
            {
                var editor = VBufferEditor.Create(ref value, _view._data.Encoder.Length);
                _view._data.EncodeInto(CurrentRow(), editor.Values);
                value = editor.Commit();
            }

            private void GetLabel(ref TLabel value) => value = _view._label(_view._data.Labels[CurrentRow()]);

            private int CurrentRow() => _position >= 0 && _position < _view._rows.Length
                ? _view._rows[_position]
                : throw new InvalidOperationException("The cursor is not on a row.");
        }
    }
}
