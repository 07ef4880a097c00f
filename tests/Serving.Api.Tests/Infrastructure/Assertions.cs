using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlOps.Registry.Client.Serving;

namespace MlOps.Serving.Api.Tests.Infrastructure;

public static partial class Assertions
{
    /// <summary>Same answer as the offline model, to 1e-5 (relative for large values).</summary>
    public static void SamePrediction(Prediction expected, Prediction actual)
    {
        Close(expected.Value, actual.Value);
        Assert.Equal(expected.Label, actual.Label);
        Close(expected.Probability, actual.Probability);
        if (expected.Probabilities is { } all)
        {
            Assert.NotNull(actual.Probabilities);
            foreach (var (label, p) in all) Close(p, actual.Probabilities![label]);
        }
    }

    public static void Close(double? expected, double? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        var tolerance = 1e-5 * Math.Max(1, Math.Abs(expected.Value));
        Assert.True(Math.Abs(expected.Value - actual!.Value) <= tolerance, $"expected {expected} got {actual}");
    }

    /// <summary>A 400 problem details body naming the column and row (when given).</summary>
    public static async Task<JsonElement> BadRequestAsync(HttpResponseMessage response, string? column, int? row)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString() ?? "";
        if (column is not null)
        {
            Assert.Equal(column, problem.GetProperty("column").GetString());
            Assert.Contains(column, detail);
        }
        if (row is not null) Assert.Equal(row, problem.GetProperty("row").GetInt32());
        return problem;
    }

    /// <summary>Value of one Prometheus sample whose labels include all of <paramref name="labels"/>; null when absent.</summary>
    public static double? Metric(string scrape, string name, params (string Key, string Value)[] labels)
    {
        foreach (var line in scrape.Split('\n'))
        {
            var m = SampleLine().Match(line);
            if (!m.Success || m.Groups[1].Value != name) continue;
            var labelText = m.Groups[2].Value;
            if (labels.All(l => labelText.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
                return double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string path, string json) =>
        http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostObjectAsync<T>(this HttpClient http, string path, T body) =>
        http.PostAsJsonAsync(path, body, Registry.Client.RegistryJson.Options);

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")]
    private static partial Regex SampleLine();
}
