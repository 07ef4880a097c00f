extern alias studio;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>Studio itself, built by its own Program.cs, on a real Kestrel port, pointed at a registry URL.</summary>
public sealed class StudioFactory(Uri registry) : WebApplicationFactory<studio::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Registry:BaseAddress", registry.ToString());
        builder.UseSetting("Studio:RegistryPublicUrl", registry.ToString());
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseEnvironment("Development");
    }

    public Uri StartOnKestrel()
    {
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }
}
