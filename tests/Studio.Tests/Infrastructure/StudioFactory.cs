extern alias studio;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>Studio itself, built by its own Program.cs, on a real Kestrel port, pointed at a registry URL (and a serving URL).</summary>
public sealed class StudioFactory(Uri registry, Uri? serving = null) : WebApplicationFactory<studio::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Registry:BaseAddress", registry.ToString());
        builder.UseSetting("Studio:RegistryPublicUrl", registry.ToString());
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        if (serving is not null)
        {
            builder.UseSetting("Studio:ServingBaseAddress", serving.ToString());
        }
        builder.UseEnvironment("Development");
    }

    public Uri StartOnKestrel()
    {
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        return Kestrel.Address(Services);
    }
}
