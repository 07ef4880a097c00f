// ExplainBench [DATASETS_FOLDER] [ROUNDS]
// Trains three models with Training.Worker's ModelTrainer (80/20 split, seed 42), rewrites their bundles as the trainer
// writes them (timed: tree covers, plain trees and their probe), and prints us/row, single-threaded after a warm-up, for explaining each test row with
// exact TreeSHAP (ModelBundle's TreeExplainer) next to predicting it (ScoringModel's tree evaluator). Before timing
// it checks that base value + contributions equal the raw score to 1e-6 on every test row.
// - Ames regression on Sale_Price, 300 iterations, learning rate 0.1, 31 leaves (the serving and scoring benches' model);
// - credit scoring binary on Status (positive "bad"), 100 iterations (ML.NET's default), 31 leaves;
// - HPC multiclass on class (4 classes), 100 iterations, 31 leaves: 4 x 100 trees.
using System.Diagnostics;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

var datasets = args.Length > 0 ? args[0] : Path.Combine(RepoRoot(), "samples", "datasets");
var rounds = args.Length > 1 ? int.Parse(args[1]) : 5;
Console.WriteLine($"1 thread of {Environment.ProcessorCount} cores, every test row, {rounds} rounds after a warm-up");

await BenchAsync("Ames regression (300 trees)", "ames_housing.csv", TrainingTasks.Regression, "Sale_Price", null,
    new TrainerParams(NumberOfIterations: 300, LearningRate: 0.1));
await BenchAsync("credit binary (100 trees)", "credit_scoring.csv", TrainingTasks.Binary, "Status", "bad",
    new TrainerParams(NumberOfIterations: 100));
await BenchAsync("HPC multiclass (4 classes x 100 trees)", "hpc_data.csv", TrainingTasks.Multiclass, "class", null,
    new TrainerParams(NumberOfIterations: 100));
return 0;

async Task BenchAsync(string name, string dataset, string task, string label, string? positive, TrainerParams trainer)
{
    var spec = new TrainingJobSpec("bench", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
        PositiveClass: positive, Trainer: trainer, Split: new SplitSpec(0.2, 42));
    await using var csv = File.OpenRead(Path.Combine(datasets, dataset));
    var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
    var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);

    var coversClock = Stopwatch.StartNew();
    var bundle = await TreeBundle.RewriteAsync(result.Bundle, data.Train.Select(data.Encode), CancellationToken.None);
    var coversMs = coversClock.Elapsed.TotalMilliseconds;
    var model = await ScoringModel.LoadAsync(new MemoryStream(bundle), CancellationToken.None);
    var explainer = model.Explainer ?? throw new InvalidOperationException(model.ExplainerUnavailableReason);

    var rows = data.Test.Select(data.Encode).ToArray();
    var raw = new double[explainer.OutputCount];
    var phi = new double[explainer.OutputCount * explainer.PlayerCount];
    foreach (var row in rows)
    {
        explainer.Explain(row, raw, phi);
        for (var e = 0; e < raw.Length; e++)
        {
            var sum = explainer.BaseValue(e);
            for (var c = 0; c < explainer.PlayerCount; c++) sum += phi[e * explainer.PlayerCount + c];
            if (Math.Abs(sum - raw[e]) > 1e-6) throw new InvalidOperationException($"{name}: not additive: {sum} vs {raw[e]}");
        }
    }

    double Time(Action<float[]> work, int times)
    {
        foreach (var row in rows) work(row); // warm-up (tiered JIT)
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < times; r++)
            foreach (var row in rows) work(row);
        return clock.Elapsed.TotalMicroseconds / (rows.Length * (double)times);
    }

    var explainUs = Time(row => explainer.Explain(row, raw, phi), rounds);
    var predictUs = Time(row => model.Predict(row), rounds * 20);
    Console.WriteLine($"{name}: {rows.Length} test rows, {data.Train.Length} training rows, {model.Encoder.Columns.Count} input columns ({model.Encoder.Length} slots)");
    Console.WriteLine($"  covers, trees, probe; bundle written {coversMs,9:F0} ms");
    Console.WriteLine($"  predict (tree evaluator)             {predictUs,9:F2} us/row");
    Console.WriteLine($"  explain (TreeSHAP, all outputs)      {explainUs,9:F2} us/row  ({explainUs / predictUs:F0}x predict)");
}

static string RepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln"))) return dir.FullName;
    throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
}
