using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlOps.EndToEnd.Tests.Infrastructure;
using MlOps.Registry.Client.Runs;
using Xunit.Abstractions;

namespace MlOps.EndToEnd.Tests.Adversarial;

/// <summary>
/// The generated adversarial suite: every write endpoint of the registry's OpenAPI document (and serving's predict
/// and V2 infer), every field, changed one at a time by <see cref="Mutations"/>; every CSV and query-text class for
/// dataset uploads. Each answer must be 2xx or 4xx problem details, never 5xx; after each refused write the
/// registry's listings and the bucket's object count must be what they were (after an accepted one they are re-read).
/// </summary>
[Collection(LiveSystemCollection.Name)]
public sealed class GeneratedAdversarialTests(LiveSystem system, ITestOutputHelper output)
{
    /// <summary>The whole suite's budget on CI's 2-core machines; it takes about a minute on the dev VM.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(8);

    private readonly List<string> _failures = [];
    private readonly Dictionary<string, int> _counts = [];
    private int _refused;
    private int _accepted;

    [Fact]
    public async Task Generated_cases_get_2xx_or_4xx_problem_details_and_refused_writes_leave_nothing()
    {
        var model = await system.EnsureProductionModelAsync();
        await WaitForIdleQueueAsync();
        var clock = Stopwatch.StartNew();
        var admin = LiveSystem.Http(system.Registry.BaseAddress, LiveSystem.AdminKey);
        var document = JsonNode.Parse(await admin.GetStringAsync("openapi/v1.json"))!.AsObject();

        // Targets the path parameters point at: a real run (so params/metrics/tags reach PostgreSQL), an existing
        // model, an alias nobody serves.
        var trainer = system.RegistryClient(LiveSystem.TrainerKey);
        await trainer.GetOrCreateExperimentAsync("adv-experiment");
        var run = await trainer.CreateRunAsync(new CreateRunRequest("adv-experiment", Name: "adv-run"));

        var baselines = new BaselineBodies(document, BaselineBodies.DefaultSeeds);
        var snapshot = await SnapshotAsync();
        foreach (var (pathTemplate, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is not ("post" or "put" or "patch")) continue;
                var content = operation!["requestBody"]?["content"]?.AsObject();
                if (content?["application/json"]?["schema"] is not { } schema) continue;
                var path = pathTemplate
                    .Replace("/runs/{id}", $"/runs/{run.Id}")
                    .Replace("{id}", Guid.NewGuid().ToString())
                    .Replace("/models/{name}", $"/models/{LiveSystem.ModelName}")
                    .Replace("{model}", LiveSystem.ModelName)
                    .Replace("{alias}", "adv-alias")
                    .Replace("{name}", "adv-name");
                var baseline = baselines.Build(schema)!;
                foreach (var mutation in Mutations.Of(baseline))
                {
                    snapshot = await SendWriteAsync(new HttpMethod(method.ToUpperInvariant()), path, mutation, snapshot, $"{method.ToUpperInvariant()} {pathTemplate}");
                }
            }
        }

        snapshot = await ModelVersionCasesAsync(document, baselines, run.Id, snapshot);
        snapshot = await DatasetCasesAsync(snapshot);
        await ServingCasesAsync(model.InputSchema);

