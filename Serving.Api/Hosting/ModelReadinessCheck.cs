using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlOps.Serving.Api.Hosting;

/// <summary>Readiness (<c>/health</c>): unhealthy until every configured model (and canary) is loaded.</summary>
public sealed class ModelReadinessCheck(ModelCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (catalog.Models.Count == 0) return Task.FromResult(HealthCheckResult.Unhealthy("No model is configured (Serving:Models)."));
        var waiting = catalog.Models.Where(m => !m.IsLoaded).Select(m => m.Name).ToList();
        return Task.FromResult(waiting.Count == 0
            ? HealthCheckResult.Healthy($"{catalog.Models.Count} model(s) loaded.")
            : HealthCheckResult.Unhealthy($"Waiting for: {string.Join(", ", waiting)}."));
    }
}
