namespace MlOps.Registry.Client.Runs;

/// <summary>One metric observation. <see cref="Timestamp"/> null means "now" on the server.</summary>
public sealed record MetricPoint(string Key, double Value, long Step = 0, DateTimeOffset? Timestamp = null);

/// <summary>Body of <c>POST /api/v1/runs/{id}/metrics</c> (batch; at most 100k points per request).</summary>
public sealed record LogMetricsRequest(IReadOnlyList<MetricPoint> Metrics);

public sealed record LogMetricsResponse(int Count);

/// <summary>
/// Query of <c>GET /api/v1/runs/{id}/metrics/{key}</c>: points with step &gt; <see cref="AfterStep"/>; at most
/// <see cref="Limit"/> of them (1-100,000, plus the rest of the last step's points); or, instead of a limit, every k-th
/// point and the last so that at most <see cref="MaxPoints"/> (2-100,000) come back. All null: the whole history.
/// </summary>
public sealed record MetricHistoryQuery(long? AfterStep = null, int? Limit = null, int? MaxPoints = null);
