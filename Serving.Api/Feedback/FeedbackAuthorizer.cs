using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Auth;
using MlOps.Registry.Client.Problems;

namespace MlOps.Serving.Api.Feedback;

/// <summary>
/// Feedback needs a trainer (or admin) key of the registry. Serving holds no key list of its own: it asks the
/// registry what the caller's key is (<c>GET /api/v1/auth/whoami</c> with that key) and remembers the answer for
/// Serving:Feedback:AuthCacheSeconds, by the key's sha256 (the key itself is not kept).
/// </summary>
public sealed class FeedbackAuthorizer(RegistryClient registry, IOptions<FeedbackOptions> options, ILogger<FeedbackAuthorizer> log)
{
    private readonly ConcurrentDictionary<string, (KeyInfo? Info, DateTime Until)> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.Value.AuthCacheSeconds);

    /// <summary>Null when the caller may send feedback (with its audit name in <paramref name="source"/>), else the problem to answer.</summary>
    public async Task<ProblemHttpResult?> AuthorizeAsync(HttpRequest request, Action<string> source, CancellationToken ct)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= "Bearer ".Length)
            return Unauthorized();
        var key = header["Bearer ".Length..].Trim();
        var digest = Convert.ToHexStringLower(Hosting.Sha256.HashData(Encoding.UTF8.GetBytes(key)));
        KeyInfo? info;
        if (_cache.TryGetValue(digest, out var cached) && cached.Until > DateTime.UtcNow) info = cached.Info;
        else
        {
            try
            {
                info = await WhoAmIAsync(key, ct);
            }
            catch (Exception e) when (e is HttpRequestException or RegistryApiException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                log.LogWarning(e, "Feedback: the registry could not check an API key");
                return TypedResults.Problem("The registry, which checks API keys, is not reachable; nothing was stored. Retry later.",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cannot check the API key");
            }
            _cache[digest] = (info, DateTime.UtcNow + _ttl);
        }
        if (info is null) return Unauthorized();
        if (!info.CanTrain)
        {
            return TypedResults.Problem("Feedback needs a trainer (or admin) key of the registry; this key is " + info.Role + ".",
                statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }
        // The registry's audit form: role plus a digest prefix, never the key.
        source($"{info.Role}:{digest[..8]}");
        return null;
    }

    /// <summary>The key's role, or null when the registry does not know it.</summary>
    private async Task<KeyInfo?> WhoAmIAsync(string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, RegistryClient.ApiPrefix + "auth/whoami");
        // Overrides serving's own key (the client's default header) for this call only.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await registry.Http.SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) return null;
        await RegistryClient.EnsureSuccessAsync(response, ct);
        return await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<KeyInfo>(response.Content, RegistryJson.Options, ct);
    }

    private static ProblemHttpResult Unauthorized() =>
        TypedResults.Problem("Send a trainer key of the registry as 'Authorization: Bearer <key>'.",
            statusCode: StatusCodes.Status401Unauthorized, title: "Missing or invalid API key");
}
