using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlOps.EndToEnd.Tests.Infrastructure;

namespace MlOps.EndToEnd.Tests;

/// <summary>
/// Every case under BadInput/ against the live system: each must be answered 4xx (the exact code where the
/// case names one) with RFC 9457 problem details, never 5xx, and must leave nothing behind.
/// </summary>
[Collection(LiveSystemCollection.Name)]
public sealed class BadInputCorpusTests(LiveSystem system)
{
    [Fact]
    public async Task Every_bad_input_case_is_refused_with_problem_details_and_persists_nothing()
    {
        var model = await system.EnsureProductionModelAsync();
        var cases = LoadCases();
        Assert.True(cases.Count >= 50, $"the corpus has {cases.Count} cases");

        var before = await system.SnapshotAsync();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            using var request = BuildRequest(c, model.InputSchema);
            var baseAddress = c.Service == "serving" ? system.Serving[0].BaseAddress : system.Registry.BaseAddress;
            using var http = LiveSystem.Http(baseAddress, KeyFor(c.Key));
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request);
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{c.File}: '{c.Name}': no answer, the connection failed: {e.Message} {e.InnerException?.Message}");
                continue;
            }
            using var _ = response;
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            var expectedOk = c.Expect.ValueKind == JsonValueKind.Number ? status == c.Expect.GetInt32() : status is >= 400 and < 500;
            if (!expectedOk)
            {
                failures.Add($"{c.File}: '{c.Name}': {status}, expected {c.Expect}: {Truncate(body)}");
                continue;
            }
            if (request.Method != HttpMethod.Head && !IsProblemDetails(response, body, status))
                failures.Add($"{c.File}: '{c.Name}': {status} without problem details: {response.Content.Headers.ContentType} {Truncate(body)}");
        }
        var after = await system.SnapshotAsync();

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join('\n', failures));
        Assert.Equal(before, after);
    }

    private static bool IsProblemDetails(HttpResponseMessage response, string body, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return false;
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("title", out _)
            && json.RootElement.TryGetProperty("status", out var s) && s.GetInt32() == status;
    }

    private static string? KeyFor(string key) => key switch
    {
        "admin" => LiveSystem.AdminKey,
        "trainer" => LiveSystem.TrainerKey,
        "reader" => LiveSystem.ReaderKey,
        "wrong" => "not-a-key-of-this-registry",
        _ => null,
    };

    private static HttpRequestMessage BuildRequest(BadInputCase c, IReadOnlyList<Registry.Client.Models.FeatureSchema> schema)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path.TrimStart('/'));
        if (c.Multipart is { } parts)
        {
            var multipart = new MultipartFormDataContent();
            foreach (var part in parts)
            {
                var content = new StringContent(part.Content, Encoding.UTF8);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(part.ContentType);
                if (part.FileName is { } file) multipart.Add(content, part.Name, file); else multipart.Add(content, part.Name);
            }
            request.Content = multipart;
            return request;
        }
        string? body = c.Body;
        if (c.SampleRow) body = SampleBody(c, schema);
        if (c.Pad is { } pad && body is not null) body = body.Replace(pad.Marker, new string('a', pad.Bytes));
        if (c.BodyBase64 is { } b64)
        {
            request.Content = new ByteArrayContent(Convert.FromBase64String(b64));
        }
        else if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
        }
        if (request.Content is not null && c.ContentType is { } type)
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        // An oversized body is refused from its Content-Length: with 100-continue the server can answer
        // before we send it, instead of cutting the connection mid-upload.
        if (c.Pad is not null) request.Headers.ExpectContinue = true;
        return request;
    }

    /// <summary>A valid Ames row, then the case's change: overridden, extra or raw (non-JSON-value) fields.</summary>
    private static string SampleBody(BadInputCase c, IReadOnlyList<Registry.Client.Models.FeatureSchema> schema)
    {
        var row = SampleData.ToJson(SampleData.ReadRows(1)[0], schema);
        foreach (var (key, value) in c.Override ?? []) row[key] = value?.DeepClone();
        foreach (var (key, value) in c.Extra ?? []) row[key] = value?.DeepClone();
        const string rawMarker = "\"@RAW@\"";
        if (c.RawOverride is [var column, _]) row[column] = "@RAW@";
        string json;
        if (c.Repeat is { } n)
        {
            var rowJson = row.ToJsonString();
            json = "{\"instances\":[" + string.Join(',', Enumerable.Repeat(rowJson, n)) + "]}";
        }
        else
        {
            json = new JsonObject { ["features"] = row }.ToJsonString();
        }
        return c.RawOverride is [_, var raw] ? json.Replace(rawMarker, raw) : json;
    }

    private static List<BadInputCase> LoadCases()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "BadInput");
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        return Directory.GetFiles(folder, "*.json").Order()
            .SelectMany(file => JsonSerializer.Deserialize<List<BadInputCase>>(File.ReadAllText(file), options)!
                .Select(c => c with { File = Path.GetFileName(file) }))
            .ToList();
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "..." : text;
}

/// <summary>One case of BadInput/*.json (see the README there).</summary>
public sealed record BadInputCase(
    string Name,
    string Service,
    string Method,
    string Path,
    string Key,
    JsonElement Expect,
    string? Body = null,
    string? ContentType = null,
    string? BodyBase64 = null,
    IReadOnlyList<MultipartPart>? Multipart = null,
    PadSpec? Pad = null,
    bool SampleRow = false,
    Dictionary<string, JsonNode?>? Override = null,
    Dictionary<string, JsonNode?>? Extra = null,
    IReadOnlyList<string>? RawOverride = null,
    int? Repeat = null,
    string File = "");

public sealed record MultipartPart(string Name, string ContentType, string Content, string? FileName = null);

public sealed record PadSpec(string Marker, int Bytes);
