using System.Globalization;
using System.Net.Http.Headers;
using MlOps.PredictionLog;
using MlOps.Registry.Client;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>One finished Parquet file and where it belongs (the registry's partitioning: model/kind/version/date).</summary>
public sealed record PredictionLogFile(string Model, string Kind, int? Version, DateOnly Date, byte[] Parquet, int Rows);

/// <summary>Where finished files go. Serving never writes the bucket itself: the registry owns it.</summary>
public interface IPredictionLogStore
{
    /// <summary>Stores the file; throws on any failure (the caller retries).</summary>
    Task StoreAsync(PredictionLogFile file, CancellationToken ct);
}

/// <summary>
/// <c>POST /api/v1/prediction-logs/{model}/files?kind=&amp;version=&amp;date=</c> with serving's registry key
/// (Registry:ApiKey, which must be a trainer key when logging or feedback is on).
/// </summary>
public sealed class RegistryPredictionLogStore(RegistryClient registry) : IPredictionLogStore
{
    public async Task StoreAsync(PredictionLogFile file, CancellationToken ct)
    {
        var query = $"kind={file.Kind}&date={file.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        if (file.Version is { } version) query += $"&version={version.ToString(CultureInfo.InvariantCulture)}";
        using var request = new HttpRequestMessage(HttpMethod.Post,
            $"{RegistryClient.ApiPrefix}prediction-logs/{Uri.EscapeDataString(file.Model)}/files?{query}");
        request.Content = new ByteArrayContent(file.Parquet);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(PredictionLogKinds.MediaType);
        using var response = await registry.Http.SendAsync(request, ct);
        await RegistryClient.EnsureSuccessAsync(response, ct);
    }
}