        var total = _counts.Values.Sum();
        output.WriteLine($"{total} generated cases in {clock.Elapsed.TotalSeconds:F1} s: {_refused} refused writes (4xx), {_accepted} accepted (2xx)");
        foreach (var (endpoint, n) in _counts.OrderBy(c => c.Key)) output.WriteLine($"  {n,5}  {endpoint}");
        // One line per class of failure (endpoint and kind of change, whatever the field), with its first example.
        var classes = _failures.GroupBy(f => f[..f.IndexOf('[')] + (f.IndexOf(": ", f.IndexOf('[')) is var c and > 0 ? f[c..Math.Max(c, f.IndexOf(']'))] : ""))
            .Select(g => $"{g.Count(),4} x {g.First()}");
        Assert.True(_failures.Count == 0, $"{_failures.Count} of {total} cases failed, by class:\n" + string.Join('\n', classes));
        Assert.True(total >= 500, $"only {total} cases were generated");
        Assert.True(clock.Elapsed < Budget, $"the suite took {clock.Elapsed}, over its budget of {Budget}");
    }

    /// <summary>
    /// Jobs of earlier tests (a drift retraining queued by the second serving replica, a fault test's job) would
    /// register versions while the cases run and look like something a refused write left behind: let them finish.
    /// </summary>
    private async Task WaitForIdleQueueAsync()
    {
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while ((await reader.ListJobsAsync(Registry.Client.Jobs.JobStatuses.Queued)).Count
               + (await reader.ListJobsAsync(Registry.Client.Jobs.JobStatuses.Leased)).Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("earlier tests' jobs still queued or leased after 5 minutes");
            await Task.Delay(500);
        }
    }

    /// <summary>POST /models/{name}/versions: the metadata part mutated, the artifact part fixed.</summary>
    private async Task<string> ModelVersionCasesAsync(JsonObject document, BaselineBodies baselines, Guid runId, string snapshot)
    {
        var artifact = "adversarial model bytes"u8.ToArray();
        var schema = document["paths"]!["/api/v1/models/{name}/versions"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"];
        var metadata = baselines.Build(schema)!.AsObject();
        metadata["runId"] = runId.ToString();
        metadata["dataset"] = null;
        metadata["sha256"] = Convert.ToHexStringLower(SHA256.HashData(artifact));
        foreach (var mutation in Mutations.Of(metadata))
        {
            var multipart = new MultipartFormDataContent();
            var part = new ByteArrayContent(mutation.Body);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            multipart.Add(part, "metadata");
            multipart.Add(new ByteArrayContent(artifact), "artifact", "model.bin");
            snapshot = await SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/v1/models/adv-model/versions") { Content = multipart },
                snapshot, "POST /api/v1/models/{name}/versions (metadata)", $"{mutation.Where}: {mutation.What}");
        }
        return snapshot;
    }

    /// <summary>PUT /datasets/{name}: CSV bodies of every encoding and shape class, and the description query text.</summary>
    private async Task<string> DatasetCasesAsync(string snapshot)
    {
        foreach (var (what, csv) in CsvCases.All())
        {
            var request = new HttpRequestMessage(HttpMethod.Put, "api/v1/datasets/adv-csv") { Content = new ByteArrayContent(csv) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            snapshot = await SendAsync(request, snapshot, "PUT /api/v1/datasets/{name} (CSV body)", what);
        }
        var valid = "a,b\n1,2\n"u8.ToArray();
        var queries = Enumerable.Range(0, 0x20).Select(c => ($"U+{c:X4}", $"a%{c:X2}b"))
            .Concat([("invalid UTF-8 %FF", "a%FFb"), ("lone surrogate %ED%A0%80", "%ED%A0%80"), ("length 1001", new string('a', 1001)), ("empty", "")]);
        foreach (var (what, text) in queries)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/datasets/adv-query?description={text}") { Content = new ByteArrayContent(valid) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            snapshot = await SendAsync(request, snapshot, "PUT /api/v1/datasets/{name}?description=", what);
        }
        return snapshot;
    }

    /// <summary>Serving: every feature of a sample row on predict, the first tensors of a V2 request, whole bodies.</summary>
    private async Task ServingCasesAsync(IReadOnlyList<Registry.Client.Models.FeatureSchema> schema)
    {
        var row = SampleData.ToJson(SampleData.ReadRows(1)[0], schema);
        var predict = new JsonObject { ["features"] = row };
        foreach (var mutation in Mutations.Of(predict))
            await SendServingAsync($"v1/models/{LiveSystem.ModelName}/predict", mutation, "POST /v1/models/{name}/predict");
        foreach (var mutation in Mutations.Of(new JsonObject { ["instances"] = new JsonArray(row.DeepClone()) }, p => p.Count(c => c == '/') <= 3))
            await SendServingAsync("predict", mutation, "POST /predict");

        var inputs = new JsonArray(schema.Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["shape"] = new JsonArray(1),
            ["datatype"] = f.Type == "numeric" ? "FP64" : "BYTES",
            ["data"] = new JsonArray(row[f.Name]?.DeepClone()),
        }).ToArray());
        var infer = new JsonObject { ["id"] = "adv", ["inputs"] = inputs };
        // Every field of the first three tensors and the request's own; the other tensors are the same shape.
        foreach (var mutation in Mutations.Of(infer, p => !p.StartsWith("$/inputs/", StringComparison.Ordinal) || p.Split('/')[2] is "0" or "1" or "2"))
            await SendServingAsync($"v2/models/{LiveSystem.ModelName}/infer", mutation, "POST /v2/models/{name}/infer");
    }

    private async Task<string> SendWriteAsync(HttpMethod method, string path, Mutation mutation, string snapshot, string endpoint) =>
        await SendAsync(Build(method, path, mutation), snapshot, endpoint, $"{mutation.Where}: {mutation.What}");

    private static HttpRequestMessage Build(HttpMethod method, string path, Mutation mutation)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = new ByteArrayContent(mutation.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mutation.ContentType);
        if (mutation.ContentEncoding is { } encoding) request.Content.Headers.ContentEncoding.Add(encoding);
        return request;
    }

    /// <summary>Sends one registry write; checks the answer and, when refused, that nothing changed.</summary>
    private async Task<string> SendAsync(HttpRequestMessage request, string snapshot, string endpoint, string what)
    {
        _counts[endpoint] = _counts.GetValueOrDefault(endpoint) + 1;
        using var http = LiveSystem.Http(system.Registry.BaseAddress, LiveSystem.AdminKey);
        var status = await CheckAsync(http, request, endpoint, what);
        if (status is null) return snapshot;
        var after = await SnapshotAsync();
        if (status is >= 400 and < 500)
        {
            _refused++;
            if (after != snapshot) _failures.Add($"{endpoint} [{what}]: refused with {status} but left something behind:\n  before {snapshot}\n  after  {after}");
        }
        else
        {
            _accepted++;
        }
        return after;
    }

    private async Task SendServingAsync(string path, Mutation mutation, string endpoint)
    {
        _counts[endpoint] = _counts.GetValueOrDefault(endpoint) + 1;
        using var http = LiveSystem.Http(system.Serving[0].BaseAddress);
        await CheckAsync(http, Build(HttpMethod.Post, path, mutation), endpoint, $"{mutation.Where}: {mutation.What}");
    }

    /// <summary>The status when it is 2xx or a 4xx with problem details; else records a failure and returns null.</summary>
    private async Task<int?> CheckAsync(HttpClient http, HttpRequestMessage request, string endpoint, string what)
    {
        using var _ = request;
        try
        {
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            if (status is >= 200 and < 300) return status;
            if (status is >= 400 and < 500 && IsProblem(response, body, status)) return status;
            _failures.Add($"{endpoint} [{what}]: {status} {response.Content.Headers.ContentType} {(body.Length > 300 ? body[..300] : body)}");
        }
        catch (HttpRequestException e)
        {
            _failures.Add($"{endpoint} [{what}]: no answer: {e.Message}");
        }
        return null;
    }

    private static bool IsProblem(HttpResponseMessage response, string body, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return false;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("status", out var s) && s.GetInt32() == status && json.RootElement.TryGetProperty("title", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<string> SnapshotAsync() => $"{await system.SnapshotAsync()} objects {system.Backing.S3ObjectCount()}";
}

/// <summary>CSV bodies for dataset uploads: each class of encoding and shape a user's file can have.</summary>
public static class CsvCases
{
    public static IEnumerable<(string What, byte[] Csv)> All()
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        for (var c = 0; c < 0x20; c++)
        {
            if (c is '\n' or '\r') continue;
            yield return ($"U+{c:X4} in a field", [.. B("a,b\n1,x"), (byte)c, .. B("y\n2,z\n")]);
            yield return ($"U+{c:X4} in a header name", [.. B("a"), (byte)c, .. B(",b\n1,2\n")]);
        }
        yield return ("U+0000 in a quoted field", [.. B("a,b\n1,\"x"), 0, .. B("\"\n")]);
        yield return ("invalid UTF-8 0xFF", [.. B("a,b\n1,"), 0xFF, .. B("\n")]);
        yield return ("invalid UTF-8 in a header", [.. B("a"), 0xC3, 0x28, .. B(",b\n1,2\n")]);
        yield return ("UTF-8-encoded surrogate", [.. B("a,b\n1,"), 0xED, 0xA0, 0x80, .. B("\n")]);
        yield return ("UTF-16 LE with BOM", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("a,b\n1,2\n")]);
        yield return ("UTF-16 BE with BOM", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes("a,b\n1,2\n")]);
        yield return ("UTF-16 LE without BOM", Encoding.Unicode.GetBytes("a,b\n1,2\n"));
        yield return ("random bytes", RandomBytes(4096, 1));
        yield return ("random bytes without NUL", RandomBytes(4096, 2).Select(b => b == 0 ? (byte)1 : b).ToArray());
        yield return ("UTF-8 BOM", [0xEF, 0xBB, 0xBF, .. B("bom_a,b\n1,2\n")]);
        yield return ("UTF-8 BOM only", [0xEF, 0xBB, 0xBF]);
        yield return ("CR-only line endings", B("cr_x,y\r1,2\r3,4\r"));
        yield return ("CRLF line endings", B("crlf_x,y\r\n1,2\r\n"));
        yield return ("empty", []);
        yield return ("header only", B("only_header\n"));
        yield return ("blank lines only", B("\n\n\n"));
        yield return ("duplicate header", B("a,a\n1,2\n"));
        yield return ("empty header name", B("a,\n1,2\n"));
        yield return ("header name of 257 characters", B(new string('h', 257) + ",b\n1,2\n"));
        yield return ("field of 64 KiB + 1", B("a,b\n1," + new string('x', 64 * 1024 + 1) + "\n"));
        yield return ("ragged row", B("a,b\n1,2,3\n"));
        yield return ("short row", B("a,b\n1\n"));
        yield return ("unterminated quote", B("a,b\n1,\"x\n"));
        yield return ("quote inside a field", B("qa,b\n1,x\"y\n"));
        yield return ("10000 columns", B(string.Join(',', Enumerable.Range(0, 10_000).Select(i => $"c{i}")) + "\n"));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
