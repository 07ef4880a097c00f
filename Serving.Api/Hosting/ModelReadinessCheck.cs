using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlOps.Serving.Api.Hosting;

/// <summary>
/// Readiness (<c>/health</c>): what each model serves, e.g. "ames-price v3 (production)". Until every configured model
/// (and canary) is loaded it reports Degraded, "no model loaded yet", which /health answers with 503 (not ready) and
/// the health-check service logs as a warning: waiting for the first model is not an error.
/// </summary>
public sealed class ModelReadinessCheck(ModelCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (catalog.Models.Count == 0) return Task.FromResult(HealthCheckResult.Unhealthy("No model is configured (Serving:Models)."));
        var serving = string.Join("; ", catalog.Models.Select(Describe));
        return Task.FromResult(catalog.AllLoaded
            ? HealthCheckResult.Healthy(serving)
            : HealthCheckResult.Degraded($"No model loaded yet: {serving}"));
    }

    public static string Describe(ServedModel model)
    {
        var primary = model.Primary is { } p ? $"{model.Name} v{p.Version} ({p.Alias})" : $"{model.Name} waiting for '{model.Options.Alias}'";
        if (model.Canary is not { } canary) return primary;
        var role = model.IsShadow ? "shadow" : $"canary {canary.Weight}%";
        return primary + (model.Secondary is { } s ? $", {role} v{s.Version} ({s.Alias})" : $", {role} waiting for '{canary.Alias}'");
    }
}
