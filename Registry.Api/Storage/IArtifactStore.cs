namespace MlOps.Registry.Api.Storage;

/// <summary>A stored, content-addressed object.</summary>
public sealed record StoredObject(string Sha256, long SizeBytes);

/// <summary>Uploaded bytes under a temporary key, until published under their content address.</summary>
public abstract class StagedObject(StoredObject stored) : IAsyncDisposable
{
    public StoredObject Stored { get; } = stored;

    /// <summary>Copies the bytes to their content address (a no-op when identical bytes are already there).</summary>
    public abstract Task PublishAsync(CancellationToken ct);

    /// <summary>Copies the bytes to a named key (prediction log files, which are not content-addressed).</summary>
    public abstract Task PublishAsAsync(string key, CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Metadata of an object, for HEAD and ranged GETs.</summary>
public sealed record ObjectInfo(long SizeBytes);

/// <summary>
/// Content-addressed bytes in S3 (<c>sha256/ab/abcdef...</c>). Uploads stream through a bounded buffer while
/// hashing; identical bytes are stored once.
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to a temporary key. <paramref name="observer"/> sees every chunk and then the
    /// end (dataset profiling); if it throws, nothing is kept. When <paramref name="expectedSha256"/> is given and
    /// differs, nothing is kept and <see cref="HashMismatchException"/> is thrown. More than
    /// <paramref name="maxBytes"/> throws <see cref="PayloadTooLargeException"/>. The caller writes its rows, then
    /// <see cref="StagedObject.PublishAsync"/> (content address) and commits; disposing removes the temporary key,
    /// so a write refused after the upload (e.g. by the database) leaves no object behind.
    /// </summary>
    Task<StagedObject> StageAsync(Stream content, long maxBytes, string? expectedSha256, IUploadObserver? observer, CancellationToken ct);

    Task<ObjectInfo?> GetInfoAsync(string sha256, CancellationToken ct);

    /// <summary>Opens the object (or the inclusive byte range) for reading.</summary>
    Task<Stream> OpenReadAsync(string sha256, long? from, long? to, CancellationToken ct);

    /// <summary>Opens the inclusive byte range of the object at a named key (see <see cref="StagedObject.PublishAsAsync"/>).</summary>
    Task<Stream> OpenKeyRangeAsync(string key, long from, long to, CancellationToken ct);

    /// <summary>Deletes the object at a named key; deleting a missing key is not an error.</summary>
    Task DeleteKeyAsync(string key, CancellationToken ct);

    Task EnsureBucketAsync(CancellationToken ct);

    Task<bool> IsReadyAsync(CancellationToken ct);
}

/// <summary>Sees an upload's bytes in order, in the same single pass that hashes and stores them.</summary>
public interface IUploadObserver
{
    void Append(ReadOnlySpan<byte> chunk);

    /// <summary>Called after the last chunk, before the object gets its content address.</summary>
    void Complete();
}

public sealed class HashMismatchException(string expected, string actual)
    : Exception($"The content's sha256 is {actual}, not the expected {expected}.")
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}

public sealed class PayloadTooLargeException(long limit)
    : Exception($"The body is larger than the limit of {limit} bytes.")
{
    public long Limit { get; } = limit;
}
