using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Client.Serving;

/// <summary>
/// Typed HttpClient for Serving.Api (tests, end-to-end checks, callers in .NET). Non-success answers throw
/// <see cref="ServingApiException"/> with the problem details.
/// </summary>
public sealed class ServingClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public Task<PredictResponse> PredictAsync(string model, PredictRequest request, CancellationToken ct = default) =>
        PostAsync<PredictResponse, PredictRequest>($"v1/models/{Uri.EscapeDataString(model)}/predict", request, ct);

    /// <summary>The default (first configured) model: <c>POST /predict</c>.</summary>
    public Task<PredictResponse> PredictDefaultAsync(PredictRequest request, CancellationToken ct = default) =>
        PostAsync<PredictResponse, PredictRequest>("predict", request, ct);

    /// <summary>Per-column contributions for each row: <c>POST /v1/models/{name}/explain</c>.</summary>
    public Task<ExplainResponse> ExplainAsync(string model, PredictRequest request, CancellationToken ct = default) =>
        PostAsync<ExplainResponse, PredictRequest>($"v1/models/{Uri.EscapeDataString(model)}/explain", request, ct);

    public Task<ServedModelInfo> GetModelInfoAsync(string model, CancellationToken ct = default) =>
        GetAsync<ServedModelInfo>($"v1/models/{Uri.EscapeDataString(model)}", ct);

    public Task<ServedModelInfo> GetDefaultModelInfoAsync(CancellationToken ct = default) => GetAsync<ServedModelInfo>("model/info", ct);

    public Task<V2ModelMetadata> GetV2MetadataAsync(string model, CancellationToken ct = default) =>
        GetAsync<V2ModelMetadata>($"v2/models/{Uri.EscapeDataString(model)}", ct);

    public Task<V2InferResponse> InferAsync(string model, V2InferRequest request, CancellationToken ct = default) =>
        PostAsync<V2InferResponse, V2InferRequest>($"v2/models/{Uri.EscapeDataString(model)}/infer", request, ct);

    /// <summary>V2 server readiness: every configured model is loaded.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct = default)
    {
        using var response = await Http.GetAsync("v2/health/ready", ct).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        using var response = await Http.GetAsync(path, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private async Task<T> PostAsync<T, TBody>(string path, TBody body, CancellationToken ct)
    {
        using var response = await Http.PostAsJsonAsync(path, body, RegistryJson.Options, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var raw = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            ApiProblem? problem = null;
            try { problem = raw.TrimStart().StartsWith('{') ? JsonSerializer.Deserialize<ApiProblem>(raw, RegistryJson.Options) : null; }
            catch (JsonException) { /* not problem details: the raw text goes in the message */ }
            throw new ServingApiException(response.StatusCode, problem, raw);
        }
        return await response.Content.ReadFromJsonAsync<T>(RegistryJson.Options, ct).ConfigureAwait(false)
            ?? throw new ServingApiException(response.StatusCode, null, "empty body");
    }
}

/// <summary>A non-success answer of Serving.Api, with its status and problem details (null when the body was not one).</summary>
public sealed class ServingApiException(HttpStatusCode statusCode, ApiProblem? problem, string? rawBody = null)
    : Exception($"Serving answered {(int)statusCode} {statusCode}: {problem?.Detail ?? problem?.Title ?? rawBody}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public ApiProblem? Problem { get; } = problem;
}
