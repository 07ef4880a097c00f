using System.Runtime.Intrinsics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Training.Worker.Training;

namespace MlOps.ModelBundle.Tests;

/// <summary>
/// ScoringModel (the flattened tree evaluator where it applies) against ML.NET's own PredictionEngine on the same
/// bundle, for real models trained by the worker's trainer on the sample datasets: every train and test row as
/// encoded, plus each row with numeric cells missing and with unknown categories, all to the bit.
/// </summary>
public sealed class TreeEvaluatorTests
{
    [Fact]
    public async Task Ames_regression_uses_the_tree_evaluator_and_matches_ml_net()
    {
        // The benchmarked model: 300 iterations, learning rate 0.1, 31 leaves.
        var (model, engine, data) = await TrainAsync("ames_housing.csv", TrainingTasks.Regression, "Sale_Price",
            new TrainerParams(NumberOfIterations: 300, LearningRate: 0.1));
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        // From the bundle's plain trees, without ML.NET: the comparison below checks them against ML.NET's model.
        Assert.True(model.MlNetLoadReason is null, model.MlNetLoadReason);
        Assert.Equal(Vector256.IsHardwareAccelerated, model.UsesLeafMasks); // leaf masks need 256-bit vectors
        var checkedRows = Compare(model, engine, data);
        Assert.True(checkedRows > 5000, $"only {checkedRows} rows compared");
    }

    [Fact]
    public async Task Trees_of_more_than_32_leaves_walk_their_batches_and_match_ml_net()
    {
        // Leaf masks are 32 bits: a 40-leaf model scores its blocks with the walk instead, to the same bits.
        var (model, engine, data) = await TrainAsync("credit_scoring.csv", TrainingTasks.Binary, "Status",
            new TrainerParams(NumberOfIterations: 20, NumberOfLeaves: 40), positiveClass: "bad");
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        Assert.False(model.UsesLeafMasks);
        Compare(model, engine, data);
    }

    [Fact]
    public async Task Credit_binary_with_missing_cells_uses_the_tree_evaluator_and_matches_ml_net()
    {
        var (model, engine, data) = await TrainAsync("credit_scoring.csv", TrainingTasks.Binary, "Status",
            new TrainerParams(NumberOfIterations: 100), positiveClass: "bad");
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        Assert.True(model.MlNetLoadReason is null, model.MlNetLoadReason);
        Assert.Equal(Vector256.IsHardwareAccelerated, model.UsesLeafMasks); // leaf masks need 256-bit vectors
        // The dataset's own empty cells must be among the rows compared.
        Assert.Contains(data.Train.Concat(data.Test), row => Enumerable.Range(0, data.Features.Count)
            .Any(f => data.Features[f].Kind == FeatureKind.Numeric && data.NumericValue(f, row) is null));
        Compare(model, engine, data);
    }

    [Fact]
    public async Task Hpc_multiclass_uses_the_tree_evaluator_and_matches_ml_net()
    {
        var (model, engine, data) = await TrainAsync("hpc_data.csv", TrainingTasks.Multiclass, "class",
            new TrainerParams(NumberOfIterations: 30));
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        Assert.True(model.MlNetLoadReason is null, model.MlNetLoadReason);
        Assert.True(data.Classes is { Count: > 2 });
        Assert.Equal(Vector256.IsHardwareAccelerated, model.UsesLeafMasks); // leaf masks need 256-bit vectors
        var checkedRows = Compare(model, engine, data);
        Assert.True(checkedRows > 10000, $"only {checkedRows} rows compared");
    }

