using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MlOps.AppHost.Tests;

/// <summary>
/// What F5 promises, on the real AppHost: every resource healthy, the bootstrap job trained once by two
/// workers, the sample model served by both serving replicas, the dashboard's registry commands, and nothing
/// left running after the stop.
/// Tests run in name order on one app; the last stops it.
/// </summary>
[TestCaseOrderer(ByNameOrderer.TypeName, ByNameOrderer.AssemblyName)]
public sealed class F5Tests(RunningApp app) : IClassFixture<RunningApp>
{
    private const string Model = "credit-risk";

    [Fact]
    public async Task Step1_every_resource_becomes_healthy()
    {
        using var timeout = new CancellationTokenSource(RunningApp.StartTimeout);
        try
        {
            foreach (var (name, replicas) in new[] { ("postgres", 1), ("registrydb", 1), ("minio", 1), ("registry-api", 1),
                         ("training-worker", 2), ("serving-api", 2), ("studio", 1) })
            {
                var healthy = await app.WaitHealthyAsync(name, replicas, timeout.Token);
                Assert.Equal(replicas, healthy.Count);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"not every resource became healthy within {RunningApp.StartTimeout}:\n{app.Describe()}");
        }
    }

    [Fact]
    public async Task Step2_the_bootstrap_job_trains_once_with_two_workers()
    {
        using var timeout = new CancellationTokenSource(RunningApp.StartTimeout);
        await app.WaitHealthyAsync("serving-api", 2, timeout.Token); // healthy = a model is loaded
        using var registry = await app.RegistryClientAsync("registry-reader-key", timeout.Token);

        // Both replicas submit the sample job on first start; the idempotency key makes it one job.
        var jobs = await registry.GetFromJsonAsync<JsonArray>("/api/v1/jobs", timeout.Token);
        var job = Assert.Single(jobs!);
        Assert.Equal("completed", (string?)job!["status"]);
        Assert.Equal(1, (int?)job["attempts"]);
        Assert.True((bool?)job["promoted"]);

        var versions = await registry.GetFromJsonAsync<JsonArray>($"/api/v1/models/{Model}/versions", timeout.Token);
        var version = Assert.Single(versions!);
        Assert.Equal((int?)job["modelVersion"], (int?)version!["version"]);

        var alias = await registry.GetFromJsonAsync<JsonObject>($"/api/v1/models/{Model}/aliases/production", timeout.Token);
        Assert.Equal((int?)job["modelVersion"], (int?)alias!["version"]);
    }

    [Fact]
    public async Task Step3_both_serving_replicas_answer_a_prediction()
    {
        using var timeout = new CancellationTokenSource(RunningApp.StartTimeout);
        var replicas = await app.WaitHealthyAsync("serving-api", 2, timeout.Token);
        var body = JsonContent.Create(new { features = FirstCreditRow() });
        await body.LoadIntoBufferAsync(timeout.Token);

        // Through the endpoint the other resources are given (service discovery: the DCP proxy in front of the replicas).
        using var discovered = app.App.CreateHttpClient("serving-api", "http");
        for (var i = 0; i < 10; i++)
        {
            await AssertPredictsAsync(discovered, body, timeout.Token);
        }

        // And each replica by its own address: both loaded the promoted version.
        foreach (var replica in replicas)
        {
            // Each replica listens on its own port behind the proxy (ASPNETCORE_URLS in run mode).
            var url = replica.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
            Assert.False(string.IsNullOrEmpty(url), $"{replica.ResourceId} has no ASPNETCORE_URLS");
            using var direct = new HttpClient { BaseAddress = new Uri(url.Split(';')[0]) };
            await AssertPredictsAsync(direct, body, timeout.Token);
        }
    }

