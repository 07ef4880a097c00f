using Microsoft.Extensions.Diagnostics.HealthChecks;
using MlOps.Registry.Api.Storage;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>/health is ready only when the bucket can be listed.</summary>
public sealed class S3ReadinessCheck(IArtifactStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await store.IsReadyAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("S3 bucket unreachable");
}
