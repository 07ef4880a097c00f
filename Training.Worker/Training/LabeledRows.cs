using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Training.Worker.Training;

/// <summary>ML.NET training row: the encoded features and the label in the type each task's trainer wants.</summary>
internal sealed class LabeledRow<TLabel>
{
    public float[] Features { get; set; } = [];

    public TLabel Label { get; set; } = default!;
}

/// <summary>
/// Builds the train and test IDataViews of a <see cref="TrainingData"/>. They stream: each cursor encodes the rows
/// from the typed columns as it moves (one reused vector per cursor; ML.NET copies what it keeps), so no encoded copy
/// of the data is ever held. LightGBM reads the training view into its own binned dataset.
/// </summary>
internal static class LabeledRows
{
    public static IDataView Load(MLContext ml, TrainingData data, int[] rows) => data.Spec.Task switch
    {
        // Regression: float label. Binary: bool, true = positive (Classes[1]). Multiclass: a key in Classes order;
        // LoadFromEnumerable takes key fields 0-based (it stores value + 1, 0 being missing), so the class index as is.
        TrainingTasks.Regression => Load(ml, data, rows, label => (float)label, null),
        TrainingTasks.Binary => Load(ml, data, rows, label => label == 1, null),
        _ => Load(ml, data, rows, label => (uint)label, new KeyDataViewType(typeof(uint), data.Classes!.Count)),
    };

    private static IDataView Load<TLabel>(MLContext ml, TrainingData data, int[] rows, Func<double, TLabel> label, DataViewType? labelType)
    {
        var schema = SchemaDefinition.Create(typeof(LabeledRow<TLabel>));
        schema[nameof(LabeledRow<TLabel>.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Encoder.Length);
        if (labelType is not null) schema[nameof(LabeledRow<TLabel>.Label)].ColumnType = labelType;
        return ml.Data.LoadFromEnumerable(new EncodedRows<TLabel>(data, rows, label), schema);
    }

    /// <summary>
    /// The rows encoded on demand. A collection only so ML.NET learns the row count without a counting pass; it is
    /// read-only and never materialised.
    /// </summary>
    private sealed class EncodedRows<TLabel>(TrainingData data, int[] rows, Func<double, TLabel> label) : ICollection<LabeledRow<TLabel>>
    {
        public int Count => rows.Length;

        public bool IsReadOnly => true;

        public IEnumerator<LabeledRow<TLabel>> GetEnumerator()
        {
            var row = new LabeledRow<TLabel> { Features = new float[data.Encoder.Length] };
            foreach (var r in rows)
            {
                data.EncodeInto(r, row.Features);
                row.Label = label(data.Labels[r]);
                yield return row;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public void Add(LabeledRow<TLabel> item) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Contains(LabeledRow<TLabel> item) => throw new NotSupportedException();

        public void CopyTo(LabeledRow<TLabel>[] array, int arrayIndex) => throw new NotSupportedException();

        public bool Remove(LabeledRow<TLabel> item) => throw new NotSupportedException();
    }
}
