using System.Diagnostics;
using System.Text;
using MlOps.TestInfrastructure;

namespace MlOps.Training.Worker.Tests.Infrastructure;

/// <summary>
/// A Training.Worker as a real process (<c>dotnet MlOps.Training.Worker.dll</c>), so a test can kill it the way
/// a crash or an OOM kill does: no graceful stop, no release.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static WorkerProcess Start(Uri registry, int leaseSeconds)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(Samples.Root, "Training.Worker", "bin", configuration, "net10.0", "MlOps.Training.Worker.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build Training.Worker first", dll);
        var name = $"process-worker-{Guid.NewGuid().ToString("N")[..8]}";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", "http://127.0.0.1:0" },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Registry__BaseAddress"] = registry.ToString();
        start.Environment["Registry__ApiKey"] = RegistryApiFactory.TrainerKey;
        start.Environment["Worker__Name"] = name;
        start.Environment["Worker__LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Worker__PollSeconds"] = "1";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, name);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>SIGKILL: the worker gets no chance to release its lease.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
