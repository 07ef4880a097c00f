using System.Text.Json.Nodes;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A first start as the AppHost does it, watched: a fresh PostgreSQL and S3, the registry, two workers that both
/// bootstrap the sample credit-scoring job (the idempotency race), one serving replica, every /health polled twice
/// a second (as the Aspire dashboard does) and a real Prometheus scraping every /metrics each second. Then the
/// story: the sample model is trained and served, predictions, two more versions are trained, the last promoted, serving
/// swaps, predictions all along. The registry runs without OTEL_SERVICE_NAME, as outside the AppHost.
/// </summary>
public sealed class ObservedSystem : IAsyncLifetime
{
    public const string Model = "credit-risk";
    public const string DatasetName = "credit_scoring";
    public const string Label = "Status";

    private readonly CancellationTokenSource _stopPolling = new();
    private Task _polling = Task.CompletedTask;

    public BackingServices Backing { get; private set; } = null!;

    public ServiceProcess Registry { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Workers { get; private set; } = [];

    public ServiceProcess Serving { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    /// <summary>The version serving ended on (the last one trained).</summary>
    public int FinalVersion { get; private set; }

    /// <summary>How many /health answers the poller got (so a test can tell the polling happened).</summary>
    public int HealthPolls;

    public IEnumerable<ServiceProcess> Processes => new[] { Registry }.Concat(Workers).Append(Serving);

    public async Task InitializeAsync()
    {
        Backing = await BackingServices.StartAsync();
        var registryEnvironment = LiveSystem.RegistryEnvironment(Backing, "mlops-observed");
        registryEnvironment["OTEL_SERVICE_NAME"] = "";
        Registry = new ServiceProcess("registry-api", "Registry.Api", FreePort.Next(), registryEnvironment);
        var registryUrl = Registry.BaseAddress.ToString().TrimEnd('/');
        Workers = Enumerable.Range(0, 2).Select(i => new ServiceProcess($"training-worker-{i}", "Training.Worker", FreePort.Next(), new()
        {
            ["services__registry-api__http__0"] = registryUrl,
            ["Registry__ApiKey"] = LiveSystem.TrainerKey,
            ["Worker__Bootstrap__DatasetName"] = DatasetName,
            ["Worker__Bootstrap__DatasetPath"] = RepoPaths.Samples("datasets/credit_scoring.csv"),
            ["Worker__Bootstrap__SpecPath"] = RepoPaths.Samples("jobs/credit_scoring.binary.json"),
        })).ToList();
        Serving = new ServiceProcess("serving-api", "Serving.Api", FreePort.Next(), new()
        {
            ["services__registry-api__http__0"] = registryUrl,
            ["Registry__ApiKey"] = LiveSystem.ReaderKey,
            ["Serving__Models__0__Name"] = Model,
            ["Serving__Models__0__Alias"] = "production",
            ["Serving__WatchSeconds"] = "5",
        });

        // As the AppHost: everything starts at once, and health is asked for from the first moment.
        foreach (var process in Processes) process.Start();
        _polling = PollHealthAsync(_stopPolling.Token);
        Prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<string>>
        {
            ["registry-api"] = [Target(Registry)],
            ["training-worker"] = Workers.Select(Target).ToList(),
            ["serving-api"] = [Target(Serving)],
        });
        await Registry.WaitHealthyAsync("/health", TimeSpan.FromSeconds(90));
        foreach (var process in Workers.Append(Serving)) await process.WaitHealthyAsync("/alive");
        await Prometheus.WaitForTargetsUpAsync(TimeSpan.FromSeconds(30));

        var reader = Client(LiveSystem.ReaderKey);
        var sample = await WaitForAsync(async () => (await reader.ListJobsAsync()).SingleOrDefault(), TimeSpan.FromSeconds(60), "the bootstrap job");
        var first = await WaitForJobAsync(reader, sample.Id);
        await Serving.WaitHealthyAsync("/health", TimeSpan.FromSeconds(60));
        using var serving = LiveSystem.Http(Serving.BaseAddress);
        await PredictAsync(serving, 1000);

        // From now on a steady trickle of predictions, as a live service has: rates over the last minute are real.
        _traffic = TrafficAsync(_stopPolling.Token);

        // Two more versions (fewer trees), registered without the alias. Three jobs on two workers: at least one
        // worker trains twice, so its training-duration series grows after Prometheus first saw it (a series'
        // first sample has no rate). The last version is promoted by an admin: serving loads a second time.
        var trainer = Client(LiveSystem.TrainerKey);
        var more = new List<TrainingJob>();
        foreach (var iterations in new[] { 60, 80 })
        {
            more.Add(await trainer.SubmitJobAsync(first.Spec with
            {
                Trainer = first.Spec.Trainer! with { NumberOfIterations = iterations },
                Register = first.Spec.Register! with { Alias = null },
            }));
        }
        TrainingJob? last = null;
        foreach (var job in more) last = await WaitForJobAsync(reader, job.Id);
        FinalVersion = last!.ModelVersion ?? throw new InvalidOperationException("the last job registered nothing");
        await Client(LiveSystem.AdminKey).SetAliasAsync(Model, "production", FinalVersion, "observed system: a newer version");
        await ServingProbe.WaitForVersionAsync(serving, Model, FinalVersion, TimeSpan.FromSeconds(30));
        // The drift window of the new version fills (200 sampled rows = 800 predicted), with scrapes in between.
        await PredictAsync(serving, 1000);
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    /// <summary>Jobs handled in all: the sample job and two more.</summary>
    public const int Jobs = 3;

    private Task _traffic = Task.CompletedTask;

    private async Task TrafficAsync(CancellationToken ct)
    {
        using var serving = LiveSystem.Http(Serving.BaseAddress);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await PredictAsync(serving, 10);
                await Task.Delay(250, ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // A swap in progress: the next round tries again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public RegistryClient Client(string key) => new(LiveSystem.Http(Registry.BaseAddress, key));

    /// <summary>Logs of every process, for a failing assertion's message.</summary>
    public string Logs() => string.Join("\n\n", Processes.Select(p => $"===== {p.Name}\n{p.Log}"));

    private static string Target(ServiceProcess process) => $"127.0.0.1:{process.Port}";

    private async Task<TrainingJob> WaitForJobAsync(RegistryClient reader, Guid id)
    {
        var job = await WaitForAsync(async () => await reader.GetJobAsync(id) is { Status: JobStatuses.Completed or JobStatuses.Failed } j ? j : null,
            TimeSpan.FromMinutes(3), $"job {id}");
        if (job.Status != JobStatuses.Completed) throw new InvalidOperationException($"job {id} {job.Status}: {job.Error}\n{Logs()}");
        return job;
    }

    private async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{what} not there within {timeout}\n{Logs()}");
    }

    private static readonly Lazy<List<string>> CsvLines = new(() => File.ReadLines(RepoPaths.Samples("datasets/credit_scoring.csv")).ToList());

    /// <summary>Credit-scoring rows in batches of 100 (the drift window samples one in four and needs 200).</summary>
    private static async Task PredictAsync(HttpClient serving, int rows)
    {
        var lines = CsvLines.Value;
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToArray();
        var info = await ServingProbe.InfoAsync(serving, Model) ?? throw new InvalidOperationException("model info");
        var numeric = info.InputSchema.Where(c => c.Type == "numeric").Select(c => c.Name).ToHashSet();
        var batch = new List<JsonObject>();
        for (var i = 0; i < rows; i++)
        {
            var fields = lines[1 + i % (lines.Count - 1)].Split(',').Select(f => f.Trim('"')).ToArray();
            var row = new JsonObject();
            for (var c = 0; c < header.Length; c++)
            {
                if (header[c] == Label) continue;
                row[header[c]] = fields[c].Length == 0 ? null
                    : numeric.Contains(header[c]) ? JsonValue.Create(double.Parse(fields[c], System.Globalization.CultureInfo.InvariantCulture))
                    : JsonValue.Create(fields[c]);
            }
            batch.Add(row);
            if (batch.Count == 100)
            {
                await ServingProbe.PredictAsync(serving, Model, batch);
                batch.Clear();
            }
        }
        if (batch.Count > 0) await ServingProbe.PredictAsync(serving, Model, batch);
    }

    private async Task PollHealthAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (!ct.IsCancellationRequested)
        {
            foreach (var process in Processes)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(process.BaseAddress, "health"), ct);
                    Interlocked.Increment(ref HealthPolls);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet, or stopping.
                }
            }
            try
            {
                await Task.Delay(500, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _stopPolling.CancelAsync();
        await _polling;
        await _traffic;
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        foreach (var process in Processes)
        {
            if (process is not null) await process.DisposeAsync();
        }
        if (Backing is not null) await Backing.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ObservedSystemCollection : ICollectionFixture<ObservedSystem>
{
    public const string Name = "observed system";
}
