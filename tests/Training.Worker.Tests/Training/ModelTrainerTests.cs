using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

/// <summary>The registry-independent trainer on the three real sample datasets.</summary>
public sealed class ModelTrainerTests
{
    private static async Task<TrainingResult> TrainAsync(TrainingJobSpec spec)
    {
        await using var csv = File.OpenRead(Samples.Dataset(spec.Dataset.Name));
        return await ModelTrainer.TrainAsync(spec, csv, schema: null, CancellationToken.None);
    }

    [Fact]
    public async Task Ames_regression_reaches_r2_above_0_85_and_serving_scores_it_the_same()
    {
        var result = await TrainAsync(Samples.Ames);

        Assert.True(result.Metrics[MetricNames.R2] > 0.85, $"R2 {result.Metrics[MetricNames.R2]}");
        Assert.Equal(2344, result.TrainRows);
        Assert.Equal(586, result.TestRows);
        Assert.Equal("194277eff83bf330bc4f44f95f191e6331e6fd17428dc98516ca75c2a555cd14", result.DatasetSha256);
        // "None" is a level of Misc_Feature, not a missing value.
        var misc = result.Manifest.Features.Single(f => f.Name == "Misc_Feature");
        Assert.Equal(FeatureKind.Categorical, misc.Kind);
        Assert.Contains("None", misc.Levels!);
        Assert.Equal(misc.Levels!.Order(StringComparer.Ordinal), misc.Levels);
        Assert.Equal(73, result.Manifest.Baseline.Count);
        Assert.InRange(result.FeatureImportance.Values.Sum(), 0.999, 1.001);

        // The bundle as serving loads it scores the test split to the same RMSE the trainer reported.
        var rmse = await ServingRmseAsync(result, Samples.Ames);
        Assert.Equal(result.Metrics[MetricNames.Rmse], rmse, result.Metrics[MetricNames.Rmse] * 1e-4);

        // The learning curve ends where the evaluation ends.
        var curve = result.LearningCurve.Where(p => p.Key == MetricNames.LearningCurvePrefix + MetricNames.Rmse).ToList();
        Assert.Equal(Samples.Ames.Trainer!.NumberOfIterations!.Value, curve[^1].Step);
        Assert.Equal(result.Metrics[MetricNames.Rmse], curve[^1].Value, result.Metrics[MetricNames.Rmse] * 1e-4);
        Assert.True(curve[0].Value > curve[^1].Value);
    }

    [Fact]
    public async Task Credit_binary_with_missing_cells_reaches_auc_above_0_8()
    {
        var result = await TrainAsync(Samples.Credit);

        Assert.True(result.Metrics[MetricNames.Auc] > 0.8, $"AUC {result.Metrics[MetricNames.Auc]}");
        Assert.Equal(["good", "bad"], result.Manifest.Classes);
        foreach (var key in new[] { MetricNames.Accuracy, MetricNames.F1, MetricNames.LogLoss }) Assert.True(result.Metrics.ContainsKey(key), key);
        var curve = result.LearningCurve.Where(p => p.Key == MetricNames.LearningCurvePrefix + MetricNames.LogLoss).ToList();
        Assert.Equal(200, curve[^1].Step);
        Assert.Equal(result.Metrics[MetricNames.LogLoss], curve[^1].Value, 1e-4);
        Assert.True(curve[0].Value > curve[^1].Value);
        // Income has 381 empty cells: its baseline keeps them in the missing bin.
        var income = result.Manifest.Baseline.Single(b => b.Feature == "Income");
        Assert.True(income.Fractions[income.MissingBin] > 0.05);
    }

    [Fact]
    public async Task Hpc_multiclass_reaches_accuracy_above_0_75()
    {
        var result = await TrainAsync(Samples.Hpc);

        Assert.True(result.Metrics[MetricNames.MicroAccuracy] > 0.75, $"accuracy {result.Metrics[MetricNames.MicroAccuracy]}");
        Assert.Equal(["F", "L", "M", "VF"], result.Manifest.Classes);
        Assert.True(result.Metrics.ContainsKey(MetricNames.MacroAccuracy));
        Assert.True(result.FeatureImportance.Values.Sum() > 0.99);
        var curve = result.LearningCurve.Where(p => p.Key == MetricNames.LearningCurvePrefix + MetricNames.LogLoss).ToList();
        Assert.Equal(200, curve[^1].Step);
        Assert.Equal(result.Metrics[MetricNames.LogLoss], curve[^1].Value, 1e-4);
        Assert.True(curve[0].Value > curve[^1].Value);
    }

    /// <summary>
    /// The bundle, scored row by row the way serving does, must reproduce the trainer's own metrics: this catches
    /// a label or class order that ML.NET's evaluator would read one way and the served model another.
    /// </summary>
    [Theory]
    [InlineData("ames_housing.regression.json", MetricNames.Rmse)]
    [InlineData("credit_scoring.binary.json", MetricNames.Auc)]
    [InlineData("hpc_data.multiclass.json", MetricNames.Accuracy)]
    [InlineData("hpc_data.multiclass.json", MetricNames.MacroAccuracy)]
    public async Task Served_predictions_reproduce_the_reported_metric(string specFile, string metric)
    {
        var spec = Samples.Spec(specFile) with { Trainer = Samples.Spec(specFile).Trainer! with { NumberOfIterations = 60 } };
        await using var csv = File.OpenRead(Samples.Dataset(spec.Dataset.Name));
        var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(spec.Trainer), CancellationToken.None);

