using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Auth;
using MlOps.Registry.Client.Problems;

namespace MlOps.Studio.Auth;

/// <summary>Who is signed in for this request: asked of the registry once per request, shared by layout and page.</summary>
public sealed class StudioSession(IHttpContextAccessor accessor, KeyCookie cookie, RegistryClient registry)
{
    private Task<KeyInfo?>? current;

    /// <summary>Set when the registry could not be asked (down, unreachable): pages say so instead of asking for a key.</summary>
    public string? Unreachable { get; private set; }

    public bool HasKey => accessor.HttpContext is { } c && cookie.Read(c) is not null;

    /// <summary>The key's role, or null when no key is set or the registry does not know it.</summary>
    public Task<KeyInfo?> GetAsync(CancellationToken ct = default) => current ??= LoadAsync(ct);

    private async Task<KeyInfo?> LoadAsync(CancellationToken ct)
    {
        if (!HasKey)
        {
            return null;
        }
        try
        {
            return await registry.WhoAmIAsync(ct);
        }
        catch (RegistryApiException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or RegistryApiException)
        {
            Unreachable = $"The registry cannot be reached or failed ({e.Message}).";
            return null;
        }
    }

    /// <summary>What each role may do, for the header and the pages' hints.</summary>
    public static string Describe(KeyInfo key) => key switch
    {
        { CanAdmin: true } => "browse, submit jobs, promote and roll back",
        { CanTrain: true } => "browse and submit jobs (promoting needs an admin key)",
        _ => "browse only (submitting needs a trainer key, promoting an admin key)",
    };
}