    [Fact]
    public async Task Step4_dashboard_commands_submit_promote_and_roll_back()
    {
        using var timeout = new CancellationTokenSource(RunningApp.StartTimeout);
        var ct = timeout.Token;
        await app.WaitHealthyAsync("registry-api", 1, ct);
        var commands = app.App.Services.GetRequiredService<ResourceCommandService>();
        using var registry = await app.RegistryClientAsync("registry-reader-key", ct);

        var submitted = await commands.ExecuteCommandAsync("registry-api", "submit-sample-job", ct);
        Assert.True(submitted.Success, submitted.Message);
        Assert.Contains("Job ", submitted.Message);
        await WaitAsync(async () => (await registry.GetFromJsonAsync<JsonArray>("/api/v1/jobs", ct))!
            .Count(j => (string?)j!["status"] == "completed") == 2, ct);
        var versions = (await registry.GetFromJsonAsync<JsonArray>($"/api/v1/models/{Model}/versions", ct))!
            .Select(v => (int)v!["version"]!).Order().ToList();
        Assert.Equal([1, 2], versions);
        var before = await AliasVersionAsync(registry, ct);

        var other = before == 1 ? 2 : 1;
        var promoted = await commands.ExecuteCommandAsync("registry-api", "promote", Arguments(("version", other.ToString(CultureInfo.InvariantCulture))), ct);
        Assert.True(promoted.Success, promoted.Message);
        Assert.Equal($"{Model}@production -> version {other}", promoted.Message);
        Assert.Equal(other, await AliasVersionAsync(registry, ct));

        var rolledBack = await commands.ExecuteCommandAsync("registry-api", "rollback", Arguments(), ct);
        Assert.True(rolledBack.Success, rolledBack.Message);
        Assert.Equal(before, await AliasVersionAsync(registry, ct));

        // A refused move says why, in the registry's words.
        var refused = await commands.ExecuteCommandAsync("registry-api", "promote", Arguments(("version", "99")), ct);
        Assert.False(refused.Success);
        Assert.StartsWith("404", refused.Message);
        Assert.Equal(before, await AliasVersionAsync(registry, ct));
    }

    [Fact]
    public async Task Step5_the_dashboard_shows_every_resource_healthy_the_training_trace_and_no_error()
    {
        await using var dashboard = await DashboardPage.OpenAsync(app.DashboardUrl);

        // Resources: all 9 instances Running with the green (healthy) state icon and no error-count badge.
        await dashboard.GotoAsync("/");
        var expected = new[] { "postgres", "registrydb", "minio", "registry-api", "training-worker-", "training-worker-", "serving-api-", "serving-api-", "studio" };
        var complaint = await dashboard.EventuallyAsync(async () =>
        {
            var rows = await dashboard.Page.EvaluateAsync<ResourceRow[]>("""
                () => [...document.querySelectorAll('.state-column-cell')].map(cell => ({
                    name: cell.closest('[role=row]')?.querySelector('.resource-name-text')?.innerText ?? '',
                    state: cell.innerText.trim(),
                    healthy: (cell.querySelector('.severity-icon')?.getAttribute('style') ?? '').includes('--success') }))
                """);
            var missing = expected.GroupBy(e => e).Where(g => rows.Count(r => r.Name.StartsWith(g.Key, StringComparison.Ordinal)
                && (g.Key.EndsWith('-') || r.Name == g.Key)) != g.Count()).Select(g => g.Key).ToList();
            var unwell = rows.Where(r => r.State != "Running" || !r.Healthy).Select(r => $"{r.Name}: '{r.State}' healthy={r.Healthy}").ToList();
            return missing.Count == 0 && unwell.Count == 0 && rows.Length == expected.Length
                ? null
                : $"rows: {string.Join("; ", rows.Select(r => $"{r.Name} '{r.State}' {r.Healthy}"))}; missing {string.Join(',', missing)}; unwell {string.Join(',', unwell)}";
        }, TimeSpan.FromSeconds(60), reloadAfter: TimeSpan.FromSeconds(15));
        await dashboard.ScreenshotAsync("resources");
        Assert.Null(complaint);

        // Traces: the sample job's trace found by name, with the spans of the work (the page renders only the rows
        // in view: a tall window shows all of them).
        await dashboard.Page.SetViewportSizeAsync(1600, 4000);
        await dashboard.GotoAsync("/traces");
        await dashboard.Page.GetByText("training-worker: training.job").First.ClickAsync();
        await dashboard.Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        string[] spans = ["training.job", "training.lease", "training.dataset.download", "training.train", "training.fit",
            "training.evaluate", "training.bundle.upload", "training.gate", "training.complete", "POST /api/v1/jobs/{id:guid}/complete"];
        complaint = await DashboardPage.EventuallyAsync(async () =>
        {
            var trace = await dashboard.MainTextAsync();
            var missing = spans.Where(span => !trace.Contains(span, StringComparison.Ordinal)).ToList();
            return missing.Count == 0 ? null : $"the training trace lacks {string.Join(", ", missing)}";
        }, TimeSpan.FromSeconds(20));
        await dashboard.Page.SetViewportSizeAsync(1600, 1000);
        await dashboard.ScreenshotAsync("training-trace");
        Assert.Null(complaint);

        // Metrics: the serving latency histogram of a replica.
        await dashboard.GotoAsync($"/metrics/resource/{app.Instances("serving-api")[0].ResourceId}?meter=MlOps.Serving&instrument=mlops.serving.latency&view=Graph");
        await dashboard.Page.WaitForTimeoutAsync(2000);
        await dashboard.ScreenshotAsync("serving-metrics");
        Assert.Contains("mlops.serving.latency", await dashboard.MainTextAsync());

        // Structured logs at error level: none on a clean start.
        await dashboard.GotoAsync("/structuredlogs?logLevel=error");
        await dashboard.Page.WaitForTimeoutAsync(2000);
        var errors = await dashboard.MainTextAsync();
        await dashboard.ScreenshotAsync("structured-logs-errors");
        Assert.DoesNotMatch(@"Showing [1-9]\d* structured log", errors);

        // Nor console lines at error level (a resource's stderr): the dashboard would show them red.
        Assert.Empty(app.ErrorLines);
    }

