namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A system of its own for issue 14 (prediction log, feedback, retraining on the log): registry, one worker and
/// one serving replica that logs every request (Serving:PredictionLog:SamplePercent 100, flushed every second)
/// and, to upload log files, holds a trainer key. Separate from <see cref="LiveSystem"/> so that its model's
/// versions and aliases move only under these tests.
/// </summary>
public sealed class LoggedSystem : IAsyncLifetime
{
    public const string ModelName = "ames-logged";

    public BackingServices Backing { get; private set; } = null!;
    public ServiceProcess Registry { get; private set; } = null!;
    public ServiceProcess Worker { get; private set; } = null!;
    public ServiceProcess Serving { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backing = await BackingServices.StartAsync();
        Registry = new ServiceProcess("registry-api", "Registry.Api", FreePort.Next(), LiveSystem.RegistryEnvironment(Backing, "mlops-e2e-log"));
        Registry.Start();
        await Registry.WaitHealthyAsync("/health", TimeSpan.FromSeconds(90));
        var registryUrl = Registry.BaseAddress.ToString().TrimEnd('/');
        Worker = new ServiceProcess("training-worker-0", "Training.Worker", FreePort.Next(), new()
        {
            ["services__registry-api__http__0"] = registryUrl,
            ["Registry__ApiKey"] = LiveSystem.TrainerKey,
        });
        Worker.Start();
        Serving = new ServiceProcess("serving-api-0", "Serving.Api", FreePort.Next(), new()
        {
            ["services__registry-api__http__0"] = registryUrl,
            ["Registry__ApiKey"] = LiveSystem.TrainerKey,
            ["Serving__Models__0__Name"] = ModelName,
            ["Serving__Models__0__Alias"] = LiveSystem.Alias,
            ["Serving__PredictionLog__SamplePercent"] = "100",
            ["Serving__PredictionLog__FlushSeconds"] = "1",
        });
        Serving.Start();
        await Worker.WaitHealthyAsync("/alive");
        await Serving.WaitHealthyAsync("/alive");
    }

    public Registry.Client.RegistryClient RegistryClient(string key) => new(LiveSystem.Http(Registry.BaseAddress, key));

    public string Logs() => string.Join("\n\n", new[] { Registry, Worker, Serving }.Select(p => $"===== {p.Name}\n{p.Log}"));

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { Serving, Worker, Registry })
        {
            if (process is not null) await process.DisposeAsync();
        }
        if (Backing is not null) await Backing.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LoggedSystemCollection : ICollectionFixture<LoggedSystem>
{
    public const string Name = "logged system";
}
