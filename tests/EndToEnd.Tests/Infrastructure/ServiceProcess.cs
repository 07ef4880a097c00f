using System.Diagnostics;
using System.Text;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>One of our services as a real process on a loopback port (`dotnet MlOps.X.dll --urls ...`).</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _project;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public ServiceProcess(string name, string project, int port, Dictionary<string, string> environment)
    {
        Name = name;
        _project = project;
        Port = port;
        _environment = environment;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>What the process printed, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public void Start()
    {
        var dll = RepoPaths.ServiceDll(_project);
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build {_project} first", dll);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{Port}" },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["OTEL_SERVICE_NAME"] = Name;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        // An empty value removes the variable (e.g. OTEL_SERVICE_NAME, to start a service as outside the AppHost).
        foreach (var (key, value) in _environment)
        {
            if (value.Length == 0) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until GET path answers 200 (e.g. /alive, or /health for readiness).</summary>
    public async Task WaitHealthyAsync(string path = "/alive", TimeSpan? timeout = null)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var response = await http.GetAsync(path);
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} not healthy on {path} within the timeout (last answer: {last}):\n{Log}");
    }

    /// <summary>SIGKILL: no cleanup, no lease release; what a crash or an OOM kill does.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait: what Kubernetes does on a rolling update.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process is not { HasExited: false } process) return;
        await Shell.RunAsync("kill", ["-TERM", process.Id.ToString()], []);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            // Keep the tail only: a long run logs a lot.
            if (_log.Length > 200_000) _log.Remove(0, 100_000);
            _log.AppendLine(line);
        }
    }
}
