using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace MlOps.Bench.Scale;

/// <summary>
/// The measurement client: p50/p99 of run search and metric history (sequential requests, one in flight), metric
/// ingest points/s into the loaded database, and requests/s of one registry process at a fixed concurrency with the
/// CPU split between registry, PostgreSQL and the rest of the machine. Mode "once" sends each latency request once
/// (registry.sh runs it with auto_explain on to capture the plans of the SQL each endpoint issues).
/// </summary>
public static class Measure
{
    private sealed record Scenario(string Name, Func<int, (HttpMethod Method, string Path, string? Body)> Request);

    public static async Task<int> RunAsync(string[] a)
    {
        var baseUrl = new Uri(a[0].TrimEnd('/') + "/");
        var (reader, trainer) = (a[1], a[2]);
        var cpu = new CpuMeter(int.Parse(a[3]), int.Parse(a[4]));
        var pgCs = a[5];
        var mode = a[6];
        var budget = TimeSpan.FromSeconds(a.Length > 7 ? double.Parse(a[7]) : 20);
        var maxSamples = a.Length > 8 ? int.Parse(a[8]) : 200;

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", reader);

        // Sample runs straight from the database: ordinary runs, and the huge ones (train/loss far beyond the rest).
        await using var pg = NpgsqlDataSource.Create(pgCs);
        var sample = new List<Guid>();
        await using (var cmd = pg.CreateCommand("SELECT id FROM runs TABLESAMPLE BERNOULLI (1) REPEATABLE (7) LIMIT 200"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                sample.Add(r.GetGuid(0));
            }
        }
        Guid? hugeRun = null;
        await using (var cmd = pg.CreateCommand("SELECT run_id FROM latest_metrics WHERE key = 'train/loss' ORDER BY step DESC LIMIT 1"))
        {
            hugeRun = await cmd.ExecuteScalarAsync() as Guid?;
        }
        long hugeSteps;
        await using (var cmd = pg.CreateCommand("SELECT max(step) + 1 FROM latest_metrics WHERE key = 'train/loss'"))
        {
            hugeSteps = (long)(await cmd.ExecuteScalarAsync())!;
        }

        const string exp = "scale-credit";
        var deepToken = mode == "latency" || mode == "once" ? await DeepTokenAsync(http, exp, depth: 20_000) : null;
        string E(string json) => json.Replace("EXP", exp);
        var scenarios = new List<Scenario>
        {
            new("search: 1 experiment, newest first, page 1", _ => (HttpMethod.Post, "api/v1/runs/search", E("""{"experiments":["EXP"],"pageSize":50}"""))),
            new($"search: 1 experiment, newest first, page at depth 20,000", _ => (HttpMethod.Post, "api/v1/runs/search", ($$$"""{"experiments":["{{{exp}}}"],"pageSize":50,"pageToken":{{{JsonSerializer.Serialize(deepToken)}}}}"""))),
            new("search: all experiments, newest first, page 1", _ => (HttpMethod.Post, "api/v1/runs/search", """{"pageSize":50}""")),
            new("search: 1 experiment, order by metric valid/auc desc", _ => (HttpMethod.Post, "api/v1/runs/search", E("""{"experiments":["EXP"],"pageSize":50,"orderBy":{"kind":"metric","key":"valid/auc","descending":true}}"""))),
            new("search: all, order by metric valid/loss asc", _ => (HttpMethod.Post, "api/v1/runs/search", """{"pageSize":50,"orderBy":{"kind":"metric","key":"valid/loss","descending":false}}""")),
            new("search: 1 exp, metric valid/auc > 0.85 and param learningRate = 0.1", _ => (HttpMethod.Post, "api/v1/runs/search", E("""{"experiments":["EXP"],"pageSize":50,"filters":[{"kind":"metric","key":"valid/auc","op":">","value":"0.85"},{"kind":"param","key":"learningRate","op":"=","value":"0.1"}]}"""))),
            new("search: all, tag gate.decision = promoted", _ => (HttpMethod.Post, "api/v1/runs/search", """{"pageSize":50,"filters":[{"kind":"tag","key":"gate.decision","op":"=","value":"promoted"}]}""")),
            new("search: all, status failed, order by param numberOfLeaves", _ => (HttpMethod.Post, "api/v1/runs/search", """{"pageSize":50,"status":"failed","orderBy":{"kind":"param","key":"numberOfLeaves","descending":false}}""")),
            new("history: ordinary run, valid/loss (random runs)", i => (HttpMethod.Get, $"api/v1/runs/{sample[i % sample.Count]}/metrics/valid%2Floss", null)),
            new($"history: huge run, train/loss, all {hugeSteps:N0} points", _ => (HttpMethod.Get, $"api/v1/runs/{hugeRun}/metrics/train%2Floss", null)),
            new("history: huge run, train/loss, ?maxPoints=1000", _ => (HttpMethod.Get, $"api/v1/runs/{hugeRun}/metrics/train%2Floss?maxPoints=1000", null)),
            new("history: huge run, train/loss, ?afterStep=500000&limit=1000", _ => (HttpMethod.Get, $"api/v1/runs/{hugeRun}/metrics/train%2Floss?afterStep=500000&limit=1000", null)),
        };

        if (mode == "once")
        {
            foreach (var s in scenarios)
            {
                var (ms, bytes, _) = await SendAsync(http, s.Request(0));
                Console.WriteLine($"once: {s.Name}: {ms:F1} ms, {bytes:N0} bytes");
            }
            return 0;
        }
        if (mode == "latency")
        {
            Console.WriteLine($"| endpoint / query | n | p50 ms | p99 ms | max ms | response bytes |");
            Console.WriteLine($"|---|---|---|---|---|---|");
            foreach (var s in scenarios)
            {
                // Multi-second requests (a whole huge history) get one warm-up and 3 samples, the rest 3 and at least 5.
                var (first, _, _) = await SendAsync(http, s.Request(0));
                var slow = first > 2000;
                for (var w = 1; w < (slow ? 1 : 3); w++)
                {
                    await SendAsync(http, s.Request(w));
                }
                var times = new List<double>();
                long bytes = 0;
                var clock = Stopwatch.StartNew();
                while (times.Count < maxSamples && (times.Count < (slow ? 3 : 5) || clock.Elapsed < budget))
                {
                    var (ms, b, _) = await SendAsync(http, s.Request(times.Count));
                    times.Add(ms);
                    bytes = b;
                }
                times.Sort();
                Console.WriteLine($"| {s.Name} | {times.Count} | {Pct(times, 0.50):F1} | {Pct(times, 0.99):F1} | {times[^1]:F1} | {bytes:N0} |");
            }
            return 0;
        }

        // mode "throughput": ingest points/s, then requests/s per endpoint at a fixed concurrency.
        using var trainerHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        trainerHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", trainer);
        var runs = new List<Guid>();
        for (var i = 0; i < 16; i++)
        {
            var (_, _, body) = await SendAsync(trainerHttp, (HttpMethod.Post, "api/v1/runs", $$"""{"experiment":"{{exp}}","name":"ingest-{{i}}"}"""));
            runs.Add(Guid.Parse(JsonNode.Parse(body)!["id"]!.GetValue<string>()));
        }
        var stepCounter = new long[runs.Count];
        string Batch(int run, int stepsPerKey)
        {
            var first = Interlocked.Add(ref stepCounter[run], stepsPerKey) - stepsPerKey;
            var sb = new StringBuilder("{\"metrics\":[");
            for (var s = 0; s < stepsPerKey; s++)
            {
                foreach (var key in Loader.Keys)
                {
                    sb.Append("{\"key\":\"").Append(key).Append("\",\"value\":").Append((0.5 + 0.001 * s).ToString(System.Globalization.CultureInfo.InvariantCulture))
                      .Append(",\"step\":").Append(first + s).Append("},");
                }
            }
            sb.Length--;
            return sb.Append("]}").ToString();
        }

        Console.WriteLine("| load (one registry process) | in flight | requests | req/s | points/s | p50 ms | p99 ms | CPU |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        await Throughput("ingest: 10,000-point batches (2,500 steps x 4 keys)", 2, i => (HttpMethod.Post, $"api/v1/runs/{runs[i % runs.Count]}/metrics", Batch(i % runs.Count, 2500)), 10_000, trainerHttp);
        await Throughput("ingest: 200-point batches (50 steps x 4 keys), trainer-like", 8, i => (HttpMethod.Post, $"api/v1/runs/{runs[i % runs.Count]}/metrics", Batch(i % runs.Count, 50)), 200, trainerHttp);
        await Throughput(scenarios[0].Name, 8, scenarios[0].Request, 0, http);
        await Throughput(scenarios[3].Name, 8, scenarios[3].Request, 0, http);
        await Throughput(scenarios[5].Name, 8, scenarios[5].Request, 0, http);
        await Throughput(scenarios[8].Name, 8, scenarios[8].Request, 0, http);
        return 0;

        async Task Throughput(string name, int parallel, Func<int, (HttpMethod, string, string?)> request, int pointsPerRequest, HttpClient client)
        {
            for (var w = 0; w < parallel; w++)
            {
                await SendAsync(client, request(w));
            }
            var times = new List<double>();
            var next = -1;
            var before = cpu.Take();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
            {
                while (clock.Elapsed < budget)
                {
                    var (ms, _, _) = await SendAsync(client, request(Interlocked.Increment(ref next)));
                    lock (times)
                    {
                        times.Add(ms);
                    }
                }
            })));
            var seconds = clock.Elapsed.TotalSeconds;
            var after = cpu.Take();
            times.Sort();
            var points = pointsPerRequest == 0 ? "" : $"{times.Count * pointsPerRequest / seconds:N0}";
            Console.WriteLine($"| {name} | {parallel} | {times.Count:N0} | {times.Count / seconds:N0} | {points} | {Pct(times, 0.5):F1} | {Pct(times, 0.99):F1} | {CpuMeter.Describe(before, after)} |");
        }
    }

    private static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<(double Ms, long Bytes, string Body)> SendAsync(HttpClient http, (HttpMethod Method, string Path, string? Body) r)
    {
        using var msg = new HttpRequestMessage(r.Method, r.Path);
        if (r.Body is not null)
        {
            msg.Content = new StringContent(r.Body, Encoding.UTF8, "application/json");
        }
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(msg, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsStringAsync();
        var ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{r.Method} {r.Path} {r.Body}: {(int)response.StatusCode} {body}");
        }
        return (ms, Encoding.UTF8.GetByteCount(body), body);
    }

    /// <summary>The token of the page that starts <paramref name="depth"/> runs deep, reached by walking 1000-run pages.</summary>
    private static async Task<string?> DeepTokenAsync(HttpClient http, string exp, int depth)
    {
        string? token = null;
        for (var seen = 0; seen < depth; seen += 1000)
        {
            var tokenJson = token is null ? "null" : JsonSerializer.Serialize(token);
            var (_, _, body) = await SendAsync(http, (HttpMethod.Post, "api/v1/runs/search", $$$"""{"experiments":["{{{exp}}}"],"pageSize":1000,"pageToken":{{{tokenJson}}}}"""));
            token = JsonNode.Parse(body)!["nextPageToken"]?.GetValue<string>();
            if (token is null)
            {
                break;
            }
        }
        return token;
    }
}
