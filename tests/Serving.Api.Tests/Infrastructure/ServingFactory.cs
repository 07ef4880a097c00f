using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Tests.Infrastructure;

/// <summary>
/// Serving.Api through its real HTTP pipeline (in-memory TestServer) with explicit configuration keys, as the
/// AppHost or Kubernetes would set them. (Typed on a Serving.Api type: every web project here has a Program.)
/// </summary>
public sealed class ServingFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<ModelCatalog>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    public ServingClient CreateServingClient() => new(CreateClient());

    /// <summary>Waits until /health says every configured model is loaded.</summary>
    public async Task<ServingClient> StartReadyAsync(TimeSpan? timeout = null)
    {
        var client = CreateServingClient();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.Http.GetAsync("health");
            if (response.IsSuccessStatusCode) return client;
            await Task.Delay(100);
        }
        throw new TimeoutException("Serving.Api did not become ready: " + await client.Http.GetStringAsync("health"));
    }

    /// <summary>Configuration for models served from bundle files (offline serving).</summary>
    public static Dictionary<string, string?> FromFiles(params (string Name, string Path)[] models)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < models.Length; i++)
        {
            settings[$"Serving:Models:{i}:Name"] = models[i].Name;
            settings[$"Serving:Models:{i}:BundlePath"] = models[i].Path;
        }
        return settings;
    }
}
