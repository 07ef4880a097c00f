using MlOps.Registry.Api.Storage;

namespace MlOps.Registry.Api.PredictionLogs;

/// <summary>
/// A Parquet reader seeks (the footer is at the end) and reads page headers synchronously, so a file is read from a
/// temporary local copy, deleted on dispose, rather than from S3 or held in memory.
/// </summary>
public static class LocalCopy
{
    public static FileStream CreateTemp() => new(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920,
        FileOptions.Asynchronous | FileOptions.DeleteOnClose);

    /// <summary>Downloads the object at <paramref name="key"/> to a temporary file, positioned at its start.</summary>
    public static async Task<FileStream> DownloadAsync(IArtifactStore store, string key, long bytes, CancellationToken ct)
    {
        var file = CreateTemp();
        try
        {
            if (bytes > 0)
            {
                await using var source = await store.OpenKeyRangeAsync(key, 0, bytes - 1, ct);
                await source.CopyToAsync(file, ct);
            }
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Copies an upload, in the same single pass that hashes and stores it, to a local file to read afterwards.</summary>
public sealed class SpillObserver(Stream spill) : IUploadObserver
{
    // Local disk, written in the upload loop's pass; IUploadObserver is synchronous (the CSV profiler is too).
    public void Append(ReadOnlySpan<byte> chunk) => spill.Write(chunk);

    public void Complete()
    {
        spill.Flush();
        spill.Position = 0;
    }
}
