namespace MlOps.Studio.Infrastructure;

/// <summary>
/// Browser-facing addresses of the APIs (their interactive references). Aspire injects
/// <c>services:{name}:{scheme}:0</c> for each reference; <c>Studio:RegistryPublicUrl</c> /
/// <c>Studio:ServingPublicUrl</c> override when the browser reaches them elsewhere (a proxy, an ingress).
/// </summary>
public sealed record StudioLinks(string? RegistryUrl, string? ServingUrl)
{
    public string? RegistryReference => RegistryUrl is null ? null : RegistryUrl.TrimEnd('/') + "/scalar";
    public string? ServingReference => ServingUrl is null ? null : ServingUrl.TrimEnd('/') + "/scalar";

    public static StudioLinks From(IConfiguration configuration) => new(
        configuration["Studio:RegistryPublicUrl"] ?? Discovered(configuration, "registry-api") ?? Absolute(configuration["Registry:BaseAddress"]),
        configuration["Studio:ServingPublicUrl"] ?? Discovered(configuration, "serving-api") ?? Absolute(configuration[ServingStatusKeys.BaseAddress]));

    internal static string? Discovered(IConfiguration configuration, string service) =>
        configuration[$"services:{service}:https:0"] is { Length: > 0 } https ? https
        : configuration[$"services:{service}:http:0"] is { Length: > 0 } http ? http : null;

    /// <summary>Only a plain http(s) URL is a link; a service-discovery name (https+http://...) is not.</summary>
    private static string? Absolute(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps) ? url : null;
}

public static class ServingStatusKeys
{
    public const string BaseAddress = "Studio:ServingBaseAddress";
}
