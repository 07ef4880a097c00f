using MlOps.ServiceDefaults;

namespace MlOps.Serving.Api.Extensions;

/// <summary>
/// What every request goes through before routing: HEAD is answered wherever GET is, and a compressed body is
/// decompressed (gzip, br, deflate) before the predict path reads it, so Serving:Limits:MaxBodyBytes applies to the
/// decompressed bytes; any other Content-Encoding is a 415 instead of being parsed as if plain.
/// </summary>
public static class RequestPipeline
{
    public static IServiceCollection AddRequestPipeline(this IServiceCollection services) => services.AddRequestDecompression();

    public static WebApplication UseRequestPipeline(this WebApplication app)
    {
        app.UseHeadAsGet();
        app.UseRequestDecompression();
        app.Use((context, next) =>
        {
            // The decompression middleware removes the header of what it decoded: what is left, it cannot decode.
            var encoding = context.Request.Headers.ContentEncoding.ToString();
            if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                throw new BadHttpRequestException(
                    $"Content-Encoding '{encoding}' is not supported: send the body plain or as gzip, br or deflate.", StatusCodes.Status415UnsupportedMediaType);
            }
            return next(context);
        });
        // Explicit, so that routing sees the rewritten method.
        app.UseRouting();
        return app;
    }
}
