using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Client;

/// <summary>
/// Typed HttpClient for the whole registry API (one partial file per feature). Every non-success answer
/// throws <see cref="RegistryApiException"/>; lookups documented as "null when absent" return null on 404.
/// </summary>
public sealed partial class RegistryClient(HttpClient http)
{
    public const string ApiPrefix = "api/v1/";

    public HttpClient Http { get; } = http;

    private static string Seg(string value) => Uri.EscapeDataString(value);

    private static string VersionSeg(int? version) => version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "latest";

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, ApiPrefix + path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: RegistryJson.Options);
        }
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="SendAsync{T}"/> but a 404 gives default instead of throwing.</summary>
    private async Task<T?> SendOrDefaultAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct) where T : class
    {
        try
        {
            return await SendAsync<T>(method, path, body, ct).ConfigureAwait(false);
        }
        catch (RegistryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var value = await response.Content.ReadFromJsonAsync<T>(RegistryJson.Options, ct).ConfigureAwait(false);
        return value ?? throw new RegistryApiException(response.StatusCode, null, "empty body");
    }

    /// <summary>Throws <see cref="RegistryApiException"/> with the problem details when the answer is not a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string raw = "";
        ApiProblem? problem = null;
        try
        {
            raw = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (raw.Length > 0 && raw.TrimStart().StartsWith('{'))
            {
                problem = JsonSerializer.Deserialize<ApiProblem>(raw, RegistryJson.Options);
            }
        }
        catch (JsonException)
        {
            // Not problem details (e.g. a proxy's HTML page): keep the raw text in the message.
        }
        throw new RegistryApiException(response.StatusCode, problem, raw);
    }
}
