namespace MlOps.Registry.Client.Runs;

/// <summary>One metric observation. <see cref="Timestamp"/> null means "now" on the server.</summary>
public sealed record MetricPoint(string Key, double Value, long Step = 0, DateTimeOffset? Timestamp = null);

/// <summary>Body of <c>POST /api/v1/runs/{id}/metrics</c> (batch; at most 100k points per request).</summary>
public sealed record LogMetricsRequest(IReadOnlyList<MetricPoint> Metrics);

public sealed record LogMetricsResponse(int Count);
