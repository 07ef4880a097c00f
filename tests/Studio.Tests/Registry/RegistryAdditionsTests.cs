using System.Net;
using System.Text.RegularExpressions;
using MlOps.Registry.Client.Problems;
using MlOps.Studio.Tests.Components;
using MlOps.Studio.Tests.Infrastructure;

namespace MlOps.Studio.Tests.Registry;

/// <summary>What Studio added to the registry: whoami, the JSON job submit, and the served API reference.</summary>
[Collection(SeededCollection.Name)]
public sealed class RegistryAdditionsTests(SeededRegistry registry)
{
    [Theory]
    [InlineData(RegistryRole.Reader, "reader", new[] { "reader" })]
    [InlineData(RegistryRole.Trainer, "trainer", new[] { "trainer", "reader" })]
    [InlineData(RegistryRole.Admin, "admin", new[] { "admin", "trainer", "reader" })]
    public async Task Whoami_names_the_role_and_every_role_it_holds(RegistryRole role, string expected, string[] roles)
    {
        var info = await registry.Client(role).WhoAmIAsync();
        Assert.Equal(expected, info.Role);
        Assert.Equal(roles, info.Roles);
        Assert.Equal(role == RegistryRole.Admin, info.CanAdmin);
        Assert.Equal(role != RegistryRole.Reader, info.CanTrain);
    }

    [Fact]
    public async Task Whoami_without_a_known_key_is_401()
    {
        var e = await Assert.ThrowsAsync<RegistryApiException>(() => registry.Client(RegistryRole.Anonymous).WhoAmIAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task A_json_spec_is_validated_by_the_registry()
    {
        var bad = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"experiment":"x","dataset":{"name":"bunit-data"},"task":"clustering","label":"y"}""")!;
        var e = await Assert.ThrowsAsync<RegistryApiException>(() => registry.Client(RegistryRole.Trainer).SubmitJobJsonAsync(bad));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Contains("task", e.Problem?.Detail ?? e.Message, StringComparison.OrdinalIgnoreCase);

        var good = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"experiment":"json-submit","dataset":{"name":"bunit-data","version":1},"task":"regression","label":"y"}""")!;
        var job = await registry.Client(RegistryRole.Trainer).SubmitJobJsonAsync(good, "json-submit-key");
        Assert.Equal("queued", job.Status);
        Assert.Equal(1, job.Spec.Dataset.Version);
        var refused = await Assert.ThrowsAsync<RegistryApiException>(() => registry.Client(RegistryRole.Reader).SubmitJobJsonAsync(good));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task The_api_reference_and_its_script_are_served_by_the_registry_itself()
    {
        var http = registry.Factory.CreateHttpClient(RegistryRole.Anonymous);
        var page = await http.GetStringAsync("scalar/v1");
        Assert.Contains("openapi/v1.json", page);
        var scripts = Regex.Matches(page, "<script[^>]+src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.False(s.StartsWith("http", StringComparison.OrdinalIgnoreCase), $"{s} is not served locally"));
        var sizes = new List<int>();
        foreach (var script in scripts)
        {
            var response = await http.GetAsync(new Uri(new Uri(http.BaseAddress!, "scalar/v1"), script));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            sizes.Add((await response.Content.ReadAsByteArrayAsync()).Length);
        }
        Assert.True(sizes.Max() > 100_000, "the bundled reference script itself, not a loader of a CDN copy");
    }
}
