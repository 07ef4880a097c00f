using Microsoft.FluentUI.AspNetCore.Components;
using MlOps.Registry.Client;
using MlOps.Studio.Auth;
using MlOps.Studio.Serving;

namespace MlOps.Studio.Infrastructure;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        builder.Services.AddFluentUIComponents();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddDataProtection();
        builder.Services.AddSingleton<KeyCookie>();
        builder.Services.AddTransient<UserKeyHandler>();
        builder.Services.AddScoped<StudioSession>();

        // The registry sees the signed-in user's key, never a key of Studio's own: one client, per-request key.
        builder.Services.AddRegistryClient(builder.Configuration).AddHttpMessageHandler<UserKeyHandler>();
        builder.Services.AddSingleton(StudioLinks.From(builder.Configuration));
        builder.Services.AddServingStatus(builder.Configuration);
        return builder;
    }
}
