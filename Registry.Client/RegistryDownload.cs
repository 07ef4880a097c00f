namespace MlOps.Registry.Client;

/// <summary>
/// A streamed download (dataset content or model artifact): read <see cref="Content"/> as it arrives; dispose to
/// release the connection. <see cref="Sha256"/> is the registry's ETag (hex sha256 of the whole object).
/// </summary>
public sealed class RegistryDownload(HttpResponseMessage response, Stream content) : IDisposable, IAsyncDisposable
{
    public Stream Content { get; } = content;
    public string? Sha256 { get; } = response.Headers.ETag?.Tag.Trim('"');
    /// <summary>Length of this response's body (the range's length for a 206).</summary>
    public long? Length { get; } = response.Content.Headers.ContentLength;
    public bool IsPartial { get; } = response.StatusCode == System.Net.HttpStatusCode.PartialContent;

    internal static async Task<RegistryDownload> OpenAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        try
        {
            await RegistryClient.EnsureSuccessAsync(response, ct).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new RegistryDownload(response, stream);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Content.Dispose();
        response.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync().ConfigureAwait(false);
        response.Dispose();
    }
}
