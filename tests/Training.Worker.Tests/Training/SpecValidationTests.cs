using System.Text;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

/// <summary>Specs that do not fit their data fail with a message naming the problem.</summary>
public sealed class SpecValidationTests
{
    private const string Csv = "a,b,c,y\n1,x,3,1.5\n2,y,4,2.5\n3,x,5,3.5\n4,y,6,4.5\n5,x,7,5.5\n6,y,8,6.5\n7,x,9,7.5\n8,y,10,8.5\n9,x,11,9.5\n10,y,12,10.5\n11,x,13,11.5\n12,y,14,12.5\n";

    private static TrainingJobSpec Spec(string task = "regression", string label = "y", IReadOnlyList<string>? features = null) =>
        new("exp", new DatasetRef("tiny"), task, label, features, Trainer: new TrainerParams(NumberOfIterations: 5, MinimumExampleCountPerLeaf: 1));

    private static async Task<string> FailureAsync(TrainingJobSpec spec, string csv = Csv, IReadOnlyList<DatasetColumn>? schema = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        var error = await Assert.ThrowsAsync<TrainingSpecException>(() => ModelTrainer.TrainAsync(spec, stream, schema, CancellationToken.None));
        return error.Message;
    }

    [Fact]
    public void Every_ranged_trainer_parameter_can_be_swept_and_lands_in_the_trial()
    {
        // The registry accepts a sweep over any name in TrainerRanges; the worker must know how to set each one.
        foreach (var range in JobSpecRules.TrainerRanges)
        {
            var value = range.Integer ? Math.Max(range.Min, 1) + 1 : (range.MinExclusive ? range.Min : 0) + 0.5;
            var trial = Assert.Single(Sweeps.SweepPlanner.Plan(new SweepSpec("grid", new Dictionary<string, IReadOnlyList<double>> { [range.Name] = [value] }), null));
            Assert.Equal(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), LightGbmSettings.From(trial).ToParams()[range.Name]);
        }
    }

    [Fact]
    public async Task Unknown_feature_column() =>
        Assert.Contains("'nope'", await FailureAsync(Spec(features: ["a", "nope"])));

    [Fact]
    public async Task Label_not_in_dataset() =>
        Assert.Contains("Label column 'price' is not in the dataset", await FailureAsync(Spec(label: "price")));

    [Fact]
    public async Task Regression_on_a_categorical_label() =>
        Assert.Contains("Task regression needs a numeric label, but 'b' is categorical (data row 1 holds 'x')", await FailureAsync(Spec(label: "b")));

    [Fact]
    public async Task Binary_on_a_label_with_twelve_values() =>
        Assert.Contains("exactly 2 values, but 'y' has 12", await FailureAsync(Spec("binary")));

    [Fact]
    public async Task Multiclass_on_a_continuous_label()
    {
        var rows = string.Concat(Enumerable.Range(0, 150).Select(i => $"{i},x,{i % 7},{i * 1.5}\n"));
        Assert.Contains("use task regression", await FailureAsync(Spec("multiclass"), "a,b,c,y\n" + rows));
    }

    [Fact]
    public async Task Empty_dataset() =>
        Assert.Contains("no data rows", await FailureAsync(Spec(), "a,b,c,y\n"));

    [Fact]
    public async Task Non_numeric_cell_in_a_numeric_column_of_the_schema()
    {
        var csv = Csv.Replace("3,x,5,3.5", "3,x,five,3.5");
        DatasetColumn Column(string name, string type) => new(name, type, 0, null, null);
        var schema = new[] { Column("a", "numeric"), Column("b", "categorical"), Column("c", "numeric"), Column("y", "numeric") };
        Assert.Contains("Column 'c' is numeric but data row 3 holds 'five'", await FailureAsync(Spec(), csv, schema));
    }

    [Fact]
    public async Task Unknown_task() =>
        Assert.Contains("Unknown task 'clustering'", await FailureAsync(Spec("clustering")));

    [Fact]
    public async Task Bad_trainer_parameter() =>
        Assert.Contains("learningRate", await FailureAsync(Spec() with { Trainer = new TrainerParams(LearningRate: -1) }));
}
