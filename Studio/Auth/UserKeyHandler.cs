using System.Net.Http.Headers;

namespace MlOps.Studio.Auth;

/// <summary>Sends the signed-in user's key as the bearer token on every registry call of this request.</summary>
public sealed class UserKeyHandler(IHttpContextAccessor accessor, KeyCookie cookie) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext is { } context && cookie.Read(context) is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
