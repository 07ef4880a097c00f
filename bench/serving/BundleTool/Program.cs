// BundleTool CSV LABEL OUT_DIR SAMPLE_ROW_JSON
// Trains a LightGBM regression bundle with Training.Worker's ModelTrainer (80/20 split, seed 42, 300 iterations,
// learning rate 0.1: the peers' XGBoost settings where LightGBM has them), writes OUT_DIR/model.bundle.zip,
// and OUT_DIR/expected.json with the offline model's prediction for the peers' sample row.
using System.Text.Json;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: BundleTool CSV LABEL OUT_DIR SAMPLE_ROW_JSON");
    return 2;
}
var (csvPath, label, outDir, samplePath) = (args[0], args[1], args[2], args[3]);
Directory.CreateDirectory(outDir);

var trainer = new TrainerParams(NumberOfIterations: 300, LearningRate: 0.1);
var spec = new TrainingJobSpec("bench", new DatasetRef(Path.GetFileNameWithoutExtension(csvPath), 1), TrainingTasks.Regression, label,
    Trainer: trainer, Split: new SplitSpec(0.2, 42));
await using (var csv = File.OpenRead(csvPath))
{
    var table = await CsvTable.ReadAsync(csv, CancellationToken.None);
    var data = TrainingData.Prepare(spec, table, null);
    var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);
    var bundlePath = Path.Combine(outDir, "model.bundle.zip");
    await File.WriteAllBytesAsync(bundlePath, result.Bundle);
    Console.WriteLine($"trained {data.Train.Length}/{data.Test.Length} rows in {result.TrainingTime.TotalSeconds:F2} s: "
        + string.Join(" ", result.Metrics.Select(m => $"{m.Key}={m.Value:G6}")) + $" sha256={result.Sha256}");
}

// The offline prediction for the peers' sample row, encoded by the bundle's own encoder.
await using var bundle = File.OpenRead(Path.Combine(outDir, "model.bundle.zip"));
var model = await ScoringModel.LoadAsync(bundle, CancellationToken.None);
Console.WriteLine((model.UsesTreeEvaluator ? "scoring: tree evaluator" : $"scoring: PredictionEngine ({model.TreeEvaluatorFallbackReason})")
    + (model.MlNetLoadReason is { } why ? $"; ML.NET loaded ({why})" : "; ML.NET not loaded (the bundle's plain trees)"));
var features = JsonDocument.Parse(await File.ReadAllTextAsync(samplePath)).RootElement.GetProperty("features");
var vector = new float[model.Encoder.Length];
model.Encoder.Reset(vector);
for (var c = 0; c < model.Encoder.Columns.Count; c++)
{
    var column = model.Encoder.Columns[c];
    var value = features.GetProperty(column.Name);
    if (column.Kind == FeatureKind.Numeric) model.Encoder.SetNumeric(vector, c, value.ValueKind == JsonValueKind.Null ? null : value.GetDouble());
    else model.Encoder.SetCategorical(vector, c, value.ValueKind == JsonValueKind.Null ? null : value.GetString());
}
var expected = model.Predict(vector).Value;
await File.WriteAllTextAsync(Path.Combine(outDir, "expected.json"), JsonSerializer.Serialize(new { sample_row = expected }));
Console.WriteLine($"offline prediction for the sample row: {expected}");
return 0;
