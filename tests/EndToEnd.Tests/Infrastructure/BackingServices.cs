using System.Diagnostics;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// PostgreSQL and the S3 server for this suite only (scripts/testinfra/services.sh with a private root), because
/// the fault tests stop and restart them: they must not be the ones other test assemblies use.
/// </summary>
public sealed class BackingServices : IAsyncDisposable
{
    private readonly string _root;
    private readonly Dictionary<string, string> _vars;

    private BackingServices(string root, Dictionary<string, string> vars)
    {
        _root = root;
        _vars = vars;
    }

    public string PostgresConnectionString => _vars["PG_CS"];

    /// <summary>PostgreSQL's server log (services.sh starts it with <c>pg_ctl -l</c>).</summary>
    public string PostgresLogPath => Path.Combine(_vars["PGDIR"], "server.log");

    /// <summary>host:port of the S3 server.</summary>
    public string S3Endpoint => _vars["S3_ENDPOINT"];

    /// <summary>Objects the S3 server holds in every bucket, temporary upload keys included (s3rver keeps one file per object).</summary>
    public int S3ObjectCount() =>
        Directory.Exists(_vars["S3DIR"]) ? Directory.EnumerateFiles(_vars["S3DIR"], "*._S3rver_object", SearchOption.AllDirectories).Count() : 0;

    public string MinioConnectionString => $"Endpoint=http://{S3Endpoint};AccessKey={_vars["S3_ACCESS_KEY"]};SecretKey={_vars["S3_SECRET_KEY"]}";

    public static async Task<BackingServices> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "mlops-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        var output = await Shell.RunAsync("bash", [Script, "start"], new() { ["SVC_ROOT"] = root });
        var vars = new Dictionary<string, string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("export ", StringComparison.Ordinal)) continue;
            foreach (var assignment in SplitAssignments(line["export ".Length..]))
            {
                var eq = assignment.IndexOf('=');
                vars[assignment[..eq]] = assignment[(eq + 1)..].Trim('\'');
            }
        }
        return new BackingServices(root, vars);
    }

    /// <summary>Stops the S3 server (the process, not its data).</summary>
    public async Task StopS3Async()
    {
        var pid = int.Parse(await File.ReadAllTextAsync(_vars["S3DIR"] + ".pid"));
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            await process.WaitForExitAsync();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>Starts the S3 server again on the same port and data folder.</summary>
    public async Task StartS3Async()
    {
        var port = S3Endpoint.Split(':')[1];
        var nodeDir = Environment.GetEnvironmentVariable("S3RVER_HOME") ?? Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache/mlops-s3rver");
        // Detached, output to a file, as services.sh starts it: a child whose pipes nobody reads would block.
        var command = $"NODE_PATH='{Path.Combine(nodeDir, "node_modules")}' nohup node '{Path.Combine(RepoPaths.Root, "scripts/testinfra/s3rver-ci.js")}' " +
                      $"--directory '{_vars["S3DIR"]}' --port {port} --verify-sigv4 --require-auth --silent >>'{_vars["S3DIR"]}.log' 2>&1 & echo $! >'{_vars["S3DIR"]}.pid'";
        await Shell.RunAsync("bash", ["-c", command], []);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await http.GetAsync($"http://{S3Endpoint}/");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException("S3 server did not come back");
    }

    /// <summary>Restarts PostgreSQL (fast shutdown: open connections are cut).</summary>
    public Task RestartPostgresAsync() =>
        Shell.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_vars["PGBIN"], "pg_ctl"), "-D", Path.Combine(_vars["PGDIR"], "data"), "-m", "fast", "-w", "restart", "-l", Path.Combine(_vars["PGDIR"], "server.log")], []);

    public async ValueTask DisposeAsync() =>
        await Shell.RunAsync("bash", [Script, "stop"], new() { ["SVC_ROOT"] = _root });

    private static string Script => Path.Combine(RepoPaths.Root, "scripts/testinfra/services.sh");

    // "A='x y' B=z" -> ["A='x y'", "B=z"]
    private static IEnumerable<string> SplitAssignments(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] == '\'') quoted = !quoted;
            if (i == text.Length || (text[i] == ' ' && !quoted))
            {
                if (i > start) yield return text[start..i];
                start = i + 1;
            }
        }
    }
}
