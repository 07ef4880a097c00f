using System.Globalization;
using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

// Trains our LightGBM model on an externally made split (train.csv rows, then test.csv rows) with a job spec's
// trainer settings, as the worker would, and prints the timings and test metrics as JSON.
// Usage: TrainingBench SPEC TRAIN_CSV TEST_CSV [THREADS]
//        TrainingBench SPEC TRAIN_CSV            validation RMSE on the spec's seeded split of TRAIN_CSV alone,
//                                                for choosing settings without looking at the test rows
if (args.Length == 2)
{
    var tuneSpec = JsonSerializer.Deserialize<TrainingJobSpec>(await File.ReadAllTextAsync(args[0]), RegistryJson.Options)
        ?? throw new InvalidDataException(args[0]);
    var inner = TrainingData.Prepare(tuneSpec, CsvTable.Parse(await File.ReadAllTextAsync(args[1])), schema: null);
    var result = await ModelTrainer.TrainAsync(inner, LightGbmSettings.From(tuneSpec.Trainer), CancellationToken.None);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation_rmse={result.Metrics[MetricNames.Rmse]:F0} fit_seconds={result.FitTime.TotalSeconds:F3}"));
    return 0;
}
if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: TrainingBench SPEC TRAIN_CSV [TEST_CSV [THREADS]]");
    return 2;
}
var spec = JsonSerializer.Deserialize<TrainingJobSpec>(await File.ReadAllTextAsync(args[0]), RegistryJson.Options)
    ?? throw new InvalidDataException(args[0]);
var threads = args.Length == 4 ? int.Parse(args[3], CultureInfo.InvariantCulture) : LightGbmSettings.DefaultThreads;

var train = CsvTable.Parse(await File.ReadAllTextAsync(args[1]));
var test = CsvTable.Parse(await File.ReadAllTextAsync(args[2]));
if (!train.Header.SequenceEqual(test.Header)) throw new InvalidDataException("train and test headers differ");
var rows = new List<string?[]>(train.Rows);
rows.AddRange(test.Rows);
var data = TrainingData.Prepare(spec, new CsvTable(train.Header, rows), schema: null, firstTestRow: train.Rows.Count);
var settings = LightGbmSettings.From(spec.Trainer, threads);

// The first training in a process also pays for JIT compilation and loading LightGBM's native library.
var cold = await ModelTrainer.TrainAsync(data, settings, CancellationToken.None);
var warm = await ModelTrainer.TrainAsync(data, settings, CancellationToken.None);
if (cold.Sha256 != warm.Sha256) throw new InvalidOperationException("Two trainings of one spec differ.");

Console.WriteLine(JsonSerializer.Serialize(new
{
    train_rows = warm.TrainRows,
    test_rows = warm.TestRows,
    threads,
    @params = warm.Params,
    rmse = warm.Metrics[MetricNames.Rmse],
    r2 = warm.Metrics[MetricNames.R2],
    fit_seconds_cold = cold.FitTime.TotalSeconds,
    fit_seconds = warm.FitTime.TotalSeconds,
    pipeline_seconds = warm.TrainingTime.TotalSeconds,
    model_sha256 = warm.Sha256,
}, new JsonSerializerOptions { WriteIndented = true }));
return 0;
