using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace MlOps.AppHost.Tests;

/// <summary>
/// The real AppHost under DCP, PostgreSQL and S3 as local processes in a throwaway data folder (no container
/// runtime here), with the dashboard. Records every resource's latest snapshot, so tests can see the replicas
/// and the processes they ran.
/// </summary>
public sealed class RunningApp : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    private readonly CancellationTokenSource _watch = new();
    private Task? _watcher;

    public DistributedApplication App { get; private set; } = null!;
    public string DataPath { get; } = CreateDataFolder();

    /// <summary>Latest snapshot per resource instance (replicas have their own id).</summary>
    public ConcurrentDictionary<string, ResourceEvent> Latest { get; } = new();

    /// <summary>Every process id a resource reported while the app ran.</summary>
    public ConcurrentDictionary<int, string> Pids { get; } = new();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        // The dashboard runs as on F5 (the browser test looks at it), open without a login token.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["LocalInfrastructure:Mode=processes", $"LocalInfrastructure:DataPath={DataPath}", "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true"],
            (options, _) => options.DisableDashboard = false, timeout.Token);
        App = await builder.BuildAsync(timeout.Token);
        _watcher = WatchAsync(_watch.Token);
        await App.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // a process still writing: Stopping_leaves_no_process reports it
        }
    }

    public bool Stopped { get; private set; }

    public async Task StopAsync()
    {
        if (Stopped)
        {
            return;
        }
        Stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
        await _watch.CancelAsync();
        if (_watcher is not null)
        {
            await _watcher.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>The dashboard's address, from its own resource.</summary>
    public Uri DashboardUrl
    {
        get
        {
            // Its UI endpoint, not the OTLP ones (gRPC and HTTP) it also lists.
            var urls = Instances("aspire-dashboard").SelectMany(e => e.Snapshot.Urls).ToList();
            return new(urls.FirstOrDefault(u => u.Name is "http" or "https")?.Url
                ?? throw new InvalidOperationException($"no dashboard UI url among {string.Join(", ", urls.Select(u => $"{u.Name}={u.Url}"))}"));
        }
    }

    public IReadOnlyList<ResourceEvent> Instances(string resourceName) =>
        Latest.Values.Where(e => e.Resource.Name == resourceName).OrderBy(e => e.ResourceId, StringComparer.Ordinal).ToList();

    /// <summary>Waits until <paramref name="count"/> instances of the resource report Healthy.</summary>
    public async Task<IReadOnlyList<ResourceEvent>> WaitHealthyAsync(string resourceName, int count, CancellationToken ct)
    {
        while (true)
        {
            var healthy = Instances(resourceName).Where(e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy).ToList();
            if (healthy.Count >= count)
            {
                return healthy;
            }
            await Task.Delay(250, ct);
        }
    }

    public string Describe() => string.Join('\n', Latest.Values.OrderBy(e => e.ResourceId, StringComparer.Ordinal)
        .Select(e => $"{e.ResourceId}: state={e.Snapshot.State?.Text} health={e.Snapshot.HealthStatus} exit={e.Snapshot.ExitCode}"));

    public async Task<string> ParameterAsync(string name, CancellationToken ct)
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"parameter {name} has no value");
    }

    public async Task<HttpClient> RegistryClientAsync(string keyParameter, CancellationToken ct)
    {
        var client = App.CreateHttpClient("registry-api", "http");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ParameterAsync(keyParameter, ct));
        return client;
    }

    /// <summary>Every console line a resource wrote as an error (stderr), with its resource.</summary>
    public ConcurrentQueue<string> ErrorLines { get; } = new();

    private readonly ConcurrentDictionary<string, Task> _logWatchers = new();

    private async Task WatchAsync(CancellationToken ct)
    {
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        await foreach (var e in App.ResourceNotifications.WatchAsync(ct))
        {
            _ = _logWatchers.GetOrAdd(e.ResourceId, id => WatchLogsAsync(logs, id, ct)); // awaited by nobody: ends with the app
            Latest[e.ResourceId] = e;
            foreach (var property in e.Snapshot.Properties)
            {
                if (property.Name.EndsWith(".pid", StringComparison.Ordinal) && int.TryParse(property.Value?.ToString(), out var pid) && pid > 0)
                {
                    Pids[pid] = e.ResourceId;
                }
            }
        }
    }

    private async Task WatchLogsAsync(ResourceLoggerService logs, string resourceId, CancellationToken ct)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(ct))
            {
                foreach (var line in batch.Where(l => l.IsErrorMessage))
                {
                    ErrorLines.Enqueue($"{resourceId}: {line.Content}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the app stopped
        }
    }

    // PostgreSQL runs as the postgres user when the tests run as root: the folder must be open to it.
    private static string CreateDataFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlops-apphost-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return path;
    }
}
