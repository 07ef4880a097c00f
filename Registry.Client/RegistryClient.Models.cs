using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    public Task<RegisteredModel> CreateModelAsync(CreateModelRequest request, CancellationToken ct = default) =>
        SendAsync<RegisteredModel>(HttpMethod.Post, "models", request, ct);

    /// <summary>Null when absent.</summary>
    public Task<RegisteredModel?> GetModelAsync(string name, CancellationToken ct = default) =>
        SendOrDefaultAsync<RegisteredModel>(HttpMethod.Get, $"models/{Seg(name)}", null, ct);

    public Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<RegisteredModel>>(HttpMethod.Get, "models", null, ct);

    /// <summary>
    /// Registers a version: multipart with the metadata JSON first, then the artifact streamed (never buffered).
    /// The registry hashes the bytes as they arrive and refuses (422) a mismatch with <see cref="ModelVersionMetadata.Sha256"/>.
    /// </summary>
    public async Task<ModelVersion> RegisterModelVersionAsync(string model, ModelVersionMetadata metadata, Stream artifact, CancellationToken ct = default)
    {
        using var content = new MultipartFormDataContent();
        content.Add(JsonContent.Create(metadata, options: RegistryJson.Options), "metadata");
        var file = new StreamContent(artifact, 81920);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(file, "artifact", "model.zip");
        using var response = await Http.PostAsync(ApiPrefix + $"models/{Seg(model)}/versions", content, ct).ConfigureAwait(false);
        return await ReadAsync<ModelVersion>(response, ct).ConfigureAwait(false);
    }

    /// <summary><paramref name="version"/> null means the latest version.</summary>
    public Task<ModelVersion> GetModelVersionAsync(string model, int? version = null, CancellationToken ct = default) =>
        SendAsync<ModelVersion>(HttpMethod.Get, $"models/{Seg(model)}/versions/{VersionSeg(version)}", null, ct);

    public Task<IReadOnlyList<ModelVersion>> ListModelVersionsAsync(string model, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ModelVersion>>(HttpMethod.Get, $"models/{Seg(model)}/versions", null, ct);

    /// <summary>Opens the artifact as a stream; <paramref name="from"/>/<paramref name="to"/> send a Range (inclusive byte offsets).</summary>
    public Task<RegistryDownload> OpenArtifactAsync(string model, int version, long? from = null, long? to = null, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, ApiPrefix + $"models/{Seg(model)}/versions/{version}/artifact");
        if (from is not null || to is not null)
        {
            request.Headers.Range = new RangeHeaderValue(from ?? 0, to);
        }
        return RegistryDownload.OpenAsync(Http, request, ct);
    }

    /// <summary>HEAD on the artifact: sha256 (ETag) and size without the bytes. Null when absent.</summary>
    public async Task<ArtifactInfo?> GetArtifactInfoAsync(string model, int version, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, ApiPrefix + $"models/{Seg(model)}/versions/{version}/artifact");
        using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return new ArtifactInfo(response.Headers.ETag?.Tag.Trim('"') ?? "", response.Content.Headers.ContentLength ?? -1);
    }

    /// <summary>Moves (or creates) an alias; admin role. Promote and roll back are the same call.</summary>
    public Task<ModelAlias> SetAliasAsync(string model, string alias, int version, string? reason = null, CancellationToken ct = default) =>
        SendAsync<ModelAlias>(HttpMethod.Put, $"models/{Seg(model)}/aliases/{Seg(alias)}", new SetAliasRequest(version, reason), ct);

    /// <summary>The alias now; null when the model or alias does not exist.</summary>
    public Task<ModelAlias?> GetAliasAsync(string model, string alias, CancellationToken ct = default) =>
        SendOrDefaultAsync<ModelAlias>(HttpMethod.Get, $"models/{Seg(model)}/aliases/{Seg(alias)}", null, ct);

    /// <summary>
    /// Long-poll: answers as soon as the alias points to a version other than <paramref name="knownVersion"/>
    /// (null or 0: as soon as it exists), else after <paramref name="wait"/> (at most 60 s) with the current state.
    /// Null when the alias still does not exist at the end of the wait.
    /// </summary>
    public Task<ModelAlias?> WaitForAliasAsync(string model, string alias, int? knownVersion, TimeSpan wait, CancellationToken ct = default)
    {
        var seconds = (int)Math.Clamp(wait.TotalSeconds, 0, 60);
        return SendOrDefaultAsync<ModelAlias>(HttpMethod.Get,
            $"models/{Seg(model)}/aliases/{Seg(alias)}?knownVersion={knownVersion ?? 0}&waitSeconds={seconds}", null, ct);
    }

    /// <summary>The alias's append-only audit trail, oldest first.</summary>
    public Task<IReadOnlyList<AliasHistoryEntry>> GetAliasHistoryAsync(string model, string alias, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<AliasHistoryEntry>>(HttpMethod.Get, $"models/{Seg(model)}/aliases/{Seg(alias)}/history", null, ct);
}
