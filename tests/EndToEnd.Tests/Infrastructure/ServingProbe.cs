using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Serving;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>Calls a serving replica's predict endpoint with raw JSON rows and reads the typed answer.</summary>
public static class ServingProbe
{
    public static async Task<PredictResponse> PredictAsync(HttpClient http, string model, IReadOnlyList<JsonObject> rows, CancellationToken ct = default)
    {
        var body = rows.Count == 1
            ? new JsonObject { ["features"] = rows[0].DeepClone() }
            : new JsonObject { ["instances"] = new JsonArray(rows.Select(r => (JsonNode)r.DeepClone()).ToArray()) };
        using var response = await http.PostAsync($"v1/models/{model}/predict", JsonContent.Create(body), ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"predict answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}", null, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PredictResponse>(RegistryJson.Options, ct))!;
    }

    public static async Task<ServedModelInfo?> InfoAsync(HttpClient http, string model, CancellationToken ct = default)
    {
        using var response = await http.GetAsync($"v1/models/{model}", ct);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ServedModelInfo>(RegistryJson.Options, ct) : null;
    }

    /// <summary>Waits until the replica serves <paramref name="version"/> as its primary.</summary>
    public static async Task WaitForVersionAsync(HttpClient http, string model, int version, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await InfoAsync(http, model))?.Primary.Version == version) return;
            }
            catch (HttpRequestException)
            {
                // Starting up.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{http.BaseAddress} did not serve {model} v{version} within {timeout}");
    }

    /// <summary>Value of every sample of a Prometheus metric, keyed by its label text.</summary>
    public static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient http, string metric)
    {
        var text = await http.GetStringAsync("metrics");
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length) continue;
            var next = line[metric.Length];
            if (next != '{' && next != ' ') continue;
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return samples;
    }
}
