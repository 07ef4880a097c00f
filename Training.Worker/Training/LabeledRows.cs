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

/// <summary>Builds the train and test IDataViews of a <see cref="TrainingData"/>.</summary>
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
        var items = rows.Select(r => new LabeledRow<TLabel> { Features = data.Encode(r), Label = label(data.Labels[r]) }).ToList();
        return ml.Data.LoadFromEnumerable(items, schema);
    }
}
