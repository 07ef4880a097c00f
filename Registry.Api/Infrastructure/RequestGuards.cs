using MlOps.Registry.Client.Json;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// Refuses, before any endpoint runs, what no endpoint can store: query values with U+0000 (PostgreSQL text cannot
/// hold it; route values are checked by the name rules) and request bodies with a Content-Encoding, which the
/// registry does not decode (415 rather than parsing compressed bytes as if plain).
/// </summary>
public sealed class RequestTextMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var encoding = context.Request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadHttpRequestException(
                $"Content-Encoding '{encoding}' is not supported by the registry: send the body uncompressed.", StatusCodes.Status415UnsupportedMediaType);
        }
        foreach (var (key, values) in context.Request.Query)
        {
            if (StorableStringConverter.Unstorable(key) is { } keyReason)
            {
                throw new BadHttpRequestException($"A query parameter name {keyReason}.");
            }
            foreach (var value in values)
            {
                if (value is not null && StorableStringConverter.Unstorable(value) is { } reason)
                {
                    throw new BadHttpRequestException($"Query parameter '{key}' {reason}.");
                }
            }
        }
        return next(context);
    }
}
