using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Experiments;

namespace MlOps.Registry.Api.Tests;

/// <summary>AddRegistryClient as the worker and serving wire it: base address and key from configuration, over a real socket.</summary>
public sealed class ClientRegistrationTests : IAsyncLifetime
{
    private readonly RegistryApiFactory registry = new();
    private Uri baseAddress = null!;

    public async Task InitializeAsync() => baseAddress = await registry.StartKestrelAsync();

    public async Task DisposeAsync() => await registry.DisposeAsync();

    [Fact]
    public async Task Configured_client_reaches_the_registry_with_its_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RegistryClientServiceCollectionExtensions.BaseAddressKey] = baseAddress.ToString().TrimEnd('/'),
            [RegistryClientServiceCollectionExtensions.ApiKeyKey] = RegistryApiFactory.TrainerKey,
        }).Build();
        await using var services = new ServiceCollection().AddRegistryClient(configuration).Services.BuildServiceProvider();
        var client = services.GetRequiredService<RegistryClient>();

        Assert.Equal(baseAddress, client.Http.BaseAddress);
        var created = await client.CreateExperimentAsync(new CreateExperimentRequest("via-di"));
        Assert.Equal(created.Id, (await client.GetExperimentAsync("via-di"))!.Id);
    }

    [Fact]
    public async Task Long_polls_outlive_the_default_resilience_timeouts()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RegistryClientServiceCollectionExtensions.BaseAddressKey] = baseAddress.ToString(),
            [RegistryClientServiceCollectionExtensions.ApiKeyKey] = RegistryApiFactory.ReaderKey,
        }).Build();
        var services = new ServiceCollection();
        // What ServiceDefaults does for every HttpClient: a 10 s attempt timeout that would cut a long-poll.
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        services.AddRegistryClient(configuration);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<RegistryClient>();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await client.WaitForAliasAsync("no-model-yet", "production", null, TimeSpan.FromSeconds(12)));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(11.5), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task Prometheus_endpoint_exports_the_queue_gauge()
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        string text = "";
        // The gauge appears after the first collection of the background counter.
        for (var i = 0; i < 50 && !text.Contains("mlops_registry_jobs_queued"); i++)
        {
            text = await http.GetStringAsync("metrics");
            await Task.Delay(200);
        }
        Assert.Contains("mlops_registry_jobs_queued", text);
    }
}
