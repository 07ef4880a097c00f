using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Serving.Api.Tests.Infrastructure;

/// <summary>
/// Real LightGBM models trained once per test run with Training.Worker's trainer on the shared datasets: Ames
/// (regression, two different trainings for swaps), credit scoring (binary) and HPC (multiclass). Each keeps
/// its test-split rows as request rows and the offline model's predictions for them.
/// </summary>
public sealed class TrainedModels : IAsyncLifetime
{
    public TrainedModel Ames { get; private set; } = null!;
    public TrainedModel AmesAlternative { get; private set; } = null!;
    public TrainedModel Credit { get; private set; } = null!;
    public TrainedModel Hpc { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Few iterations: the tests need real models, not good ones, and the machine has two cores.
        Ames = await TrainedModel.TrainAsync("ames_housing.csv", TrainingTasks.Regression, "Sale_Price", new TrainerParams(NumberOfIterations: 60));
        AmesAlternative = await TrainedModel.TrainAsync("ames_housing.csv", TrainingTasks.Regression, "Sale_Price", new TrainerParams(NumberOfIterations: 40, NumberOfLeaves: 15));
        Credit = await TrainedModel.TrainAsync("credit_scoring.csv", TrainingTasks.Binary, "Status", new TrainerParams(NumberOfIterations: 40), positiveClass: "bad");
        Hpc = await TrainedModel.TrainAsync("hpc_data.csv", TrainingTasks.Multiclass, "class", new TrainerParams(NumberOfIterations: 30));
    }

    public Task DisposeAsync()
    {
        foreach (var model in new[] { Ames, AmesAlternative, Credit, Hpc })
            if (model is not null && File.Exists(model.BundlePath)) File.Delete(model.BundlePath);
        return Task.CompletedTask;
    }
}

/// <summary>One trained bundle: bytes (as registered), a file copy (offline serving), request rows and offline answers.</summary>
public sealed class TrainedModel
{
    private TrainedModel(TrainingResult result, string bundlePath, IReadOnlyList<Dictionary<string, object?>> rows, IReadOnlyList<Registry.Client.Serving.Prediction> offline)
    {
        Result = result;
        BundlePath = bundlePath;
        TestRows = rows;
        Offline = offline;
    }

    public TrainingResult Result { get; }
    public byte[] Bytes => Result.Bundle;
    public string Sha256 => Result.Sha256;
    public string BundlePath { get; }

    /// <summary>Test-split rows keyed by column name: double or string, null for missing (the request form).</summary>
    public IReadOnlyList<Dictionary<string, object?>> TestRows { get; }

    /// <summary>The offline model's prediction for each of <see cref="TestRows"/> (ScoringModel on the trainer's own encoding).</summary>
    public IReadOnlyList<Registry.Client.Serving.Prediction> Offline { get; }

    /// <summary>A V2 infer request of test rows (one tensor per column, shape [rows]).</summary>
    public Registry.Client.Serving.V2InferRequest V2Request(int rows, int skip = 0)
    {
        var sample = TestRows.Skip(skip).Take(rows).ToList();
        var inputs = sample[0].Keys.Select(column =>
        {
            var numeric = sample.All(r => r[column] is null or double);
            return new Registry.Client.Serving.V2Tensor(column, [rows], numeric ? Registry.Client.Serving.V2Datatypes.Fp64 : Registry.Client.Serving.V2Datatypes.Bytes,
                System.Text.Json.JsonSerializer.SerializeToElement(sample.Select(r => r[column]).ToArray()));
        }).ToList();
        return new Registry.Client.Serving.V2InferRequest(inputs, Id: "req-1");
    }

    public static async Task<TrainedModel> TrainAsync(string dataset, string task, string label, TrainerParams trainer, string? positiveClass = null)
    {
        var path = Path.Combine(DatasetsFolder(), dataset);
        var spec = new TrainingJobSpec("serving-tests", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
            PositiveClass: positiveClass, Trainer: trainer, Split: new SplitSpec(0.2, 42));
        await using var csv = File.OpenRead(path);
        var table = await CsvTable.ReadAsync(csv, CancellationToken.None);
        var data = TrainingData.Prepare(spec, table, null);
        var result = await ModelTrainer.TrainAsync(data, LightGbmSettings.From(trainer), CancellationToken.None);

        var bundlePath = Path.Combine(Path.GetTempPath(), $"serving-test-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(bundlePath, result.Bundle);
        using var bytes = new MemoryStream(result.Bundle);
        var offline = await ScoringModel.LoadAsync(bytes, CancellationToken.None);

        var rows = new List<Dictionary<string, object?>>();
        var predictions = new List<Registry.Client.Serving.Prediction>();
        foreach (var row in data.Test.Take(200))
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var f = 0; f < data.Features.Count; f++)
            {
                values[data.Features[f].Name] = data.Features[f].Kind == ModelBundle.Features.FeatureKind.Numeric
                    ? data.NumericValue(f, row)
                    : data.CategoricalValue(f, row);
            }
            rows.Add(values);
            predictions.Add(offline.Predict(data.Encode(row)));
        }
        return new TrainedModel(result, bundlePath, rows, predictions);
    }

    private static string DatasetsFolder()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MLOPS_DATASETS");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        // samples/datasets holds the shared datasets byte for byte (samples/README.md), so a clone tests alone.
        return Path.Combine(TestServices.RepoRoot(), "samples", "datasets");
    }
}
