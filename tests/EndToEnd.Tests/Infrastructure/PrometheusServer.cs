using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's binary, scripts/install-prerequisites.sh) on a loopback port, scraping the given
/// services every second with deploy/prometheus/alerts.yml loaded; queried through its HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts Prometheus with one job per entry (job name -> host:port targets), the job label our queries use.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> jobs)
    {
        var directory = Path.Combine(Path.GetTempPath(), "mlops-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var rules = Path.Combine(RepoPaths.Root, "deploy", "prometheus", "alerts.yml");
        var config = new StringBuilder($"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '{rules}'\nscrape_configs:\n");
        foreach (var (job, targets) in jobs)
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: '{job}'\n    static_configs:\n      - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]\n");
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config.ToString());

        var port = FreePort.Next();
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList =
            {
                "--config.file=" + configPath,
                "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    private static string Binary =>
        File.Exists("/usr/bin/prometheus") ? "/usr/bin/prometheus"
        : throw new InvalidOperationException("prometheus is not installed: run scripts/install-prerequisites.sh (Debian package prometheus)");

    private async Task WaitReadyAsync()
    {
        for (var i = 0; i < 150; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited {_process.ExitCode}:\n{Log}");
            try
            {
                using var response = await _http.GetAsync("-/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("prometheus not ready:\n" + Log);
    }

    /// <summary>An instant query; the "data" element of the answer (resultType, result).</summary>
    public async Task<JsonElement> QueryAsync(string promQl)
    {
        using var response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promQl));
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"query `{promQl}` failed: {body}");
        return doc.RootElement.GetProperty("data").Clone();
    }

    /// <summary>GET of any API path (e.g. api/v1/targets, api/v1/rules), parsed.</summary>
    public async Task<JsonElement> GetAsync(string path)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(path));
        return doc.RootElement.Clone();
    }

    /// <summary>Waits until every target has been scraped successfully at least once.</summary>
    public async Task WaitForTargetsUpAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var targets = (await GetAsync("api/v1/targets")).GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToList();
            last = string.Join(", ", targets.Select(t => $"{t.GetProperty("labels").GetProperty("job").GetString()}={t.GetProperty("health").GetString()}"));
            if (targets.Count > 0 && targets.All(t => t.GetProperty("health").GetString() == "up")) return;
            await Task.Delay(250);
        }
        throw new TimeoutException("targets not up: " + last);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