    [Fact]
    public async Task Multiclass_model_with_raw_softmax_scores_stays_on_ml_net_and_says_why()
    {
        // ML.NET uses softmax from 50,000 training rows (or when asked) and saves it without its softmax flag, so it
        // reloads with raw per-class scores: not what the evaluator reproduces. Same data and bundle manifest as the
        // hpc model, only the ML.NET model is trained with UseSoftmax.
        var (trained, _, data) = await TrainAsync("hpc_data.csv", TrainingTasks.Multiclass, "class",
            new TrainerParams(NumberOfIterations: 10));
        var ml = new MLContext(seed: 0);
        var schema = SchemaDefinition.Create(typeof(LabeledRow));
        schema[nameof(LabeledRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, trained.Encoder.Length);
        var rows = data.Train.Select(r => new LabeledRow { Features = data.Encode(r), Label = data.Classes![(int)data.Labels[r]] });
        var keyed = ml.Transforms.Conversion.MapValueToKey(nameof(LabeledRow.Label)).Fit(ml.Data.LoadFromEnumerable(rows, schema))
            .Transform(ml.Data.LoadFromEnumerable(rows, schema));
        var softmax = ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            UseSoftmax = true, NumberOfIterations = 10, NumberOfThreads = 1, LabelColumnName = nameof(LabeledRow.Label),
        }).Fit(keyed);
        using var mlNetModel = new MemoryStream();
        ml.Model.Save(softmax, keyed.Schema, mlNetModel);
        mlNetModel.Position = 0;
        using var bundle = new MemoryStream();
        await ModelBundleFile.WriteAsync(bundle, trained.Manifest, mlNetModel, CancellationToken.None);
        bundle.Position = 0;

        var model = await ScoringModel.LoadAsync(bundle, CancellationToken.None);

