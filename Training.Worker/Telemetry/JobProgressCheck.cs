using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlOps.Training.Worker.Telemetry;

/// <summary>/health's "training" entry: always healthy (a worker waiting for work is fine), described by <see cref="JobProgress"/>.</summary>
public sealed class JobProgressCheck(JobProgress progress) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy(progress.Describe()));
}
