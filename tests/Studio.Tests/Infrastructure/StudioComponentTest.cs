extern alias studio;
using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using studio::MlOps.Studio.Auth;
using studio::MlOps.Studio.Infrastructure;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>
/// bUnit context wired like Studio: the real <see cref="StudioSession"/> and registry client (on the seeded
/// registry, with the given role's key), the key supplied as Studio's sign-in step does for its request.
/// </summary>
public abstract class StudioComponentTest : BunitContext
{
    protected StudioComponentTest(SeededRegistry registry, RegistryRole role = RegistryRole.Reader, MlOps.Registry.Client.RegistryClient? client = null)
    {
        Seeded = registry;
        // Pages wait on real registry calls; on a busy two-core machine (training next door) that can exceed bUnit's 1 s.
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
        JSInterop.Mode = JSRuntimeMode.Loose;
        var http = new DefaultHttpContext();
        http.Items[KeyCookie.ItemKey] = RegistryApiFactory.KeyFor(role);
        Services.AddSingleton<IHttpContextAccessor>(new HttpContextAccessor { HttpContext = http });
        Services.AddDataProtection();
        Services.AddSingleton<KeyCookie>();
        Services.AddScoped<StudioSession>();
        Services.AddSingleton(client ?? registry.Client(role));
        Services.AddSingleton(new StudioLinks("http://registry.test/", null));
        Services.AddFluentUIComponents();
    }

    protected SeededRegistry Seeded { get; }
}
