using System.Net;
using System.Text.Json;
using MlOps.Registry.Client.Models;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>/health says what serving is doing: waiting for its first model (not ready, with the reason), then which version it serves.</summary>
[Collection(ServingCollection.Name)]
public sealed class HealthTests(TrainedModels models) : IAsyncLifetime
{
    private readonly RegistryHarness _registry = new();

    public Task InitializeAsync() => _registry.InitializeAsync();

    public Task DisposeAsync() => _registry.DisposeAsync();

    [Fact]
    public async Task Health_reports_no_model_loaded_yet_as_degraded_then_the_loaded_version_and_alias()
    {
        await using var serving = new ServingFactory(_registry.ServingSettings("described"));
        var client = serving.CreateServingClient();

        var (status, overall, description) = await HealthAsync(client.Http);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Degraded"), (status, overall));
        Assert.Equal("No model loaded yet: described waiting for 'production'", description);

        var v1 = await _registry.RegisterAsync("described", models.Ames);
        await _registry.Admin.SetAliasAsync("described", WellKnownAliases.Production, v1.Version);
        await serving.StartReadyAsync(TimeSpan.FromSeconds(30));
        (status, overall, description) = await HealthAsync(client.Http);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (status, overall));
        Assert.Equal($"described v{v1.Version} (production)", description);

        var v2 = await _registry.RegisterAsync("described", models.AmesAlternative);
        await _registry.Admin.SetAliasAsync("described", WellKnownAliases.Production, v2.Version);
        for (var i = 0; i < 200 && description != $"described v{v2.Version} (production)"; i++)
        {
            await Task.Delay(50);
            (_, _, description) = await HealthAsync(client.Http);
        }
        Assert.Equal($"described v{v2.Version} (production)", description);
    }

    private static async Task<(HttpStatusCode Status, string Overall, string Description)> HealthAsync(HttpClient http)
    {
        using var response = await http.GetAsync("health");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var models = body.RootElement.GetProperty("checks").GetProperty("models");
        return (response.StatusCode, body.RootElement.GetProperty("status").GetString()!, models.GetProperty("description").GetString()!);
    }
}
