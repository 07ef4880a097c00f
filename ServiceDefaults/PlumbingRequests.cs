namespace MlOps.ServiceDefaults;

/// <summary>
/// Requests that are waiting, not work: the workers' lease long-poll and lease heartbeats, and serving's alias
/// long-poll (an alias GET with <c>waitSeconds</c>). Each worker and replica sends one every few seconds whether
/// anything happens or not, so traced they would bury the traces of real work; they are left out of tracing on
/// both sides (client and server). A lease that brings a job back is shown by the worker's own job trace.
/// </summary>
public static class PlumbingRequests
{
    public static bool IsPlumbing(string method, string path, string? query)
    {
        if (!path.StartsWith("/api/v1/", StringComparison.Ordinal)) return false;
        if (HttpMethodIs(method, "POST"))
            return path.Equals("/api/v1/jobs/lease", StringComparison.Ordinal)
                || (path.StartsWith("/api/v1/jobs/", StringComparison.Ordinal) && path.EndsWith("/heartbeat", StringComparison.Ordinal));
        return HttpMethodIs(method, "GET")
            && path.StartsWith("/api/v1/models/", StringComparison.Ordinal)
            && path.Contains("/aliases/", StringComparison.Ordinal)
            && query is not null && query.Contains("waitSeconds=", StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsPlumbing(HttpRequestMessage request) =>
        request.RequestUri is { IsAbsoluteUri: true } uri && IsPlumbing(request.Method.Method, uri.AbsolutePath, uri.Query);

    private static bool HttpMethodIs(string method, string expected) => string.Equals(method, expected, StringComparison.OrdinalIgnoreCase);
}