        var (served, problem) = await Promotion.BundleEvaluator.EvaluateAsync(new MemoryStream(result.Bundle), data, CancellationToken.None);

        Assert.Null(problem);
        Assert.Equal(result.Metrics[metric], served![metric], 1e-4);
        // Every class is predicted for some test row: no class is lost to a shifted label.
        if (spec.Task == TrainingTasks.Multiclass)
        {
            var model = await ScoringModel.LoadAsync(new MemoryStream(result.Bundle), CancellationToken.None);
            var predicted = data.Test.Select(r => model.Predict(data.Encode(r)).Label).Distinct().Count();
            Assert.Equal(data.Classes!.Count, predicted);
        }
    }

    [Fact]
    public async Task Same_spec_twice_gives_identical_metrics_and_bundle_sha256()
    {
        var spec = Samples.Credit with { Trainer = new TrainerParams(NumberOfIterations: 60, Seed: 7) };
        var first = await TrainAsync(spec);
        var second = await TrainAsync(spec);

        Assert.Equal(first.Metrics, second.Metrics);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(first.Bundle, second.Bundle);
    }

    [Fact]
    public async Task A_depth_limit_bounds_every_tree_of_the_bundle()
    {
        // Credit with 31 leaves grows trees deeper than 4 when only the leaf count bounds them.
        var unlimited = await TrainAsync(Samples.Credit with { Trainer = new TrainerParams(NumberOfIterations: 30, NumberOfLeaves: 31) });
        var limited = await TrainAsync(Samples.Credit with { Trainer = new TrainerParams(NumberOfIterations: 30, NumberOfLeaves: 31, MaximumTreeDepth: 4) });

        Assert.Equal("0", unlimited.Params["maximumTreeDepth"]);
        Assert.Equal("4", limited.Params["maximumTreeDepth"]);
        Assert.True(await DeepestTreeAsync(unlimited) > 4);
        Assert.Equal(4, await DeepestTreeAsync(limited));
        Assert.True(limited.Metrics[MetricNames.Auc] > 0.8, $"AUC {limited.Metrics[MetricNames.Auc]}");
    }

    private static async Task<int> DeepestTreeAsync(TrainingResult result)
    {
        await using var reader = await ModelBundle.Packaging.BundleReader.OpenAsync(new MemoryStream(result.Bundle), CancellationToken.None);
        var trees = reader.Trees!.Ensembles.SelectMany(e => e).ToList();
        Assert.NotEmpty(trees);
        return trees.Max(t => t.Problem(int.MaxValue, out var depth) is null ? depth : throw new InvalidOperationException("a malformed tree"));
    }

    [Fact]
    public async Task Two_threads_give_identical_bytes_run_after_run()
    {
        // Ames (2,930 rows x 74 columns): enough rows that LightGBM splits its histogram work between the threads.
        var spec = Samples.Ames with { Trainer = new TrainerParams(NumberOfIterations: 100, NumberOfThreads: 2) };
        var first = await TrainAsync(spec);
        var second = await TrainAsync(spec);
        var third = await TrainAsync(spec);

        Assert.Equal("2", first.Params["numberOfThreads"]);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(first.Sha256, third.Sha256);
        Assert.Equal(first.Metrics, third.Metrics);
    }

    [Fact]
    public async Task Multiclass_from_50000_rows_is_still_served_probabilities_on_the_tree_evaluator()
    {
        // ML.NET would pick softmax from 50,000 training rows: hpc's rows 16 times over (69,296 rows, 55,437 to train) check that the
        // trainer keeps one-versus-all, whose per-class probabilities the evaluator reproduces and which sum to 1.
        var lines = await File.ReadAllLinesAsync(Samples.Dataset("hpc_data"));
        var csv = string.Join('\n', lines.Take(1).Concat(Enumerable.Repeat(lines.Skip(1), 16).SelectMany(l => l))) + "\n";
        var spec = Samples.Hpc with { Trainer = new TrainerParams(NumberOfIterations: 10) };
        var result = await ModelTrainer.TrainAsync(spec, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), schema: null, CancellationToken.None);

        var model = await ScoringModel.LoadAsync(new MemoryStream(result.Bundle), CancellationToken.None);
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        await using var sample = File.OpenRead(Samples.Dataset(spec.Dataset.Name));
        var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(sample, CancellationToken.None), null);
        foreach (var row in data.Test.Take(50))
        {
            var probabilities = model.Predict(data.Encode(row)).Probabilities!;
            Assert.Equal(data.Classes!.Count, probabilities.Count);
            Assert.Equal(1.0, probabilities.Values.Sum(), 6);
        }
    }

    [Fact]
    public async Task Another_split_seed_gives_another_model()
    {
        var spec = Samples.Hpc with { Trainer = new TrainerParams(NumberOfIterations: 20) };
        var first = await TrainAsync(spec);
        var second = await TrainAsync(spec with { Split = new SplitSpec(0.2, Seed: 1) });

        Assert.NotEqual(first.Sha256, second.Sha256);
    }

    private static async Task<double> ServingRmseAsync(TrainingResult result, TrainingJobSpec spec)
    {
        await using var bundle = new MemoryStream(result.Bundle);
        var model = await ScoringModel.LoadAsync(bundle, CancellationToken.None);
        await using var csv = File.OpenRead(Samples.Dataset(spec.Dataset.Name));
        var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
        var sum = 0.0;
        foreach (var row in data.Test)
        {
            var error = model.Predict(data.Encode(row)).Value!.Value - data.Labels[row];
            sum += error * error;
        }
        return Math.Sqrt(sum / data.Test.Length);
    }
}
