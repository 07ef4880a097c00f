using System.Net.Http.Headers;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The whole system as real processes on loopback: PostgreSQL, the S3 server, Registry.Api, two
/// Training.Worker and two Serving.Api processes, configured with the same keys Aspire injects.
/// </summary>
public sealed class LiveSystem : IAsyncLifetime
{
    public const string AdminKey = "e2e-admin-key";
    public const string TrainerKey = "e2e-trainer-key";
    public const string ReaderKey = "e2e-reader-key";
    public const string ModelName = "ames-price";
    public const string Alias = "production";

    /// <summary>Short leases so that a killed worker's job comes back quickly.</summary>
    public const int LeaseSeconds = 6;

    private readonly List<ServiceProcess> _workers = [];
    private int _workerCount;

    public BackingServices Backing { get; private set; } = null!;

    public ServiceProcess Registry { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Workers => _workers;

    public IReadOnlyList<ServiceProcess> Serving { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Backing = await BackingServices.StartAsync();
        Registry = new ServiceProcess("registry-api", "Registry.Api", FreePort.Next(), RegistryEnvironment(Backing, "mlops-e2e"));
        Registry.Start();
        await Registry.WaitHealthyAsync("/health", TimeSpan.FromSeconds(90));

        for (var i = 0; i < 2; i++) await StartWorkerAsync();

        var serving = new List<ServiceProcess>();
        for (var i = 0; i < 2; i++)
        {
            var environment = new Dictionary<string, string>
            {
                ["services__registry-api__http__0"] = Registry.BaseAddress.ToString().TrimEnd('/'),
                ["Registry__ApiKey"] = ReaderKey,
                ["Serving__Models__0__Name"] = ModelName,
                ["Serving__Models__0__Alias"] = Alias,
                ["Serving__Drift__Threshold"] = "0.25",
            };
            if (i == 1)
            {
                // The second replica also queues a retraining job when drift crosses the threshold (off by default).
                environment["Registry__ApiKey"] = TrainerKey;
                environment["Serving__Drift__Retrain__Enabled"] = "true";
                environment["Serving__Drift__Retrain__CheckSeconds"] = "1";
            }
            var replica = new ServiceProcess($"serving-api-{i}", "Serving.Api", FreePort.Next(), environment);
            replica.Start();
            serving.Add(replica);
        }
        Serving = serving;
        foreach (var replica in serving) await replica.WaitHealthyAsync("/alive");
    }

    /// <summary>What the AppHost gives the registry: the stores and the three API keys.</summary>
    public static Dictionary<string, string> RegistryEnvironment(BackingServices backing, string bucket) => new()
    {
        ["ConnectionStrings__registrydb"] = backing.PostgresConnectionString,
        ["ConnectionStrings__minio"] = backing.MinioConnectionString,
        ["Storage__Bucket"] = bucket,
        ["Auth__Keys__Admin"] = AdminKey,
        ["Auth__Keys__Trainer"] = TrainerKey,
        ["Auth__Keys__Reader"] = ReaderKey,
    };

    /// <summary>Starts one more worker process (also used to replace a killed one).</summary>
    public async Task<ServiceProcess> StartWorkerAsync()
    {
        var worker = new ServiceProcess($"training-worker-{_workerCount++}", "Training.Worker", FreePort.Next(), new()
        {
            ["services__registry-api__http__0"] = Registry.BaseAddress.ToString().TrimEnd('/'),
            ["Registry__ApiKey"] = TrainerKey,
            ["Worker__LeaseSeconds"] = LeaseSeconds.ToString(),
        });
        worker.Start();
        _workers.Add(worker);
        await worker.WaitHealthyAsync("/alive");
        return worker;
    }

    public RegistryClient RegistryClient(string key) => new(Http(Registry.BaseAddress, key));

    public static HttpClient Http(Uri baseAddress, string? key = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private readonly SemaphoreSlim _modelLock = new(1, 1);
    private ModelVersion? _firstModel;

    /// <summary>A quick spec for the Ames model: few iterations, so the suite stays fast; version 1 of the lifecycle.</summary>
    public static TrainingJobSpec AmesSpec(int iterations, string experiment = "e2e-ames") => new(
        Experiment: experiment,
        Dataset: new DatasetRef(SampleData.AmesDatasetName),
        Task: TrainingTasks.Regression,
        Label: SampleData.AmesLabel,
        Trainer: new TrainerParams(NumberOfIterations: iterations, NumberOfLeaves: 31, LearningRate: 0.1, Seed: 42),
        Split: new SplitSpec(0.2, 42),
        Register: new RegisterSpec(ModelName, Alias, new GateSpec("rmse", 0.0)));

    /// <summary>
    /// Uploads the Ames dataset and trains, registers and promotes its first model, once per suite; the tests
    /// that need a served model call this, whatever order they run in.
    /// </summary>
    public async Task<ModelVersion> EnsureProductionModelAsync()
    {
        await _modelLock.WaitAsync();
        try
        {
            if (_firstModel is not null) return _firstModel;
            var trainer = RegistryClient(TrainerKey);
            await using (var csv = File.OpenRead(SampleData.AmesCsvPath))
            {
                await trainer.UploadDatasetAsync(SampleData.AmesDatasetName, csv);
            }
            var job = await trainer.SubmitJobAsync(AmesSpec(60), "e2e-first-model");
            var done = await WaitForJobAsync(job.Id, TimeSpan.FromMinutes(3));
            if (done.Status != JobStatuses.Completed || done.ModelVersion is not { } version)
                throw new InvalidOperationException($"first training job ended {done.Status}: {done.Error}\n{Logs()}");
            _firstModel = await trainer.GetModelVersionAsync(ModelName, version);
            return _firstModel;
        }
        finally
        {
            _modelLock.Release();
        }
    }

    public async Task<TrainingJob> WaitForJobAsync(Guid id, TimeSpan timeout)
    {
        var reader = RegistryClient(ReaderKey);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await reader.GetJobAsync(id);
            if (job.Status is JobStatuses.Completed or JobStatuses.Failed) return job;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"job {id} still {job.Status} after {timeout}\n{Logs()}");
            await Task.Delay(250);
        }
    }

    /// <summary>What the registry holds, for "nothing was persisted" checks.</summary>
    public async Task<string> SnapshotAsync()
    {
        var reader = RegistryClient(ReaderKey);
        var experiments = (await reader.ListExperimentsAsync()).Select(e => e.Name).Order();
        var datasets = (await reader.ListDatasetsAsync()).Select(d => $"{d.Name}:{d.LatestVersion}").Order();
        var models = (await reader.ListModelsAsync()).Select(m => $"{m.Name}:{m.LatestVersion}:{string.Join(',', m.Aliases.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"))}").Order();
        var jobs = (await reader.ListJobsAsync()).Select(j => j.Id.ToString()).Order();
        return $"experiments [{string.Join(' ', experiments)}] datasets [{string.Join(' ', datasets)}] models [{string.Join(' ', models)}] jobs [{string.Join(' ', jobs)}]";
    }

    /// <summary>Logs of every process, for a failing assertion's message.</summary>
    public string Logs() =>
        string.Join("\n\n", new[] { Registry }.Concat(_workers).Concat(Serving).Select(p => $"===== {p.Name}\n{p.Log}"));

    public async Task DisposeAsync()
    {
        foreach (var process in Serving.Concat(_workers).Append(Registry))
        {
            if (process is not null) await process.DisposeAsync();
        }
        if (Backing is not null) await Backing.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveSystemCollection : ICollectionFixture<LiveSystem>
{
    public const string Name = "live system";
}
