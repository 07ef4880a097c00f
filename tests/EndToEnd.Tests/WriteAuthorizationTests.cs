using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlOps.EndToEnd.Tests.Infrastructure;

namespace MlOps.EndToEnd.Tests;

/// <summary>
/// Every write endpoint the registry's OpenAPI document lists must refuse a request without a key (401) and
/// one with a reader key (403). Serving's POSTs are scoring calls, not writes, and are open by design.
/// </summary>
[Collection(LiveSystemCollection.Name)]
public sealed partial class WriteAuthorizationTests(LiveSystem system)
{
    // POSTs that only read (a search body is too large for a query string): a reader may call them.
    private static readonly HashSet<string> ReadOnlyPosts = ["/api/v1/runs/search"];

    [Fact]
    public async Task Every_write_endpoint_in_the_OpenAPI_document_refuses_missing_and_reader_keys()
    {
        using var anonymous = LiveSystem.Http(system.Registry.BaseAddress);
        using var reader = LiveSystem.Http(system.Registry.BaseAddress, LiveSystem.ReaderKey);
        using var document = JsonDocument.Parse(await reader.GetStringAsync("openapi/v1.json"));

        var writes = new List<(string Method, string Path, string ContentType)>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var method = operation.Name.ToUpperInvariant();
                if (method is "POST" or "PUT" or "PATCH" or "DELETE" && !ReadOnlyPosts.Contains(path.Name))
                    writes.Add((method, path.Name, DeclaredContentType(operation.Value)));
            }
        }
        Assert.True(writes.Count >= 10, $"only {writes.Count} write endpoints in the OpenAPI document");

        var failures = new List<string>();
        foreach (var (method, template, contentType) in writes)
        {
            var path = FillTemplate(template);
            var none = await SendAsync(anonymous, method, path, contentType);
            var asReader = await SendAsync(reader, method, path, contentType);
            if (none != HttpStatusCode.Unauthorized) failures.Add($"{method} {template} without a key: {(int)none}");
            if (asReader != HttpStatusCode.Forbidden) failures.Add($"{method} {template} with a reader key: {(int)asReader}");
        }
        Figures.Record("write authorization", $"{writes.Count} write endpoints from the OpenAPI document, {failures.Count} accepted a missing or reader key");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>
    /// The body type the operation declares: a body of another type is refused (415) by routing before
    /// authorization runs, and would prove nothing about the keys.
    /// </summary>
    private static string DeclaredContentType(JsonElement operation) =>
        operation.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
            ? content.EnumerateObject().Select(c => c.Name).FirstOrDefault() ?? "application/json"
            : "application/json";

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, string method, string path, string contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'))
        {
            Content = contentType switch
            {
                "multipart/form-data" => new MultipartFormDataContent { { new StringContent("{}"), "metadata" } },
                "text/csv" => new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv"),
                _ => new StringContent("{}", Encoding.UTF8, contentType),
            },
        };
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Route parameters get plausible values: guids for ids, 1 for versions, a name otherwise.</summary>
    private static string FillTemplate(string template) => RouteParameter().Replace(template, m =>
    {
        var name = m.Groups["name"].Value.ToLowerInvariant();
        return name == "id" || name.EndsWith("id", StringComparison.Ordinal) ? Guid.NewGuid().ToString()
            : name.Contains("version", StringComparison.Ordinal) ? "1"
            : "e2e-auth";
    });

    [GeneratedRegex(@"\{(?<name>[^}:]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();
}