        Assert.False(model.UsesTreeEvaluator);
        Assert.Contains("softmax", model.TreeEvaluatorFallbackReason);
        Assert.Contains(ModelBundleFile.TreesEntry, model.MlNetLoadReason);
        Assert.Equal(data.Classes!.Count, model.Predict(data.Encode(data.Test[0])).Probabilities!.Count);
    }

    public static TheoryData<string, string> DamagedTrees => new()
    {
        // Every leaf of the first tree moved: every row's score moves, so the probe must notice.
        { "leaves", "disagrees with PredictionEngine" },
        // A child pointing past the tree's splits: refused before any row is scored.
        { "child", "child out of range" },
        // Both children of the root the same node: a graph, not a tree (walking its paths can take exponential time).
        { "shared", "two parents" },
    };

    [Theory]
    [MemberData(nameof(DamagedTrees))]
    public async Task A_bundle_whose_plain_trees_are_damaged_loads_on_ml_net_says_why_and_still_matches_it(string damage, string reason)
    {
        var (trained, engine, data) = await TrainSmallCreditAsync();
        Assert.True(trained.MlNetLoadReason is null, trained.MlNetLoadReason);
        var bundle = await RewriteTreesAsync(data, trees =>
        {
            var first = trees.Ensembles[0][0];
            var damaged = damage switch
            {
                "leaves" => first with { LeafValues = first.LeafValues.Select(v => v + 1).ToArray() },
                "child" => first with { Left = [first.SplitCount, .. first.Left[1..]] },
                _ => first with { Right = [first.Left[0], .. first.Right[1..]] },
            };
            return trees with { Ensembles = [[damaged, .. trees.Ensembles[0].Skip(1)]] };
        });

        var model = await ScoringModel.LoadAsync(bundle, CancellationToken.None);

        AssertServedOnMlNet(model, engine, data, reason);
    }

    [Fact]
    public async Task A_trees_json_that_does_not_parse_loads_on_ml_net_and_says_why()
    {
        var (_, engine, data) = await TrainSmallCreditAsync();
        var bundle = await RewriteTreesAsync(data, trees => trees);
        var truncated = new MemoryStream();
        using (var source = new System.IO.Compression.ZipArchive(bundle, System.IO.Compression.ZipArchiveMode.Read))
        using (var target = new System.IO.Compression.ZipArchive(truncated, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var all = new MemoryStream();
                from.CopyTo(all);
                var bytes = all.ToArray();
                // Cut in the middle: what a writer that died half-way would leave.
                if (entry.FullName == ModelBundleFile.TreesEntry) bytes = bytes[..(bytes.Length / 2)];
                using var to = target.CreateEntry(entry.FullName).Open();
                to.Write(bytes);
            }
        }
        truncated.Position = 0;

        var model = await ScoringModel.LoadAsync(truncated, CancellationToken.None);

        AssertServedOnMlNet(model, engine, data, "does not parse");
    }

    [Fact]
    public async Task A_bundle_from_before_plain_trees_loads_on_ml_net_with_the_evaluator_and_explainer()
    {
        var (_, engine, data) = await TrainSmallCreditAsync();
        var bundle = await RewriteTreesAsync(data, _ => null);

        var model = await ScoringModel.LoadAsync(bundle, CancellationToken.None);

        AssertServedOnMlNet(model, engine, data, $"no {ModelBundleFile.TreesEntry}");
    }

    private static Task<(ScoringModel Model, ReferenceEngine Engine, TrainingData Data)> TrainSmallCreditAsync() =>
        TrainAsync("credit_scoring.csv", TrainingTasks.Binary, "Status", new TrainerParams(NumberOfIterations: 20), positiveClass: "bad");

    /// <summary>
    /// The fallback: ML.NET loaded for <paramref name="reason"/>, the evaluator rebuilt from ML.NET's own model and
    /// checked against a live PredictionEngine, TreeSHAP still there, and every row still scored as ML.NET scores it.
    /// </summary>
    private static void AssertServedOnMlNet(ScoringModel model, ReferenceEngine engine, TrainingData data, string reason)
    {
        Assert.Contains(reason, model.MlNetLoadReason);
        Assert.True(model.UsesTreeEvaluator, model.TreeEvaluatorFallbackReason);
        Assert.True(model.Explainer is not null, model.ExplainerUnavailableReason);
        Assert.True(Compare(model, engine, data) > 1000);
    }

    /// <summary>The credit model's bundle as the trainer wrote it, with its plain trees replaced (null: left out).</summary>
    private static async Task<MemoryStream> RewriteTreesAsync(TrainingData data, Func<TreeModel, TreeModel?> change)
    {
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(new TrainerParams(NumberOfIterations: 20)), CancellationToken.None);
        await using var reader = await BundleReader.OpenAsync(new MemoryStream(result.Bundle), CancellationToken.None);
        Assert.NotNull(reader.Trees);
        await using var modelBytes = await reader.ReadMlNetModelAsync(CancellationToken.None);
        var bundle = new MemoryStream();
        await ModelBundleFile.WriteAsync(bundle, reader.Manifest, modelBytes, CancellationToken.None, reader.Covers, change(reader.Trees));
        bundle.Position = 0;
        return bundle;
    }

    private sealed class LabeledRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>Compares every row and its variants; returns how many vectors were compared.</summary>
    private static int Compare(ScoringModel model, ReferenceEngine engine, TrainingData data)
    {
        var compared = 0;
        var random = new Random(7);
        var all = new List<(float[] Vector, Prediction Expected, int Row)>();
        foreach (var row in data.Train.Concat(data.Test))
        {
            var encoded = data.Encode(row);
            var vectors = Variants(model.Encoder, data, row, encoded, random).ToList();
            // The batch entry point (what Serving.Api calls) must agree with ML.NET too.
            var batch = new Prediction[vectors.Count];
            model.Predict(vectors, batch);
            for (var v = 0; v < vectors.Count; v++)
            {
                var expected = engine.Predict(vectors[v]);
                all.Add((vectors[v], expected, row));
                AssertSamePrediction(expected, model.Predict(vectors[v]), row);
                AssertSamePrediction(expected, batch[v], row);
                compared++;
            }
        }
        // And in 100-row batches (whole 16-row blocks scored together): all rows, where complete rows and rows with
        // missing cells share blocks, and the complete rows alone (blocks without NaN skip the NaN test).
        var results = new Prediction[100];
        var complete = all.Where(c => !c.Vector.Any(float.IsNaN)).ToList();
        Assert.NotEmpty(complete);
        foreach (var chunk in all.Chunk(100).Concat(complete.Chunk(100)))
        {
            model.Predict(chunk.Select(c => c.Vector).ToList(), results.AsSpan(0, chunk.Length));
            for (var i = 0; i < chunk.Length; i++) AssertSamePrediction(chunk[i].Expected, results[i], chunk[i].Row);
        }
        return compared;
    }

    // The row as encoded; with about half its numeric cells missing; with every categorical value unknown.
    private static IEnumerable<float[]> Variants(FeatureEncoder encoder, TrainingData data, int row, float[] encoded, Random random)
    {
        yield return encoded;
        var missing = (float[])encoded.Clone();
        var unknown = (float[])encoded.Clone();
        for (var c = 0; c < encoder.Columns.Count; c++)
        {
            if (encoder.Columns[c].Kind == FeatureKind.Numeric)
            {
                if (random.Next(2) == 0) encoder.SetNumeric(missing, c, null);
            }
            else
            {
                Assert.False(encoder.SetCategorical(unknown, c, "never-seen-level " + data.CategoricalValue(c, row)));
            }
        }
        yield return missing;
        yield return unknown;
    }

    private static void AssertSamePrediction(Prediction expected, Prediction actual, int row)
    {
        AssertSame(expected.Value, actual.Value, row);
        AssertSame(expected.Probability, actual.Probability, row);
        Assert.Equal(expected.Label, actual.Label);
        if (expected.Probabilities is { } probabilities)
        {
            Assert.NotNull(actual.Probabilities);
            Assert.Equal(probabilities.Count, actual.Probabilities.Count);
            foreach (var (label, p) in probabilities) AssertSame(p, actual.Probabilities[label], row);
        }
    }

    // To the bit, as the load-time probe checks: the evaluator copies ML.NET's arithmetic, not just its result.
    private static void AssertSame(double? expected, double? actual, int row)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is not { } b || actual is not { } a) return;
        Assert.True(BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b), $"row {row}: {a:R} vs ML.NET {b:R}");
    }

    private static async Task<(ScoringModel Model, ReferenceEngine Engine, TrainingData Data)> TrainAsync(
        string dataset, string task, string label, TrainerParams trainer, string? positiveClass = null)
    {
        var spec = new TrainingJobSpec("model-bundle-tests", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
            PositiveClass: positiveClass, Trainer: trainer, Split: new SplitSpec(0.2, 42));
        await using var csv = File.OpenRead(Path.Combine(Datasets.Folder(), dataset));
        var table = await CsvTable.ReadAsync(csv, CancellationToken.None);
        var data = TrainingData.Prepare(spec, table, null);
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);
        using var forModel = new MemoryStream(result.Bundle);
        var model = await ScoringModel.LoadAsync(forModel, CancellationToken.None);
        using var forEngine = new MemoryStream(result.Bundle);
        var engine = await ReferenceEngine.LoadAsync(forEngine);
        return (model, engine, data);
    }
}

/// <summary>
/// ML.NET's PredictionEngine on a bundle's model: ScoringModel's fallback scorer, built here on its own so the
/// reference cannot take the evaluator's path.
/// </summary>
internal sealed class ReferenceEngine(RowScorer scorer)
{
    public Prediction Predict(float[] features) => scorer.Score(features);

    public static async Task<ReferenceEngine> LoadAsync(Stream bundle)
    {
        var (manifest, modelBytes) = await ModelBundleFile.ReadAsync(bundle, CancellationToken.None);
        var ml = new MLContext(seed: 0);
        var model = ml.Model.Load(modelBytes, out _);
        return new ReferenceEngine(RowScorer.Create(ml, model, manifest, new FeatureEncoder(manifest.Features).Length));
    }
}
