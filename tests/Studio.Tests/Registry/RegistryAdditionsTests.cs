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
    public async Task Sorting_by_a_metric_tag_or_param_joins_once_pages_cover_every_run_and_missing_values_sort_last()
    {
        var admin = registry.Admin;
        const string exp = "sort-join";
        await admin.CreateExperimentAsync(new(exp));
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            var run = await admin.CreateRunAsync(new MlOps.Registry.Client.Runs.CreateRunRequest(exp, $"r{i}",
                Params: i == 3 ? null : new Dictionary<string, string> { ["p"] = $"v{i}" },
                Tags: i == 4 ? null : new Dictionary<string, string> { ["t"] = $"{(char)('a' + i)}" }));
            if (i != 5) await admin.LogMetricsAsync(run.Id, [new("m", i * 0.1), new("m", 9, Step: -1)]);
            ids.Add(run.Id);
        }
        foreach (var (kind, key, missing) in new[] { ("metric", "m", 5), ("param", "p", 3), ("tag", "t", 4) })
        {
            foreach (var descending in new[] { true, false })
            {
                var seen = new List<Guid>();
                string? token = null;
                do
                {
                    var page = await admin.SearchRunsAsync(new([exp], OrderBy: new(kind, key, descending), PageSize: 3, PageToken: token));
                    seen.AddRange(page.Runs.Select(r => r.Id));
                    token = page.NextPageToken;
                } while (token is not null);
                var expected = ids.Where((_, i) => i != missing).ToList();
                if (descending) expected.Reverse();
                expected.Add(ids[missing]);
                Assert.Equal(expected, seen);
            }
        }
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
