using System.Net;
using Microsoft.AspNetCore.Mvc;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Problems;

namespace MlOps.Studio.Auth;

/// <summary>Sign in (the key is checked with the registry, then kept in the protected cookie) and sign out.</summary>
public static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/session", SignInAsync);
        routes.MapPost("/session/signout", (HttpContext context) =>
        {
            KeyCookie.Delete(context);
            return TypedResults.LocalRedirect("~/login");
        });
        return routes;
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] string? key, [FromForm] string? returnUrl, HttpContext context, KeyCookie cookie, RegistryClient registry,
        ILogger<KeyCookie> logger, CancellationToken ct)
    {
        var target = LocalOr(returnUrl);
        if (string.IsNullOrWhiteSpace(key))
        {
            return TypedResults.LocalRedirect("~/login?error=empty&returnUrl=" + Uri.EscapeDataString(target));
        }
        context.Items[KeyCookie.ItemKey] = key.Trim();
        try
        {
            var info = await registry.WhoAmIAsync(ct);
            cookie.Write(context, key.Trim());
            // The role is logged, never the key.
            logger.LogInformation("Signed in with a {Role} key", info.Role);
            return TypedResults.LocalRedirect("~" + target);
        }
        catch (RegistryApiException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return TypedResults.LocalRedirect("~/login?error=refused&returnUrl=" + Uri.EscapeDataString(target));
        }
        catch (HttpRequestException)
        {
            return TypedResults.LocalRedirect("~/login?error=unreachable&returnUrl=" + Uri.EscapeDataString(target));
        }
    }

    /// <summary>Only a path on this site: an open redirect would let a link send a signed-in user anywhere.</summary>
    public static string LocalOr(string? returnUrl) =>
        returnUrl is { Length: > 0 } r && r.StartsWith('/') && !r.StartsWith("//") && !r.StartsWith("/\\") ? r : "/";
}
