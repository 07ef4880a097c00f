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
}
