using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>
/// Serving.Api on a real port serving <see cref="TrainedRegistry.Model"/> from the registry (production, with
/// staging in shadow), sampling every row for drift so a few hundred real requests give PSI figures.
/// </summary>
public sealed class ServingHost(Uri registry) : WebApplicationFactory<ModelCatalog>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Registry:BaseAddress", registry.ToString());
        builder.UseSetting("Registry:ApiKey", RegistryApiFactory.ReaderKey);
        builder.UseSetting("Serving:Models:0:Name", TrainedRegistry.Model);
        builder.UseSetting("Serving:Models:0:Alias", WellKnownAliases.Production);
        builder.UseSetting("Serving:Models:0:Canary:Alias", WellKnownAliases.Staging);
        builder.UseSetting("Serving:Models:0:Canary:Mode", CanaryModes.Shadow);
        builder.UseSetting("Serving:Drift:SampleEvery", "1");
        builder.UseSetting("Serving:Drift:MinRows", "50");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    /// <summary>Serves on Kestrel, waits until both versions are loaded, and sends <paramref name="rows"/> real dataset rows.</summary>
    public async Task<Uri> StartAndScoreAsync(string csvPath, int rows)
    {
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        var url = Kestrel.Address(Services);
        var client = new ServingClient(new HttpClient { BaseAddress = url });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await client.Http.GetAsync("health")).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Serving.Api did not load the model.");
            await Task.Delay(100);
        }
        var info = await client.GetModelInfoAsync(TrainedRegistry.Model);
        var lines = File.ReadLines(csvPath).Take(rows + 1).Select(l => l.Split(',').Select(v => v.Trim('"')).ToArray()).ToList();
        var header = lines[0];
        var batch = lines.Skip(1).Select(values => (IReadOnlyDictionary<string, object?>)info.InputSchema.ToDictionary(f => f.Name, f =>
        {
            var v = values[Array.IndexOf(header, f.Name)];
            return v is "" or "NA" ? null
                : f.Type == ColumnTypes.Numeric ? double.Parse(v, CultureInfo.InvariantCulture) : (object?)v;
        })).ToList();
        await client.PredictAsync(TrainedRegistry.Model, PredictRequest.Batch(batch));
        return url;
    }
}
