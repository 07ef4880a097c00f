// ScoringBench [DATASETS_FOLDER] [ROUNDS]
// Trains two models with Training.Worker's ModelTrainer (80/20 split, seed 42) and prints us/row for scoring their
// test rows in 100-row batches with ML.NET's PredictionEngine (ScoringModel's fallback) and with ScoringModel's tree
// evaluator, single-threaded, after a warm-up. Both must agree to the bit on every test row before anything is timed.
// - Ames regression on Sale_Price, 300 iterations, learning rate 0.1, 31 leaves (the serving bench's model, as
//   bench/serving/BundleTool);
// - HPC multiclass on class (4 classes), 100 iterations (ML.NET's default), 31 leaves: 4 x 100 trees.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Training.Worker.Training;

var datasets = args.Length > 0 ? args[0] : Path.Combine(RepoRoot(), "samples", "datasets");
var rounds = args.Length > 1 ? int.Parse(args[1]) : 200;
Console.WriteLine($"1 thread of {Environment.ProcessorCount} cores, test rows in 100-row batches");

var ok = await BenchAsync("Ames regression (300 trees)", "ames_housing.csv", TrainingTasks.Regression, "Sale_Price",
    new TrainerParams(NumberOfIterations: 300, LearningRate: 0.1));
ok &= await BenchAsync("HPC multiclass (4 classes x 100 trees)", "hpc_data.csv", TrainingTasks.Multiclass, "class",
    new TrainerParams(NumberOfIterations: 100));
return ok ? 0 : 1;

