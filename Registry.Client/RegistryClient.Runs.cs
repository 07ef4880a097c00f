using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    public Task<Run> CreateRunAsync(CreateRunRequest request, CancellationToken ct = default) =>
        SendAsync<Run>(HttpMethod.Post, "runs", request, ct);

    public Task<Run> GetRunAsync(Guid id, CancellationToken ct = default) =>
        SendAsync<Run>(HttpMethod.Get, $"runs/{id}", null, ct);

    public Task<Run> UpdateRunAsync(Guid id, UpdateRunRequest request, CancellationToken ct = default) =>
        SendAsync<Run>(HttpMethod.Patch, $"runs/{id}", request, ct);

    public Task<Run> LogParamsAsync(Guid id, IReadOnlyDictionary<string, string> parameters, CancellationToken ct = default) =>
        SendAsync<Run>(HttpMethod.Post, $"runs/{id}/params", new LogParamsRequest(parameters), ct);

    public Task<LogMetricsResponse> LogMetricsAsync(Guid id, IReadOnlyList<MetricPoint> metrics, CancellationToken ct = default) =>
        SendAsync<LogMetricsResponse>(HttpMethod.Post, $"runs/{id}/metrics", new LogMetricsRequest(metrics), ct);

    /// <summary>Every point of one metric, ordered by step then timestamp.</summary>
    public Task<IReadOnlyList<MetricPoint>> GetMetricHistoryAsync(Guid id, string key, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<MetricPoint>>(HttpMethod.Get, $"runs/{id}/metrics/{Seg(key)}", null, ct);

    /// <summary>
    /// A part of one metric's history: a page (<see cref="MetricHistoryQuery.AfterStep"/> +
    /// <see cref="MetricHistoryQuery.Limit"/>; the next page starts after the last point's step) or an evenly thinned
    /// series of at most <see cref="MetricHistoryQuery.MaxPoints"/> points for a chart.
    /// </summary>
    public Task<IReadOnlyList<MetricPoint>> GetMetricHistoryAsync(Guid id, string key, MetricHistoryQuery query, CancellationToken ct = default)
    {
        var q = string.Join('&', new[]
        {
            query.AfterStep is { } a ? $"afterStep={a}" : null,
            query.Limit is { } l ? $"limit={l}" : null,
            query.MaxPoints is { } m ? $"maxPoints={m}" : null,
        }.Where(x => x is not null));
        return SendAsync<IReadOnlyList<MetricPoint>>(HttpMethod.Get, $"runs/{id}/metrics/{Seg(key)}" + (q.Length > 0 ? "?" + q : ""), null, ct);
    }

    public Task<RunPage> SearchRunsAsync(SearchRunsRequest request, CancellationToken ct = default) =>
        SendAsync<RunPage>(HttpMethod.Post, "runs/search", request, ct);
}
