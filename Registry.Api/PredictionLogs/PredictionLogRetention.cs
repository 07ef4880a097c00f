using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Storage;

namespace MlOps.Registry.Api.PredictionLogs;

/// <summary>
/// Deletes prediction log files whose newest row is older than <c>Registry:PredictionLogs:RetentionDays</c>:
/// the object first, then its row, so a crash in between leaves a row whose object is gone (deleted again next
/// sweep: deleting a missing key is not an error), never an object nobody indexes.
/// </summary>
public sealed class PredictionLogRetention(IServiceScopeFactory scopes, IArtifactStore store, PredictionLogOptions options, ILogger<PredictionLogRetention> logger)
{
    private const int Batch = 500;

    /// <summary>Runs one sweep as of <paramref name="now"/>; returns how many files were deleted.</summary>
    public async Task<int> SweepAsync(DateTimeOffset now, CancellationToken ct)
    {
        var cutoff = now.AddDays(-options.RetentionDays);
        var deleted = 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        while (true)
        {
            var expired = await db.PredictionLogFiles.AsNoTracking().Where(f => f.MaxTs < cutoff)
                .OrderBy(f => f.Id).Take(Batch).Select(f => new { f.Id, f.Key }).ToListAsync(ct);
            foreach (var file in expired)
            {
                await store.DeleteKeyAsync(file.Key, ct);
                await db.PredictionLogFiles.Where(f => f.Id == file.Id).ExecuteDeleteAsync(ct);
            }
            deleted += expired.Count;
            if (expired.Count < Batch)
            {
                break;
            }
        }
        if (deleted > 0)
        {
            logger.LogInformation("Prediction log retention deleted {Count} file(s) older than {Cutoff:O}", deleted, cutoff);
        }
        return deleted;
    }
}

/// <summary>Runs <see cref="PredictionLogRetention"/> every <c>Registry:PredictionLogs:RetentionCheckMinutes</c>.</summary>
public sealed class PredictionLogRetentionService(PredictionLogRetention retention, PredictionLogOptions options, ILogger<PredictionLogRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, options.RetentionCheckMinutes)));
        do
        {
            try
            {
                await retention.SweepAsync(DateTimeOffset.UtcNow, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // PostgreSQL or S3 away: the next tick retries; the registry keeps serving.
                logger.LogWarning(e, "Prediction log retention sweep failed; retrying next time");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
