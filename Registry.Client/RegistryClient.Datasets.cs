using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using MlOps.Registry.Client.Datasets;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    /// <summary>
    /// Streams a CSV (header row first) to <c>PUT /api/v1/datasets/{name}</c>. Identical bytes give the existing
    /// version (<see cref="DatasetUploadResult.Created"/> false).
    /// </summary>
    public async Task<DatasetUploadResult> UploadDatasetAsync(string name, Stream csv, string? description = null, CancellationToken ct = default)
    {
        var path = ApiPrefix + $"datasets/{Seg(name)}" + (description is null ? "" : $"?description={Seg(description)}");
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StreamContent(csv, 81920) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
        var version = await ReadAsync<DatasetVersion>(response, ct).ConfigureAwait(false);
        return new DatasetUploadResult(version, response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>Null when absent.</summary>
    public Task<Dataset?> GetDatasetAsync(string name, CancellationToken ct = default) =>
        SendOrDefaultAsync<Dataset>(HttpMethod.Get, $"datasets/{Seg(name)}", null, ct);

    public Task<IReadOnlyList<Dataset>> ListDatasetsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<Dataset>>(HttpMethod.Get, "datasets", null, ct);

    public Task<IReadOnlyList<DatasetVersion>> ListDatasetVersionsAsync(string name, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<DatasetVersion>>(HttpMethod.Get, $"datasets/{Seg(name)}/versions", null, ct);

    /// <summary><paramref name="version"/> null means the latest version.</summary>
    public Task<DatasetVersion> GetDatasetVersionAsync(string name, int? version = null, CancellationToken ct = default) =>
        SendAsync<DatasetVersion>(HttpMethod.Get, $"datasets/{Seg(name)}/versions/{VersionSeg(version)}", null, ct);

    /// <summary>Opens the CSV bytes as a stream (headers read, body not buffered). Verify <see cref="RegistryDownload.Sha256"/> as you read.</summary>
    public Task<RegistryDownload> OpenDatasetContentAsync(string name, int? version = null, CancellationToken ct = default) =>
        RegistryDownload.OpenAsync(Http, new HttpRequestMessage(HttpMethod.Get, ApiPrefix + $"datasets/{Seg(name)}/versions/{VersionSeg(version)}/content"), ct);
}
