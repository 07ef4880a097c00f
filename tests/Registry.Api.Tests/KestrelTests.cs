using System.Net;
using System.Net.Sockets;
using System.Text;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Experiments;

namespace MlOps.Registry.Api.Tests;

/// <summary>The registry on a real loopback socket: what other services and processes see.</summary>
public sealed class KestrelTests : IAsyncLifetime
{
    private readonly RegistryApiFactory registry = new();
    private Uri baseAddress = null!;

    public async Task InitializeAsync() => baseAddress = await registry.StartKestrelAsync();

    public async Task DisposeAsync() => await registry.DisposeAsync();

    [Fact]
    public async Task Typed_client_over_real_http_and_health_and_openapi()
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", RegistryApiFactory.TrainerKey);
        var client = new RegistryClient(http);
        var e = await client.CreateExperimentAsync(new CreateExperimentRequest("over-socket"));
        Assert.Equal(e.Id, (await client.GetExperimentAsync("over-socket"))!.Id);

        var fromFactory = registry.CreateRegistryClient(RegistryRole.Reader);
        Assert.Equal(e.Id, (await fromFactory.GetExperimentAsync("over-socket"))!.Id);

        using var anonymous = new HttpClient { BaseAddress = baseAddress };
        using var health = await anonymous.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("{\"status\":\"Healthy\"", await health.Content.ReadAsStringAsync());

        using var openApi = await anonymous.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        var doc = await openApi.Content.ReadAsStringAsync();
        foreach (var path in new[] { "/api/v1/experiments", "/api/v1/runs/search", "/api/v1/datasets/{name}", "/api/v1/models/{name}/versions",
                     "/api/v1/models/{name}/aliases/{alias}", "/api/v1/jobs/lease", "/api/v1/jobs/{id}/release" })
        {
            Assert.Contains($"\"{path}\"", doc);
        }
    }

    /// <summary>Raw requests a typed client would never send (NUL and control bytes in the path).</summary>
    [Theory]
    [InlineData("/api/v1/datasets/a%00b")]
    [InlineData("/api/v1/models/a%01b/versions/1")]
    [InlineData("/api/v1/models/%2e%2e%2f%2e%2e/versions/1")]
    public async Task Raw_hostile_paths_are_4xx(string path)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = $"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {RegistryApiFactory.AdminKey}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync();
        var code = int.Parse(statusLine!.Split(' ')[1]);
        Assert.InRange(code, 400, 499);
    }
}
