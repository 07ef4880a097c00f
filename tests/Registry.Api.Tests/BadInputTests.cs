using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MlOps.Registry.Api.Tests;

/// <summary>Hostile or broken requests: every answer is a 4xx with problem details, never a 5xx.</summary>
public sealed class BadInputTests(BadInputTests.SmallLimitsRegistry registry) : IClassFixture<BadInputTests.SmallLimitsRegistry>
{
    /// <summary>Small limits so that "oversized" needs few bytes. No test here creates anything.</summary>
    public sealed class SmallLimitsRegistry : RegistryApiFactory
    {
        public SmallLimitsRegistry()
        {
            WithSetting("Limits:JsonBytes", "4096");
            WithSetting("Limits:DatasetBytes", "65536");
            WithSetting("Limits:ArtifactBytes", "65536");
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected.Contains(response.StatusCode), $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal((int)response.StatusCode, doc.RootElement.GetProperty("status").GetInt32());
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("not json at all")]
    [InlineData("{\"name\": 42}")]
    [InlineData("[]")]
    public async Task Malformed_json_is_400(string json)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        await AssertProblemAsync(await http.PostAsync("api/v1/experiments", JsonBody(json)), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await http.PostAsync("api/v1/jobs", JsonBody(json)), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"pageSize\": ")]
    [InlineData("{\"pageSize\": \"ten\"}")]
    [InlineData("{\"filters\": {}}")]
    [InlineData("{\"filters\": [null]}")]
    [InlineData("{\"experiments\": [null]}")]
    public async Task Malformed_search_is_400(string json)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        await AssertProblemAsync(await http.PostAsync("api/v1/runs/search", JsonBody(json)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Missing_body_and_wrong_content_type_are_4xx()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        await AssertProblemAsync(await http.PostAsync("api/v1/experiments", new StringContent("", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await http.PostAsync("api/v1/experiments", new StringContent("name=x", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, HttpStatusCode.BadRequest);
        await AssertProblemAsync(await http.PostAsync("api/v1/models/m/versions", JsonBody("{}")), HttpStatusCode.UnsupportedMediaType, HttpStatusCode.BadRequest);
        var noBoundary = new StringContent("x", Encoding.UTF8);
        noBoundary.Headers.ContentType = new MediaTypeHeaderValue("multipart/form-data");
        await AssertProblemAsync(await http.PostAsync("api/v1/models/m/versions", noBoundary), HttpStatusCode.BadRequest);
        var wrongOrder = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "artifact", "a.zip" } };
        await AssertProblemAsync(await http.PostAsync("api/v1/models/m/versions", wrongOrder), HttpStatusCode.BadRequest);
        var badMetadata = new MultipartFormDataContent { { JsonBody("{\"sha256\": "), "metadata" }, { new ByteArrayContent([1]), "artifact", "a.zip" } };
        await AssertProblemAsync(await http.PostAsync("api/v1/models/m/versions", badMetadata), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("a%2Fb")]
    [InlineData("%2E%2E")]
    [InlineData("caf%C3%A9")]          // é
    [InlineData("p%D0%B0ypal")]        // Cyrillic а
    [InlineData("a%E2%80%AEb")]        // right-to-left override
    [InlineData("a%0Ab")]
    [InlineData("with%20space")]
    public async Task Odd_names_in_paths_are_rejected(string encodedName)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        using var csv = new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv");
        var put = await http.PutAsync($"api/v1/datasets/{encodedName}", csv);
        Assert.InRange((int)put.StatusCode, 400, 499);
        var get = await http.GetAsync($"api/v1/models/{encodedName}/versions/1");
        Assert.InRange((int)get.StatusCode, 400, 499);
        var alias = await http.GetAsync($"api/v1/models/m/aliases/{encodedName}");
        Assert.InRange((int)alias.StatusCode, 400, 499);
        using var list = await http.GetAsync("api/v1/datasets");
        Assert.Equal("[]", await list.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("\u0430pple")]
    [InlineData("a/../b")]
    [InlineData("")]
    [InlineData("x\u200by")]
    [InlineData("this-name-is-way-too-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public async Task Odd_names_in_bodies_are_400(string name)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        var json = JsonSerializer.Serialize(new { name });
        await AssertProblemAsync(await http.PostAsync("api/v1/experiments", JsonBody(json)), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await http.PostAsync("api/v1/models", JsonBody(json)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Oversized_bodies_are_413()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        var bigJson = JsonSerializer.Serialize(new { name = "x", description = new string('d', 10_000) });
        await AssertProblemAsync(await http.PostAsync("api/v1/experiments", JsonBody(bigJson)), HttpStatusCode.RequestEntityTooLarge);

        // Chunked (no Content-Length): cut off while streaming, nothing kept.
        var bigCsv = "a,b\n" + string.Concat(Enumerable.Repeat("1,2\n", 40_000));
        var chunked = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(bigCsv)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        await AssertProblemAsync(await http.PutAsync("api/v1/datasets/too-big", chunked), HttpStatusCode.RequestEntityTooLarge);
        var sized = new ByteArrayContent(Encoding.UTF8.GetBytes(bigCsv));
        await AssertProblemAsync(await http.PutAsync("api/v1/datasets/too-big", sized), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/v1/datasets/too-big")).StatusCode);

        var client = registry.CreateRegistryClient(RegistryRole.Trainer);
        var bytes = ModelArtifacts.Bytes(100_000, seed: 30);
        var e = await Assert.ThrowsAsync<MlOps.Registry.Client.Problems.RegistryApiException>(() =>
            client.RegisterModelVersionAsync("too-big", ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes)), new NonSeekableStream(bytes)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, e.StatusCode);
        Assert.Null(await client.GetModelAsync("too-big"));
    }

    [Fact]
    public async Task Missing_or_wrong_keys_are_401_and_weak_roles_403()
    {
        using var anonymous = registry.CreateHttpClient(RegistryRole.Anonymous);
        await AssertProblemAsync(await anonymous.GetAsync("api/v1/experiments"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await anonymous.PostAsync("api/v1/experiments", JsonBody("{\"name\":\"x\"}")), HttpStatusCode.Unauthorized);

        using var wrong = registry.CreateHttpClient(RegistryRole.Anonymous);
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key");
        await AssertProblemAsync(await wrong.GetAsync("api/v1/experiments"), HttpStatusCode.Unauthorized);
        using var basic = registry.CreateHttpClient(RegistryRole.Anonymous);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWRtaW46YWRtaW4=");
        await AssertProblemAsync(await basic.GetAsync("api/v1/jobs"), HttpStatusCode.Unauthorized);

        using var reader = registry.CreateHttpClient(RegistryRole.Reader);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("api/v1/experiments")).StatusCode);
        await AssertProblemAsync(await reader.PostAsync("api/v1/experiments", JsonBody("{\"name\":\"x\"}")), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await reader.PostAsync("api/v1/jobs/lease", JsonBody("{\"worker\":\"w\"}")), HttpStatusCode.Forbidden);

        using var trainer = registry.CreateHttpClient(RegistryRole.Trainer);
        await AssertProblemAsync(await trainer.PutAsync("api/v1/models/m/aliases/production", JsonBody("{\"version\":1}")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Anonymous_reads_when_enabled_but_never_anonymous_writes()
    {
        await using var open = new RegistryApiFactory().WithSetting("Auth:AnonymousReads", "true");
        using var anonymous = open.CreateHttpClient(RegistryRole.Anonymous);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("api/v1/experiments")).StatusCode);
        await AssertProblemAsync(await anonymous.PostAsync("api/v1/experiments", JsonBody("{\"name\":\"x\"}")), HttpStatusCode.Unauthorized);
        using var csv = new StringContent("a\n1\n", Encoding.UTF8, "text/csv");
        await AssertProblemAsync(await anonymous.PutAsync("api/v1/datasets/d", csv), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_4xx()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/v1/nothing-here")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/v1/runs/not-a-guid")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.DeleteAsync("api/v1/experiments")).StatusCode);
    }

    /// <summary>Forces chunked transfer: HttpClient cannot learn the length of a non-seekable stream.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
