using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Telemetry;
using MlOps.Training.Worker.Training;

// One training as the worker does it (CSV stream -> typed data -> LightGBM -> bundle), on an external split: the
// first ROWS - round(ROWS * 0.2) data rows train, the rest test (the generated rows are i.i.d.; xgb_fit.py uses the
// same rows). Prints timings, test metrics and the model sha256 as JSON; peak RSS is measured outside the process.
// Usage: ScaleBench SPEC CSV ROWS THREADS
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: ScaleBench SPEC CSV ROWS THREADS");
    return 2;
}
var spec = JsonSerializer.Deserialize<TrainingJobSpec>(await File.ReadAllTextAsync(args[0]), RegistryJson.Options)
    ?? throw new InvalidDataException(args[0]);
var rows = int.Parse(args[2], CultureInfo.InvariantCulture);
var threads = int.Parse(args[3], CultureInfo.InvariantCulture);
var firstTestRow = rows - (int)Math.Round(rows * 0.2);

// The fit's CPU seconds (the process's, all threads), read at the start and stop of the trainer's own "training.fit"
// activity: on a machine shared with other work the wall seconds stretch with the load, the CPU seconds much less.
double? fitCpuSeconds = null;
var cpuAtFitStart = TimeSpan.Zero;
using var fitListener = new ActivityListener
{
    ShouldListenTo = source => source.Name == TrainingTelemetry.SourceName,
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
    ActivityStarted = activity => { if (activity.OperationName == TrainingTelemetry.Fit) cpuAtFitStart = Process.GetCurrentProcess().TotalProcessorTime; },
    ActivityStopped = activity =>
    {
        if (activity.OperationName == TrainingTelemetry.Fit) fitCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtFitStart).TotalSeconds;
    },
};
ActivitySource.AddActivityListener(fitListener);

var clock = Stopwatch.StartNew();
TrainingData data;
#if LEGACY_DATA_PATH
// The worker's path before issue 13 (run.sh BASELINE=<commit>): the whole CSV read into a string per cell.
await using (var csv = File.OpenRead(args[1]))
{
    data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), schema: null, firstTestRow);
}
#else
// The worker's path: the (downloaded) bytes spooled to a temporary file and hashed, then streamed into typed columns.
await using (var csv = File.OpenRead(args[1]))
await using (var file = await DatasetFile.SpoolAsync(csv, CancellationToken.None))
{
    data = TrainingData.Load(spec, file, schema: null, firstTestRow);
}
#endif
var loadSeconds = clock.Elapsed.TotalSeconds;
if (data.Train.Length + data.Test.Length != rows) throw new InvalidDataException($"read {data.Train.Length + data.Test.Length} labelled rows, expected {rows}");
var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(spec.Trainer, threads), CancellationToken.None);

Console.WriteLine(JsonSerializer.Serialize(new
{
    train_rows = result.TrainRows,
    test_rows = result.TestRows,
    threads,
    load_seconds = loadSeconds,
    fit_seconds = result.FitTime.TotalSeconds,
    fit_cpu_seconds = fitCpuSeconds,
    pipeline_seconds = result.TrainingTime.TotalSeconds,
    total_seconds = clock.Elapsed.TotalSeconds,
    auc = result.Metrics[MetricNames.Auc],
    log_loss = result.Metrics[MetricNames.LogLoss],
    model_sha256 = result.Sha256,
}, new JsonSerializerOptions { WriteIndented = true }));
return 0;
