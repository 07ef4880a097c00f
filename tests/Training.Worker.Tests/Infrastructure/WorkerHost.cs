using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using MlOps.ServiceDefaults;
using MlOps.TestInfrastructure;
using MlOps.Training.Worker.Infrastructure;

namespace MlOps.Training.Worker.Tests.Infrastructure;

/// <summary>
/// A Training.Worker in this process, built exactly as its Program.cs builds it (service defaults + application
/// services), on real Kestrel, talking to the registry over loopback HTTP with the trainer key.
/// <see cref="StopAsync"/> is a graceful stop: what SIGTERM triggers.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WorkerHost(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public Uri Address => new(_app.Urls.First().TrimEnd('/') + "/");

    public static async Task<WorkerHost> StartAsync(Uri registry, int leaseSeconds = 6, IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var name = $"test-worker-{Guid.NewGuid().ToString("N")[..8]}";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ApplicationName = "MlOps.Training.Worker",
            ContentRootPath = Path.Combine(Samples.Root, "Training.Worker"),
        });
        var configuration = new Dictionary<string, string?>
        {
            ["Registry:BaseAddress"] = registry.ToString(),
            ["Registry:ApiKey"] = RegistryApiFactory.TrainerKey,
            ["Worker:Name"] = name,
            ["Worker:LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Worker:PollSeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return new WorkerHost(app, name);
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
