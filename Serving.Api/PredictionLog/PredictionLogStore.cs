using System.Runtime.InteropServices;
using MlOps.Registry.Client;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>One finished Parquet file and where it belongs (the registry's partitioning: model/kind/version/date).</summary>
public sealed record LogFileUpload(string Model, string Kind, int? Version, DateOnly Date, ReadOnlyMemory<byte> Parquet, int Rows);

/// <summary>
/// Where finished files go: <c>POST /api/v1/prediction-logs/{model}/files</c> with serving's registry key
/// (Registry:ApiKey, which must be a trainer key when logging or feedback is on). Serving never writes the
/// bucket itself: the registry owns it.
/// </summary>
public sealed class PredictionLogStore(RegistryClient registry)
{
    /// <summary>Stores the file; throws on any failure (the caller retries).</summary>
    public async Task StoreAsync(LogFileUpload file, CancellationToken ct)
    {
        if (!MemoryMarshal.TryGetArray(file.Parquet, out var bytes)) bytes = file.Parquet.ToArray();
        using var parquet = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        await registry.UploadPredictionLogFileAsync(file.Model, file.Kind, file.Version, file.Date, parquet, ct);
    }
}
