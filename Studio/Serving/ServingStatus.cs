using System.Globalization;
using System.Net;
using MlOps.Registry.Client.Serving;
using MlOps.Studio.Infrastructure;

namespace MlOps.Studio.Serving;

/// <summary>One served model as the serving API reports it, with the drift PSI it exports per feature.</summary>
public sealed record ServedModelStatus(ServedModelInfo Info, IReadOnlyDictionary<string, double> DriftPsi);

/// <summary>One served version's live quality (NaN: no feedback yet) and training metrics, by metric name.</summary>
public sealed record LiveQualityStatus(int Version, long LabelledRows, IReadOnlyDictionary<string, double> Live, IReadOnlyDictionary<string, double> Training);

/// <summary>
/// Reads the serving API: <c>GET /v1/models/{name}</c> for every registered model (404: not served) and the
/// <c>mlops_serving_drift_psi</c> gauge from its Prometheus <c>/metrics</c>. Absent when no serving endpoint is configured.
/// </summary>
public sealed class ServingStatusReader(ServingClient serving)
{
    public async Task<IReadOnlyList<ServedModelStatus>> ReadAsync(IEnumerable<string> models, CancellationToken ct)
    {
        var drift = await ReadDriftAsync(ct);
        var served = new List<ServedModelStatus>();
        foreach (var name in models)
        {
            try
            {
                var info = await serving.GetModelInfoAsync(name, ct);
                served.Add(new ServedModelStatus(info, drift.GetValueOrDefault(name) ?? new Dictionary<string, double>()));
            }
            catch (ServingApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)
            {
                // Not served by this endpoint, or not loaded yet.
            }
        }
        return served;
    }

    /// <summary>
    /// Live quality of <paramref name="model"/>'s served versions next to their training metrics, from the
    /// <c>mlops_serving_live_quality</c>, <c>..._rows</c> and <c>mlops_serving_training_quality</c> gauges
    /// (docs/prediction-log.md). Empty when the endpoint serves no version of it.
    /// </summary>
    public async Task<IReadOnlyList<LiveQualityStatus>> ReadLiveQualityAsync(string model, CancellationToken ct)
    {
        using var response = await serving.Http.GetAsync("metrics", ct);
        if (!response.IsSuccessStatusCode) return [];
        var text = await response.Content.ReadAsStringAsync(ct);
        Dictionary<int, Dictionary<string, double>> ByVersion(string metric) =>
            PrometheusText.Samples(text, metric)
                .Where(s => s.Labels.GetValueOrDefault("model") == model && s.Labels.ContainsKey("metric")
                            && int.TryParse(s.Labels.GetValueOrDefault("version"), CultureInfo.InvariantCulture, out _))
                .GroupBy(s => int.Parse(s.Labels["version"], CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.ToDictionary(s => s.Labels["metric"], s => s.Value, StringComparer.Ordinal));
        var live = ByVersion("mlops_serving_live_quality");
        var training = ByVersion("mlops_serving_training_quality");
        var rows = PrometheusText.Samples(text, "mlops_serving_live_quality_rows")
            .Where(s => s.Labels.GetValueOrDefault("model") == model)
            .ToDictionary(s => int.Parse(s.Labels["version"], CultureInfo.InvariantCulture), s => (long)s.Value);
        return live.Keys.Union(training.Keys).Order()
            .Select(v => new LiveQualityStatus(v, rows.GetValueOrDefault(v),
                live.GetValueOrDefault(v) ?? new Dictionary<string, double>(), training.GetValueOrDefault(v) ?? new Dictionary<string, double>()))
            .ToList();
    }

    private async Task<Dictionary<string, Dictionary<string, double>>> ReadDriftAsync(CancellationToken ct)
    {
        using var response = await serving.Http.GetAsync("metrics", ct);
        return response.IsSuccessStatusCode
            ? PrometheusText.ReadGauge(await response.Content.ReadAsStringAsync(ct), "mlops_serving_drift_psi", "model", "feature")
            : [];
    }
}

/// <summary>Just enough of the Prometheus text format to read one labelled gauge.</summary>
public static class PrometheusText
{
    public static Dictionary<string, Dictionary<string, double>> ReadGauge(string text, string metric, string outerLabel, string innerLabel)
    {
        var result = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var (labels, value) in Samples(text, metric))
        {
            if (labels.TryGetValue(outerLabel, out var outer) && labels.TryGetValue(innerLabel, out var inner))
            {
                (result.TryGetValue(outer, out var m) ? m : result[outer] = new(StringComparer.Ordinal))[inner] = value;
            }
        }
        return result;
    }

    /// <summary>Every sample of <paramref name="metric"/> that has labels: its labels and value (NaN included).</summary>
    public static List<(Dictionary<string, string> Labels, double Value)> Samples(string text, string metric)
    {
        var samples = new List<(Dictionary<string, string>, double)>();
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal))
            {
                continue;
            }
            var close = line.LastIndexOf('}');
            if (close < 0)
            {
                continue;
            }
            var valueText = line[(close + 1)..].Trim().ToString().Split(' ')[0];
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples.Add((ParseLabels(line[(metric.Length + 1)..close].ToString()), value));
            }
        }
        return samples;
    }

    private static Dictionary<string, string> ParseLabels(string s)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < s.Length)
        {
            var eq = s.IndexOf('=', i);
            if (eq < 0 || eq + 1 >= s.Length || s[eq + 1] != '"')
            {
                break;
            }
            var name = s[i..eq].Trim().TrimStart(',').Trim();
            var sb = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < s.Length && s[j] != '"'; j++)
            {
                if (s[j] == '\\' && j + 1 < s.Length)
                {
                    j++;
                    sb.Append(s[j] == 'n' ? '\n' : s[j]);
                    continue;
                }
                sb.Append(s[j]);
            }
            labels[name] = sb.ToString();
            i = j + 1;
        }
        return labels;
    }
}

public static class ServingStatusExtensions
{
    /// <summary>Registers <see cref="ServingStatusReader"/> only when a serving endpoint is configured.</summary>
    public static IServiceCollection AddServingStatus(this IServiceCollection services, IConfiguration configuration)
    {
        var address = configuration[ServingStatusKeys.BaseAddress] is { Length: > 0 } explicitAddress ? explicitAddress
            : StudioLinks.Discovered(configuration, "serving-api") is not null ? "https+http://serving-api" : null;
        if (address is null)
        {
            return services;
        }
        services.AddHttpClient<ServingClient>(http =>
        {
            http.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
            http.Timeout = TimeSpan.FromSeconds(10);
        });
        services.AddScoped<ServingStatusReader>();
        return services;
    }
}
