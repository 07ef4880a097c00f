using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MlOps.ServiceDefaults;

/// <summary>
/// HEAD is answered wherever GET is: the request runs as a GET with its body discarded (Kestrel sends no body for
/// HEAD anyway; the in-memory test server needs the discard). Runs before routing, so no route lists HEAD itself.
/// </summary>
public static class HeadAsGet
{
    private static readonly object Marker = new();

    public static IApplicationBuilder UseHeadAsGet(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.Method = HttpMethods.Get;
            context.Items[Marker] = Marker;
            context.Response.Body = Stream.Null;
        }
        return next(context);
    });

    /// <summary>True for a HEAD request (rewritten to GET by <see cref="UseHeadAsGet"/> or not).</summary>
    public static bool IsHead(HttpContext context) =>
        HttpMethods.IsHead(context.Request.Method) || context.Items.ContainsKey(Marker);
}