    // Filled by Playwright from the page's JSON: a settable class.
    private sealed class ResourceRow
    {
        public string Name { get; set; } = "";
        public string State { get; set; } = "";
        public bool Healthy { get; set; }
    }

    [Fact]
    public async Task Step6_stopping_the_app_leaves_no_process()
    {
        var pids = app.Pids.ToDictionary();
        // postgres, s3 server, registry, 2 workers, 2 serving replicas, studio: each reported its process.
        Assert.True(pids.Count >= 8, $"expected a process per resource instance, saw {pids.Count}:\n{app.Describe()}");
        Assert.All(pids.Keys, pid => Assert.True(IsRunning(pid), $"{pids[pid]} (pid {pid}) was not running before the stop"));

        await app.StopAsync();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) && (pids.Keys.Any(IsRunning) || ProcessesUsing(app.DataPath).Count > 0))
        {
            await Task.Delay(250);
        }
        Assert.Empty(pids.Where(p => IsRunning(p.Key)).Select(p => $"{p.Value} (pid {p.Key})"));
        Assert.Empty(ProcessesUsing(app.DataPath));
    }

    private static InteractionInputCollection Arguments(params (string Name, string Value)[] values) => new(
        new[] { ("model", Model), ("alias", "production") }.Concat(values)
            .Select(v => new InteractionInput { Name = v.Item1, InputType = InputType.Text, Value = v.Item2 }).ToList());

    private static async Task<int> AliasVersionAsync(HttpClient registry, CancellationToken ct) =>
        (int)(await registry.GetFromJsonAsync<JsonObject>($"/api/v1/models/{Model}/aliases/production", ct))!["version"]!;

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        while (!await condition())
        {
            await Task.Delay(250, ct);
        }
    }

    private static async Task AssertPredictsAsync(HttpClient client, HttpContent body, CancellationToken ct)
    {
        using var response = await client.PostAsync($"/v1/models/{Model}/predict", body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{client.BaseAddress}: {(int)response.StatusCode} {text}");
        var answer = JsonNode.Parse(text)!;
        Assert.Equal(Model, (string?)answer["model"]);
        Assert.Equal("production", (string?)answer["alias"]);
        Assert.Contains((string?)answer["predictions"]![0]!["label"], new[] { "good", "bad" });
    }

    private static Dictionary<string, object> FirstCreditRow()
    {
        var lines = File.ReadLines(Path.Combine(RepoPaths.Root, "samples", "datasets", "credit_scoring.csv")).Take(2).ToArray();
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToArray();
        var values = lines[1].Split(',');
        var row = new Dictionary<string, object>();
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i] == "Status")
            {
                continue; // the label
            }
            row[header[i]] = double.TryParse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? number : values[i].Trim('"');
        }
        return row;
    }

    private static bool IsRunning(int pid)
    {
        // A zombie (exited, not yet reaped) is not running.
        var stat = $"/proc/{pid}/stat";
        return File.Exists(stat) && !File.ReadAllText(stat).Split(')').Last().TrimStart().StartsWith('Z');
    }

    private static List<string> ProcessesUsing(string path) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _))
            .Select(pid => (pid, cmd: ReadCommandLine(pid!)))
            .Where(p => p.cmd.Contains(path, StringComparison.Ordinal) && IsRunning(int.Parse(p.pid!)))
            .Select(p => $"{p.pid}: {p.cmd}").ToList();

    private static string ReadCommandLine(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
