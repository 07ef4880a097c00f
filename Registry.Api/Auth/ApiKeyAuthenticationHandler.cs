using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace MlOps.Registry.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against the keys of <c>Auth:Keys:{Admin,Trainer,Reader}</c>.
/// 401 and 403 answers are problem details, like every other error.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("Expected a Bearer API key."));
        }
        var key = header["Bearer ".Length..].Trim();
        if (keys.Find(key) is not { } found)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }
        var claims = new List<Claim> { new(ClaimTypes.Name, found.Actor) };
        claims.AddRange(Roles.Implied(found.Role).Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblemAsync("Missing or invalid API key", "Send a valid key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync("Forbidden", "This API key's role may not do this.");
    }

    private async Task WriteProblemAsync(string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = Response.StatusCode, Title = title, Detail = detail },
        });
}

/// <summary>The configured keys, kept as sha256 digests; an actor name for audit trails never contains the key.</summary>
public sealed class ApiKeyStore
{
    public sealed record Found(string Role, string Actor);

    private readonly Dictionary<string, Found> byDigest = new(StringComparer.Ordinal);

    public ApiKeyStore(IConfiguration configuration)
    {
        foreach (var (role, configKey) in new[] { (Roles.Admin, "Auth:Keys:Admin"), (Roles.Trainer, "Auth:Keys:Trainer"), (Roles.Reader, "Auth:Keys:Reader") })
        {
            foreach (var key in (configuration[configKey] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var digest = Digest(key);
                byDigest.TryAdd(digest, new Found(role, $"{role}:{digest[..8]}"));
            }
        }
    }

    public Found? Find(string key) => byDigest.GetValueOrDefault(Digest(key));

    private static string Digest(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