async Task<bool> BenchAsync(string name, string dataset, string task, string label, TrainerParams trainer)
{
    var spec = new TrainingJobSpec("bench", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
        Trainer: trainer, Split: new SplitSpec(0.2, 42));
    await using var csv = File.OpenRead(Path.Combine(datasets, dataset));
    var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
    var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);

    var model = await ScoringModel.LoadAsync(new MemoryStream(result.Bundle), CancellationToken.None);
    if (!model.UsesTreeEvaluator)
    {
        Console.Error.WriteLine($"{name}: tree evaluator not used: {model.TreeEvaluatorFallbackReason}");
        return false;
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
        var (a, b) = (model.Predict(row), engine.Score(row));
        if (!Same(a, b)) throw new InvalidOperationException($"{name}: evaluator {a} != PredictionEngine {b}");
    }
    // The batch path (tree-major blocks of rows) too.
    foreach (var batch in batches)
    {
        model.Predict(batch, results);
        for (var i = 0; i < batch.Length; i++)
            if (!Same(results[i], engine.Score(batch[i]))) throw new InvalidOperationException($"{name}: batch evaluator {results[i]} != PredictionEngine");
    }

    // Wall and process CPU time per row: ML.NET's multiclass model scores its classes with Parallel.For, so its
    // PredictionEngine uses more than the calling thread.
    (double Wall, double Cpu) Time(Action<float[][]> scoreBatch, int times)
    {
        foreach (var batch in batches) scoreBatch(batch); // warm-up (tiered JIT)
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var scored = 0;
        for (var r = 0; r < times; r++)
            foreach (var batch in batches) { scoreBatch(batch); scored += batch.Length; }
        var wall = clock.Elapsed.TotalMicroseconds / scored;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalMicroseconds / scored);
    }

    var engineUs = Time(batch => { for (var i = 0; i < batch.Length; i++) results[i] = engine.Score(batch[i]); }, Math.Max(1, rounds / 10));
    var treesUs = Time(batch => model.Predict(batch, results), rounds);
    // One row per call, as a single-row request scores (the row-major walk, not the batch blocks).
    var singleUs = Time(batch => { for (var i = 0; i < batch.Length; i++) results[i] = model.Predict(batch[i]); }, rounds);
    Console.WriteLine($"{name}, test {string.Join(" ", result.Metrics.Select(m => $"{m.Key}={m.Value:G6}"))}, {rows.Length} test rows");
    Console.WriteLine($"  PredictionEngine     {engineUs.Wall,8:F2} us/row  (CPU {engineUs.Cpu:F2})");
    Console.WriteLine($"  tree evaluator       {treesUs.Wall,8:F2} us/row  (CPU {treesUs.Cpu:F2})  {engineUs.Wall / treesUs.Wall:F1}x wall, {engineUs.Cpu / treesUs.Cpu:F1}x CPU");
    Console.WriteLine($"    one row per call   {singleUs.Wall,8:F2} us/row  (CPU {singleUs.Cpu:F2})");

    // The bundle's plain trees evaluated both ways in this run: leaf masks (what serves trees of <= 32 leaves) and
    // the walk (what serves larger ones), raw outputs compared to the bit first.
    await using var reader = await BundleReader.OpenAsync(new MemoryStream(result.Bundle), CancellationToken.None);
    var ensembles = reader.Trees!.Ensembles;
    var length = model.Encoder.Length;
    var evaluators = new[] { true, false }.Select(masks => TreeEnsembleEvaluator.TryCreate(ensembles, length, out _, masks)!).ToArray();
    if (!evaluators[0].UsesLeafMasks || evaluators[1].UsesLeafMasks) throw new InvalidOperationException($"{name}: leaf masks not used as asked");
    var outputs = evaluators.Select(e => new float[100 * e.OutputCount]).ToArray();
    var scratch = evaluators.Select(e => new float[e.BlockScratchLength]).ToArray();
    void Block(int which, float[][] batch)
    {
        var e = evaluators[which];
        for (var start = 0; start + TreeEnsembleEvaluator.BlockRows <= batch.Length; start += TreeEnsembleEvaluator.BlockRows)
            e.EvaluateBlock(batch, start, outputs[which].AsSpan(start * e.OutputCount), scratch[which]);
    }
    void Rows(int which, float[][] batch)
    {
        var e = evaluators[which];
        for (var i = 0; i < batch.Length; i++) e.Evaluate(batch[i], outputs[which].AsSpan(i * e.OutputCount, e.OutputCount));
    }
    foreach (var batch in batches)
        foreach (var walk in new Action<int, float[][]>[] { Block, Rows })
        {
            walk(0, batch);
            walk(1, batch);
            // Bits, not float equality: -0 and 0 must not pass for each other.
            if (!MemoryMarshal.Cast<float, int>(outputs[0].AsSpan(0, 96 * evaluators[0].OutputCount)).SequenceEqual(MemoryMarshal.Cast<float, int>(outputs[1].AsSpan(0, 96 * evaluators[0].OutputCount))))
                throw new InvalidOperationException($"{name}: leaf masks and walk disagree");
        }
    var masksBlock = Time(batch => Block(0, batch), rounds);
    var walkBlock = Time(batch => Block(1, batch), rounds);
    var masksRow = Time(batch => Rows(0, batch), rounds);
    var walkRow = Time(batch => Rows(1, batch), rounds);
    Console.WriteLine($"  evaluator alone, same run (16-row blocks: 96 of each 100 rows; one row per call: all 100):");
    Console.WriteLine($"    leaf masks  blocks {masksBlock.Wall * 100 / 96,6:F2} us/row, one row {masksRow.Wall,6:F2} us/row");
    Console.WriteLine($"    walk        blocks {walkBlock.Wall * 100 / 96,6:F2} us/row, one row {walkRow.Wall,6:F2} us/row");
    return true;
}

// Label, raw score, probability and every class probability, to the bit.
static bool Same(Prediction a, Prediction b) =>
    a.Label == b.Label && Bits(a.Value) == Bits(b.Value) && Bits(a.Probability) == Bits(b.Probability)
    && (a.Probabilities?.Count ?? 0) == (b.Probabilities?.Count ?? 0)
    && (a.Probabilities ?? new Dictionary<string, double>()).All(p => Bits(p.Value) == Bits(b.Probabilities![p.Key]));

static long? Bits(double? value) => value is { } v ? BitConverter.DoubleToInt64Bits(v) : null;

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln"))) return dir.FullName;
    throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
}
