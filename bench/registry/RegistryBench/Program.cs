using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MlOps.Bench.Registry;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Runs;

// Usage: RegistryBench <registry-url> <registry-pid> <trainer-key> [artifact-MB=1024] [metric-points=2000000] [batch=50000] [parallel=2]
var baseUrl = new Uri(args[0].EndsWith('/') ? args[0] : args[0] + "/");
var pid = int.Parse(args[1]);
var key = args[2];
var artifactMb = args.Length > 3 ? long.Parse(args[3]) : 1024;
var totalPoints = args.Length > 4 ? int.Parse(args[4]) : 2_000_000;
var batchSize = args.Length > 5 ? int.Parse(args[5]) : 50_000;
var parallel = args.Length > 6 ? int.Parse(args[6]) : 2;

using var http = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
var client = new RegistryClient(http);
await using var rss = new RssSampler(pid);

// (a) 1 GB artifact upload, generated on the fly, while sampling the registry's RSS.
var length = artifactMb * 1024 * 1024;
Console.WriteLine($"hashing {artifactMb} MB generated artifact...");
string sha;
using (var hasher = SHA256.Create())
{
    sha = Convert.ToHexStringLower(await hasher.ComputeHashAsync(new GeneratedStream(length, 7)));
}
var before = rss.CurrentMb;
var clock = Stopwatch.StartNew();
var version = await client.RegisterModelVersionAsync("bench-model",
    new ModelVersionMetadata(null, null, TrainingTasks.Regression, [new FeatureSchema("x", "numeric")], new Dictionary<string, double>(), sha),
    new GeneratedStream(length, 7));
var uploadSeconds = clock.Elapsed.TotalSeconds;
var uploadPeak = rss.PeakMb;
Console.WriteLine($"upload: {artifactMb} MB in {uploadSeconds:F1} s ({artifactMb / uploadSeconds:F0} MB/s), version {version.Version}, sha256 ok={version.Sha256 == sha}");
Console.WriteLine($"registry RSS: before upload {before} MB, peak during upload {uploadPeak} MB (+{uploadPeak - before} MB for a {artifactMb} MB body)");

clock.Restart();
await using (var download = await client.OpenArtifactAsync("bench-model", version.Version))
using (var hasher = SHA256.Create())
{
    var got = Convert.ToHexStringLower(await hasher.ComputeHashAsync(download.Content));
    Console.WriteLine($"download: {artifactMb} MB in {clock.Elapsed.TotalSeconds:F1} s, sha256 ok={got == sha}, registry RSS peak so far {rss.PeakMb} MB");
}

// (b) Batch metric ingestion: points/s through POST /api/v1/runs/{id}/metrics (JSON -> binary COPY).
var experiment = await client.GetOrCreateExperimentAsync("bench");
var run = await client.CreateRunAsync(new CreateRunRequest(experiment.Name, "ingest"));
var keys = new[] { "train/loss", "valid/loss", "valid/auc", "lr" };
var batches = Enumerable.Range(0, totalPoints / batchSize)
    .Select(b => (IReadOnlyList<MetricPoint>)Enumerable.Range(0, batchSize)
        .Select(i => new MetricPoint(keys[i % keys.Length], Math.Sin(i) * 1000, (long)b * batchSize + i, DateTimeOffset.UnixEpoch.AddSeconds(i))).ToList())
    .ToList();
await client.LogMetricsAsync(run.Id, batches[0].Take(1000).ToList()); // warm-up (JIT, pools)
clock.Restart();
var next = -1;
await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < batches.Count)
    {
        await client.LogMetricsAsync(run.Id, batches[i]);
    }
})));
var ingestSeconds = clock.Elapsed.TotalSeconds;
var ingested = batches.Count * batchSize;
Console.WriteLine($"metrics: {ingested:N0} points in {batches.Count} batches of {batchSize:N0} ({parallel} in flight) in {ingestSeconds:F2} s = {ingested / ingestSeconds:N0} points/s");
var history = await client.GetMetricHistoryAsync(run.Id, "lr");
Console.WriteLine($"check: history of 'lr' has {history.Count:N0} points (expected {ingested / keys.Length + 250:N0} incl. warm-up)");
Console.WriteLine($"registry RSS peak overall {rss.PeakMb} MB");
