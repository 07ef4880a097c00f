using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.ModelBundle.Tests;

/// <summary>
/// TreeSHAP explanations of real models trained by the worker's trainer on the three sample datasets: on every
/// row of each dataset (and the row with numeric cells missing) the contributions plus the base value add up to the
/// raw score to 1e-6, and the raw score is the model's own score; on models restricted to a few columns they agree
/// with <see cref="BruteForceShapley"/>, an independent enumeration of every coalition.
/// </summary>
public sealed class TreeExplainerTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public async Task Ames_regression_contributions_add_up_to_the_prediction_on_every_row()
    {
        var (model, data, _) = await TrainAsync("ames_housing.csv", TrainingTasks.Regression, "Sale_Price", new TrainerParams(NumberOfIterations: 100));
        var rows = CheckAdditivity(model, data, (prediction, raw) => Assert.Equal((float)raw[0], (float)prediction.Value!.Value));
        Assert.True(rows > 5000, $"only {rows} rows");
    }

    [Fact]
    public async Task Credit_binary_contributions_add_up_to_the_margin_on_every_row()
    {
        var (model, data, _) = await TrainAsync("credit_scoring.csv", TrainingTasks.Binary, "Status", new TrainerParams(NumberOfIterations: 60), positive: "bad");
        // Binary: Prediction.Value is the margin before Platt calibration.
        var rows = CheckAdditivity(model, data, (prediction, raw) => Assert.Equal((float)raw[0], (float)prediction.Value!.Value));
        Assert.True(rows > 8000, $"only {rows} rows");
    }

    [Fact]
    public async Task Hpc_multiclass_contributions_add_up_to_each_class_score_on_every_row()
    {
        var (model, data, predictor) = await TrainAsync("hpc_data.csv", TrainingTasks.Multiclass, "class", new TrainerParams(NumberOfIterations: 30));
        var calibrators = OneVersusAllParts.SubModels((OneVersusAllModelParameters)predictor).Select(m => m.Calibrator).ToArray();
        Assert.Equal(data.Classes!.Count, model.Explainer!.OutputCount);
        // Multiclass: each class's raw score, through ML.NET's own calibrators and normalization, is the prediction.
        var rows = CheckAdditivity(model, data, (prediction, raw) =>
        {
            var p = raw.Select((r, k) => (double)Math.Max(0, calibrators[k].PredictProbability((float)r))).ToArray();
            var sum = p.Sum();
            for (var k = 0; k < p.Length; k++)
                Assert.Equal((float)(p[k] / sum), (float)prediction.Probabilities![data.Classes[k]]);
        });
        Assert.True(rows > 8000, $"only {rows} rows");
    }

    [Theory]
    [InlineData("ames_housing.csv", TrainingTasks.Regression, "Sale_Price", null,
        "Neighborhood,MS_Zoning,Gr_Liv_Area,Year_Built,Overall_Cond,Total_Bsmt_SF,Lot_Area,Lot_Frontage")]
    [InlineData("credit_scoring.csv", TrainingTasks.Binary, "Status", "bad", "Seniority,Home,Age,Marital,Records,Job,Income,Assets,Debt,Amount")]
    [InlineData("hpc_data.csv", TrainingTasks.Multiclass, "class", null, "protocol,compounds,input_fields,iterations,num_pending,hour,day")]
    public async Task Contributions_agree_with_brute_force_shapley_values(string dataset, string task, string label, string? positive, string columns)
    {
        var features = columns.Split(',');
        var (model, data, predictor) = await TrainAsync(dataset, task, label, new TrainerParams(NumberOfIterations: 25), positive, features);
        var explainer = model.Explainer!;
        var training = data.Train.Select(data.Encode).ToList();
        var ensembles = Ensembles(predictor);
        var references = ensembles.Select(trees => new BruteForceShapley(trees, model.Encoder, training)).ToList();
        Assert.Equal(explainer.OutputCount, references.Count);

        var random = new Random(3);
        var rows = data.Test.Take(4).Select(data.Encode).ToList();
        // The same rows with cells missing: numeric NaN follows each split's missing-value default.
        foreach (var row in rows.ToList())
        {
            var holes = (float[])row.Clone();
            for (var c = 0; c < model.Encoder.Columns.Count; c++)
                if (random.Next(2) == 0)
                {
                    if (model.Encoder.Columns[c].Kind == FeatureKind.Numeric) model.Encoder.SetNumeric(holes, c, null);
                    else model.Encoder.SetCategorical(holes, c, null);
                }
            rows.Add(holes);
        }
        var raw = new double[explainer.OutputCount];
        var phi = new double[explainer.OutputCount * explainer.PlayerCount];
        foreach (var row in rows)
        {
            explainer.Explain(row, raw, phi);
            for (var e = 0; e < references.Count; e++)
            {
                var expected = references[e].Shapley(row);
                var scale = Math.Max(1, Math.Abs(raw[e]));
                Assert.Equal(references[e].Output(row), raw[e], Tolerance * scale);
                Assert.Equal(references[e].Expected(row), explainer.BaseValue(e), Tolerance * scale);
                for (var c = 0; c < expected.Length; c++)
                    Assert.True(Math.Abs(expected[c] - phi[e * explainer.PlayerCount + c]) <= Tolerance * scale,
                        $"output {e}, column {model.Encoder.Columns[c].Name}: brute force {expected[c]:R}, TreeSHAP {phi[e * explainer.PlayerCount + c]:R}");
            }
        }
        // Not a vacuous agreement: the model uses several columns.
        Assert.True(phi.Count(v => v != 0) >= 3);
    }

    [Fact]
    public async Task The_trainers_covers_are_the_ones_counted_on_its_saved_model()
    {
        // The worker counts covers on the fitted model in memory; serving explains with the saved one.
        var spec = Spec("hpc_data.csv", TrainingTasks.Multiclass, "class", new TrainerParams(NumberOfIterations: 5), null, null);
        var data = await PrepareAsync(spec, "hpc_data.csv");
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(spec.Trainer!), CancellationToken.None);
        var recounted = await TreeBundle.RewriteAsync(result.Bundle, data.Train.Select(data.Encode), CancellationToken.None);
        Assert.Equal(result.Bundle, recounted);
        using var bytes = new MemoryStream(result.Bundle);
        Assert.NotNull((await ScoringModel.LoadAsync(bytes, CancellationToken.None)).Explainer);
    }

    [Fact]
    public async Task A_bundle_without_covers_loads_and_says_why_it_cannot_explain()
    {
        var spec = Spec("hpc_data.csv", TrainingTasks.Multiclass, "class", new TrainerParams(NumberOfIterations: 5), null, null);
        var data = await PrepareAsync(spec, "hpc_data.csv");
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(spec.Trainer!), CancellationToken.None);
        // The trainer records covers now; a bundle from before it did is the same bundle without that entry.
        using var trained = new MemoryStream(result.Bundle);
        var (manifest, mlNetModel) = await ModelBundleFile.ReadAsync(trained, CancellationToken.None);
        using var bytes = new MemoryStream();
        await ModelBundleFile.WriteAsync(bytes, manifest, mlNetModel, CancellationToken.None);
        bytes.Position = 0;
        var model = await ScoringModel.LoadAsync(bytes, CancellationToken.None);
        Assert.Null(model.Explainer);
        Assert.Contains("covers", model.ExplainerUnavailableReason);
        // ML.NET has no contribution calculator for one-versus-all models either: nothing explains this bundle.
        Assert.Null(model.Contributions);
        Assert.Contains("contribution", model.ExplainerUnavailableReason);
    }

    /// <summary>Checks every train and test row, as encoded and with numeric cells missing; returns the rows checked.</summary>
    private static int CheckAdditivity(ScoringModel model, TrainingData data, Action<Registry.Client.Serving.Prediction, double[]> sameScore)
    {
        var explainer = model.Explainer ?? throw new Xunit.Sdk.XunitException(model.ExplainerUnavailableReason);
        var raw = new double[explainer.OutputCount];
        var phi = new double[explainer.OutputCount * explainer.PlayerCount];
        var random = new Random(11);
        var checkedRows = 0;
        var worst = 0.0;
        foreach (var r in data.Train.Concat(data.Test))
        {
            var encoded = data.Encode(r);
            var holes = (float[])encoded.Clone();
            for (var c = 0; c < model.Encoder.Columns.Count; c++)
                if (model.Encoder.Columns[c].Kind == FeatureKind.Numeric && random.Next(2) == 0) model.Encoder.SetNumeric(holes, c, null);
            foreach (var row in new[] { encoded, holes })
            {
                explainer.Explain(row, raw, phi);
                for (var e = 0; e < raw.Length; e++)
                {
                    var sum = explainer.BaseValue(e);
                    for (var c = 0; c < explainer.PlayerCount; c++) sum += phi[e * explainer.PlayerCount + c];
                    worst = Math.Max(worst, Math.Abs(sum - raw[e]));
                    Assert.True(Math.Abs(sum - raw[e]) <= Tolerance, $"row {r} output {e}: base + contributions {sum:R}, raw score {raw[e]:R}");
                }
                sameScore(model.Predict(row), raw);
                checkedRows++;
            }
        }
        Assert.True(worst <= Tolerance);
        return checkedRows;
    }

    private static List<IReadOnlyList<RegressionTree>> Ensembles(object predictor) => predictor switch
    {
        LightGbmRegressionModelParameters r => [r.TrainedTreeEnsemble.Trees],
        CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> b => [b.SubModel.TrainedTreeEnsemble.Trees],
        OneVersusAllModelParameters o => OneVersusAllParts.SubModels(o).Select(m => m.SubModel.TrainedTreeEnsemble.Trees).ToList(),
        var other => throw new InvalidOperationException(other.GetType().Name),
    };

    private static TrainingJobSpec Spec(string dataset, string task, string label, TrainerParams trainer, string? positive, IReadOnlyList<string>? features) =>
        new("explainer-tests", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
            Features: features, PositiveClass: positive, Trainer: trainer, Split: new SplitSpec(0.2, 42));

    private static async Task<TrainingData> PrepareAsync(TrainingJobSpec spec, string dataset)
    {
        await using var csv = File.OpenRead(Path.Combine(Datasets.Folder(), dataset));
        var table = await CsvTable.ReadAsync(csv, CancellationToken.None);
        return TrainingData.Prepare(spec, table, null);
    }
    /// <summary>Trains with the worker's trainer, whose bundle has the covers counted on the training rows.</summary>
    /// <summary>Trains with the worker's trainer and adds the covers counted on the training rows, as the trainer would.</summary>
    private static async Task<(ScoringModel Model, TrainingData Data, object Predictor)> TrainAsync(
        string dataset, string task, string label, TrainerParams trainer, string? positive = null, IReadOnlyList<string>? features = null)
    {
        var spec = Spec(dataset, task, label, trainer, positive, features);
        var data = await PrepareAsync(spec, dataset);
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);
        var bundle = result.Bundle;
        using var stream = new MemoryStream(bundle);
        var model = await ScoringModel.LoadAsync(stream, CancellationToken.None);
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        Assert.True(model.Explainer is not null, model.ExplainerUnavailableReason);
        // The trees, read separately from the same bundle for the reference implementation.
        using var again = new MemoryStream(bundle);
        var (_, modelBytes) = await ModelBundleFile.ReadAsync(again, CancellationToken.None);
        var loaded = new MLContext(seed: 0).Model.Load(modelBytes, out _);
        return (model, data, ((ISingleFeaturePredictionTransformer<object>)Unchain(loaded)).Model);
    }

    private static ITransformer Unchain(ITransformer model) =>
        model is TransformerChain<ITransformer> chain ? chain.Single() : model;
}
