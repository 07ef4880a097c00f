using System.Net;
using MlOps.Registry.Client.Experiments;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Api.Tests;

public sealed class ExperimentsTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Create_then_get_and_list()
    {
        var client = registry.CreateRegistryClient(RegistryRole.Trainer);
        var created = await client.CreateExperimentAsync(new CreateExperimentRequest("exp-a", "first", new Dictionary<string, string> { ["team"] = "risk" }));
        Assert.Equal("exp-a", created.Name);
        Assert.Equal("risk", created.Tags["team"]);

        var reader = registry.CreateRegistryClient(RegistryRole.Reader);
        var got = await reader.GetExperimentAsync("exp-a");
        Assert.Equal(created.Id, got!.Id);
        Assert.Contains(await reader.ListExperimentsAsync(), e => e.Id == created.Id);
        Assert.Null(await reader.GetExperimentAsync("exp-missing"));
    }

    [Fact]
    public async Task Duplicate_name_is_409_and_get_or_create_returns_the_existing_one()
    {
        var client = registry.CreateRegistryClient(RegistryRole.Trainer);
        var first = await client.CreateExperimentAsync(new CreateExperimentRequest("exp-dup"));
        var e = await Assert.ThrowsAsync<RegistryApiException>(() => client.CreateExperimentAsync(new CreateExperimentRequest("exp-dup")));
        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Equal(409, e.Problem!.Status);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.GetOrCreateExperimentAsync("exp-dup")));
        Assert.All(results, r => Assert.Equal(first.Id, r.Id));
    }
}
