using Microsoft.AspNetCore.Authentication;

namespace MlOps.Registry.Api.Auth;

public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var anonymousReads = configuration.GetValue("Auth:AnonymousReads", false);
        services.AddSingleton<ApiKeyStore>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireAssertion(ctx => anonymousReads || ctx.User.IsInRole(Roles.Reader)))
            .AddPolicy(Policies.Train, p => p.RequireRole(Roles.Trainer))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin));
        return services;
    }

    /// <summary>Who did it, for audit columns: the role plus a digest prefix of the key.</summary>
    public static string Actor(this HttpContext context) => context.User.Identity?.Name ?? "anonymous";
}
