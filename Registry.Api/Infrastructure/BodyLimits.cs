using Microsoft.AspNetCore.Http.Features;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>Endpoint metadata: the largest request body this endpoint accepts (JSON endpoints get the default).</summary>
public sealed record BodyLimit(long Bytes);

public sealed class BodyLimitOptions
{
    public long JsonBytes { get; set; } = 1024 * 1024;
    /// <summary><c>Limits:MetricsBatchBytes</c>: a 100k-point batch is about 6 MB of JSON.</summary>
    public long MetricsBatchBytes { get; set; } = 32L * 1024 * 1024;
    /// <summary><c>Limits:DatasetBytes</c>.</summary>
    public long DatasetBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary><c>Limits:ArtifactBytes</c>.</summary>
    public long ArtifactBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}

/// <summary>
/// Enforces each endpoint's body limit the same way on Kestrel and on the in-memory test server: a declared
/// Content-Length over the limit is refused at once; a chunked body is cut off as soon as it passes the limit.
/// </summary>
public sealed class BodyLimitMiddleware(RequestDelegate next, BodyLimitOptions options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? options.JsonBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"The body is larger than the limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
        context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
        return next(context);
    }

    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => Count(await inner.ReadAsync(buffer, ct));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            read += n;
            if (read > limit)
            {
                throw new BadHttpRequestException($"The body is larger than the limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            }
            return n;
        }
    }
}
