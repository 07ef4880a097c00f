using Microsoft.ML;
using Microsoft.ML.Data;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

/// <summary>
/// The training views (<see cref="LabeledRows"/>) against ML.NET's own <c>LoadFromEnumerable</c> over the same encoded
/// rows: the same values, and LightGBM fits the same model from either (the same score for every test row), for every task.
/// (Saved model files are not compared byte for byte: the zip records when it was written.)
/// </summary>
public sealed class LabeledRowsTests
{
    public static TheoryData<string> Specs => new() { "ames_housing.regression.json", "credit_scoring.binary.json", "hpc_data.multiclass.json" };

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task The_view_gives_the_enumerable_s_rows_and_the_same_model(string specFile)
    {
        var spec = Samples.Spec(specFile);
        TrainingData data;
        await using (var csv = File.OpenRead(Samples.Dataset(spec.Dataset.Name)))
        await using (var file = await DatasetFile.SpoolAsync(csv, CancellationToken.None))
        {
            data = TrainingData.Load(spec, file, schema: null);
        }

        // Each side makes its train and test views in the same order on a context of the same seed, as ModelTrainer does.
        var ours = new MLContext(seed: 42);
        var oursTrain = LabeledRows.Load(ours, data, data.Train);
        var oursTest = LabeledRows.Load(ours, data, data.Test);
        var theirs = new MLContext(seed: 42);
        var theirsTrain = Enumerable(theirs, data, data.Train);
        var theirsTest = Enumerable(theirs, data, data.Test);

        Assert.Equal(Read(theirsTrain), Read(oursTrain));
        Assert.Equal(Read(theirsTest), Read(oursTest));
        var expected = Scores(Fit(theirs, spec.Task, theirsTrain).Transform(theirsTest));
        var actual = Scores(Fit(ours, spec.Task, oursTrain).Transform(theirsTest));
        Assert.Equal(data.Test.Length, expected.Count);
        Assert.Equal(expected, actual);
    }

    private static ITransformer Fit(MLContext ml, string task, IDataView train)
    {
        ITransformer model = task switch
        {
            TrainingTasks.Regression => ml.Regression.Trainers.LightGbm(new() { NumberOfIterations = 20, NumberOfThreads = 1, Seed = 1 }).Fit(train),
            TrainingTasks.Binary => ml.BinaryClassification.Trainers.LightGbm(new() { NumberOfIterations = 20, NumberOfThreads = 1, Seed = 1 }).Fit(train),
            _ => ml.MulticlassClassification.Trainers.LightGbm(new() { NumberOfIterations = 20, NumberOfThreads = 1, Seed = 1 }).Fit(train),
        };
        return model;
    }

    /// <summary>Every scored row's Score column as text (a vector for multiclass), so equal means bit for bit.</summary>
    private static List<string> Scores(IDataView scored)
    {
        var column = scored.Schema["Score"];
        var rows = new List<string>();
        using var cursor = scored.GetRowCursor([column]);
        if (column.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var vector = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                getter(ref vector);
                rows.Add(string.Join(' ', vector.DenseValues().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(column);
            var value = 0f;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows.Add(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return rows;
    }

    /// <summary>Every row as text: the feature vector and the label, read through a cursor.</summary>
    private static List<string> Read(IDataView view)
    {
        var rows = new List<string>();
        using var cursor = view.GetRowCursor(view.Schema);
        var features = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var label = view.Schema["Label"];
        var labelText = label.Type.RawType == typeof(bool) ? Text<bool>(cursor, label)
            : label.Type.RawType == typeof(float) ? Text<float>(cursor, label)
            : Text<uint>(cursor, label);
        var vector = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            features(ref vector);
            rows.Add(string.Join(' ', vector.DenseValues()) + " | " + labelText());
        }
        return rows;
    }

    private static Func<string> Text<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<T>(column);
        return () =>
        {
            T value = default!;
            getter(ref value);
            return value!.ToString()!;
        };
    }

    /// <summary>The views as they were before: ML.NET's enumerable view over one encoded row object per row.</summary>
    private static IDataView Enumerable(MLContext ml, TrainingData data, int[] rows) => data.Spec.Task switch
    {
        TrainingTasks.Regression => Enumerable(ml, data, rows, label => (float)label, null),
        TrainingTasks.Binary => Enumerable(ml, data, rows, label => label == 1, null),
        // LoadFromEnumerable takes key fields 0-based.
        _ => Enumerable(ml, data, rows, label => (uint)label, new KeyDataViewType(typeof(uint), data.Classes!.Count)),
    };

    private static IDataView Enumerable<TLabel>(MLContext ml, TrainingData data, int[] rows, Func<double, TLabel> label, DataViewType? labelType)
    {
        var schema = SchemaDefinition.Create(typeof(Row<TLabel>));
        schema[nameof(Row<TLabel>.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Encoder.Length);
        if (labelType is not null) schema[nameof(Row<TLabel>.Label)].ColumnType = labelType;
        return ml.Data.LoadFromEnumerable(rows.Select(r => new Row<TLabel> { Features = data.Encode(r), Label = label(data.Labels[r]) }), schema);
    }

    private sealed class Row<TLabel>
    {
        public float[] Features { get; set; } = [];

        public TLabel Label { get; set; } = default!;
    }
}
