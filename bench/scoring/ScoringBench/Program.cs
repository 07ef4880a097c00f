// ScoringBench [CSV] [ROUNDS]
// Trains the serving bench's Ames model (Training.Worker's ModelTrainer: regression on Sale_Price, 80/20 split with
// seed 42, 300 iterations, learning rate 0.1, 31 leaves, as bench/serving/BundleTool) and prints us/row for scoring
// the test rows in 100-row batches with ML.NET's PredictionEngine (ScoringModel's fallback) and with ScoringModel's
// tree evaluator, single-threaded, after a warm-up. Both must agree on every row before anything is timed.
using System.Diagnostics;
using Microsoft.ML;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Training.Worker.Training;

var csvPath = args.Length > 0 ? args[0] : Path.Combine(RepoRoot(), "samples", "datasets", "ames_housing.csv");
var rounds = args.Length > 1 ? int.Parse(args[1]) : 200;

var trainer = new TrainerParams(NumberOfIterations: 300, LearningRate: 0.1);
var spec = new TrainingJobSpec("bench", new DatasetRef("ames_housing", 1), TrainingTasks.Regression, "Sale_Price",
    Trainer: trainer, Split: new SplitSpec(0.2, 42));
await using var csv = File.OpenRead(csvPath);
var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);

var model = await ScoringModel.LoadAsync(new MemoryStream(result.Bundle), CancellationToken.None);
if (!model.UsesTreeEvaluator)
{
    Console.Error.WriteLine($"tree evaluator not used: {model.TreeEvaluatorFallbackReason}");
    return 1;
}
var (manifest, modelBytes) = await ModelBundleFile.ReadAsync(new MemoryStream(result.Bundle), CancellationToken.None);
var ml = new MLContext(seed: 0);
var engine = RowScorer.Create(ml, ml.Model.Load(modelBytes, out _), manifest, model.Encoder.Length);

// 100-row batches cycling over the test split (the served batch size).
var rows = data.Test.Select(data.Encode).ToArray();
var batches = Enumerable.Range(0, rows.Length / 100).Select(b => rows.Skip(b * 100).Take(100).ToArray()).ToArray();
var results = new Prediction[100];
foreach (var row in rows)
{
    var (a, b) = (model.Predict(row).Value!.Value, engine.Score(row).Value!.Value);
    if (Math.Abs(a - b) > 1e-5 * Math.Max(1, Math.Abs(b))) throw new InvalidOperationException($"evaluator {a} != PredictionEngine {b}");
}

double Time(Action<float[][]> scoreBatch, int times)
{
    foreach (var batch in batches) scoreBatch(batch); // warm-up (tiered JIT)
    var clock = Stopwatch.StartNew();
    var scored = 0;
    for (var r = 0; r < times; r++)
        foreach (var batch in batches) { scoreBatch(batch); scored += batch.Length; }
    return clock.Elapsed.TotalMicroseconds / scored;
}

var engineUs = Time(batch => { for (var i = 0; i < batch.Length; i++) results[i] = engine.Score(batch[i]); }, Math.Max(1, rounds / 10));
var treesUs = Time(batch => model.Predict(batch, results), rounds);
Console.WriteLine($"Ames model (300 trees, 31 leaves, test {string.Join(" ", result.Metrics.Select(m => $"{m.Key}={m.Value:G6}"))}), "
    + $"{rows.Length} test rows in 100-row batches, 1 thread of {Environment.ProcessorCount} cores");
Console.WriteLine($"PredictionEngine     {engineUs,8:F2} us/row");
Console.WriteLine($"tree evaluator       {treesUs,8:F2} us/row  ({engineUs / treesUs:F1}x)");
return 0;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln"))) return dir.FullName;
    throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
}
