using MlOps.Registry.Client.Auth;

namespace MlOps.Registry.Api.Auth;

/// <summary>Lets a UI show which actions a key allows without trying them.</summary>
public static class WhoAmIApi
{
    public static RouteHandlerBuilder MapWhoAmIApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/v1/auth/whoami", (HttpContext context) =>
        {
            var roles = new[] { Roles.Admin, Roles.Trainer, Roles.Reader }.Where(context.User.IsInRole).ToList();
            return TypedResults.Ok(new KeyInfo(roles.FirstOrDefault() ?? "anonymous", roles));
        }).WithTags("Auth").RequireAuthorization(Policies.Read);
}
