using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace MlOps.Registry.Api.Storage;

public sealed class S3ArtifactStore(IAmazonS3 s3, StorageOptions options, ILogger<S3ArtifactStore> logger) : IArtifactStore
{
    public static string KeyFor(string sha256) => $"sha256/{sha256[..2]}/{sha256}";

    public async Task<StagedObject> StageAsync(Stream content, long maxBytes, string? expectedSha256, IUploadObserver? observer, CancellationToken ct)
    {
        // The hash is known only at the end, so bytes go to a temporary key and are copied to their
        // content address afterwards; writing straight to the expected address could let a bad upload
        // overwrite good bytes that share the claimed hash.
        var tempKey = $"tmp/{Guid.NewGuid():N}";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(options.PartSizeBytes);
        long total = 0;
        string? uploadId = null;
        var parts = new List<PartETag>();
        try
        {
            while (true)
            {
                var filled = await FillAsync(content, buffer, options.PartSizeBytes, ct);
                total += filled;
                if (total > maxBytes)
                {
                    throw new PayloadTooLargeException(maxBytes);
                }
                sha.AppendData(buffer, 0, filled);
                observer?.Append(buffer.AsSpan(0, filled));
                var last = filled < options.PartSizeBytes;
                if (uploadId is null && last)
                {
                    // Small object: one PUT.
                    using var body = new MemoryStream(buffer, 0, filled, writable: false);
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = options.Bucket, Key = tempKey, InputStream = body, AutoCloseStream = false }, ct);
                    break;
                }
                uploadId ??= (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = tempKey }, ct)).UploadId;
                if (filled > 0 || parts.Count == 0)
                {
                    using var body = new MemoryStream(buffer, 0, filled, writable: false);
                    var part = await s3.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = options.Bucket, Key = tempKey, UploadId = uploadId, PartNumber = parts.Count + 1,
                        InputStream = body, PartSize = filled,
                    }, ct);
                    parts.Add(new PartETag(parts.Count + 1, part.ETag));
                }
                if (last)
                {
                    await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                    {
                        BucketName = options.Bucket, Key = tempKey, UploadId = uploadId, PartETags = parts,
                    }, ct);
                    uploadId = null;
                    break;
                }
            }
        }
        catch
        {
            await CleanUpAsync(tempKey, uploadId);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        var staged = new S3StagedObject(this, tempKey, new StoredObject(hash, total));
        try
        {
            observer?.Complete();
            if (expectedSha256 is not null && !string.Equals(expectedSha256, hash, StringComparison.OrdinalIgnoreCase))
            {
                throw new HashMismatchException(expectedSha256, hash);
            }
        }
        catch
        {
            await staged.DisposeAsync();
            throw;
        }
        return staged;
    }

    private sealed class S3StagedObject(S3ArtifactStore store, string tempKey, StoredObject stored) : StagedObject(stored)
    {
        public override Task PublishAsync(CancellationToken ct) => store.PublishAsync(tempKey, Stored.Sha256, ct);

        public override Task PublishAsAsync(string key, CancellationToken ct) => store.CopyAsync(tempKey, key, ct);

        public override async ValueTask DisposeAsync() => await store.CleanUpAsync(tempKey, null);
    }

    private async Task PublishAsync(string tempKey, string sha256, CancellationToken ct)
    {
        if (await GetInfoAsync(sha256, ct) is null)
        {
            await CopyAsync(tempKey, KeyFor(sha256), ct);
        }
    }

    private Task CopyAsync(string sourceKey, string destinationKey, CancellationToken ct) => s3.CopyObjectAsync(new CopyObjectRequest
    {
        SourceBucket = options.Bucket, SourceKey = sourceKey, DestinationBucket = options.Bucket, DestinationKey = destinationKey,
    }, ct);

    private static async Task<int> FillAsync(Stream content, byte[] buffer, int count, CancellationToken ct)
    {
        var filled = 0;
        while (filled < count)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, count - filled), ct);
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return filled;
    }

    private async Task CleanUpAsync(string tempKey, string? uploadId)
    {
        try
        {
            // Not the request's token: cleanup must run even when the client went away.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            if (uploadId is not null)
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = tempKey, UploadId = uploadId }, cts.Token);
            }
            else
            {
                await s3.DeleteObjectAsync(options.Bucket, tempKey, cts.Token);
            }
        }
        catch (Exception e) when (e is AmazonS3Exception or OperationCanceledException or HttpRequestException)
        {
            logger.LogWarning(e, "Could not remove temporary object {Key}", tempKey);
        }
    }

    public async Task<ObjectInfo?> GetInfoAsync(string sha256, CancellationToken ct)
    {
        try
        {
            var meta = await s3.GetObjectMetadataAsync(options.Bucket, KeyFor(sha256), ct);
            return new ObjectInfo(meta.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string sha256, long? from, long? to, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = options.Bucket, Key = KeyFor(sha256) };
        if (from is not null)
        {
            request.ByteRange = to is null ? new ByteRange($"bytes={from}-") : new ByteRange(from.Value, to.Value);
        }
        var response = await s3.GetObjectAsync(request, ct);
        return new ResponseOwningStream(response);
    }

    public async Task<Stream> OpenKeyRangeAsync(string key, long from, long to, CancellationToken ct)
    {
        var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = options.Bucket, Key = key, ByteRange = new ByteRange(from, to) }, ct);
        return new ResponseOwningStream(response);
    }

    public async Task DeleteKeyAsync(string key, CancellationToken ct) => await s3.DeleteObjectAsync(options.Bucket, key, ct);

    public async Task EnsureBucketAsync(CancellationToken ct)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = options.Bucket }, ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // Another replica (or an earlier start) created it.
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            // HEAD bucket, not a listing: cheaper on a full bucket, and s3rver answers a truncated ListObjectsV2
            // with InternalError, which kept a restarted registry unready.
            await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = options.Bucket }, ct);
            return true;
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Keeps the GetObject response alive while its body is read.</summary>
    private sealed class ResponseOwningStream(GetObjectResponse response) : Stream
    {
        private readonly Stream inner = response.ResponseStream;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
