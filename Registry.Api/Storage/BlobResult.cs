using MlOps.ServiceDefaults;
using Microsoft.Net.Http.Headers;

namespace MlOps.Registry.Api.Storage;

/// <summary>
/// Streams a stored object to the client: ETag = quoted sha256, HEAD without body, If-None-Match -> 304,
/// one byte range -> 206 (unsatisfiable -> 416). Bytes are copied from S3 as they arrive, never buffered whole.
/// </summary>
public sealed class BlobResult(string sha256, long size, string contentType, string? fileName) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var etag = new EntityTagHeaderValue($"\"{sha256}\"");
        response.Headers.ETag = etag.ToString();
        response.Headers.AcceptRanges = "bytes";
        response.Headers.CacheControl = "private, max-age=31536000, immutable";
        if (fileName is not null)
        {
            response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName }.ToString();
        }

        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long? from = null, to = null;
        if (RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var range)
            && range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) && range.Ranges.Count == 1)
        {
            var r = range.Ranges.First();
            if (r.From is null && r.To is { } suffix)
            {
                from = Math.Max(0, size - suffix);
                to = size - 1;
            }
            else
            {
                from = r.From;
                to = Math.Min(r.To ?? size - 1, size - 1);
            }
            if (from >= size || from > to || size == 0)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{size}";
                return;
            }
        }

        response.ContentType = contentType;
        if (from is { } f && to is { } t)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {f}-{t}/{size}";
            response.ContentLength = t - f + 1;
        }
        else
        {
            response.ContentLength = size;
        }
        if (HeadAsGet.IsHead(context) || response.ContentLength == 0)
        {
            return;
        }

        var store = context.RequestServices.GetRequiredService<IArtifactStore>();
        await using var body = await store.OpenReadAsync(sha256, from, to, context.RequestAborted);
        await body.CopyToAsync(response.Body, 81920, context.RequestAborted);
    }
}
