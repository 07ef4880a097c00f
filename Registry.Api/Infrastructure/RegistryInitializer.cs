using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Storage;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>Applies EF migrations and creates the bucket before the server listens (EF takes a migration lock, so replicas may race).</summary>
public sealed class RegistryInitializer(IServiceProvider services, IArtifactStore store, ILogger<RegistryInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        await CreateHistoryTableAsync(db, ct);
        await db.Database.MigrateAsync(ct);
        await store.EnsureBucketAsync(ct);
        logger.LogInformation("Registry database migrated and bucket ready");
    }

    /// <summary>
    /// Npgsql's EF provider does not check whether the history table exists: on an empty database its first
    /// SELECT fails, is caught, and EF logs that as an error (npgsql/efcore.pg#3407). Creating the table first
    /// (IF NOT EXISTS, under an advisory lock so that replicas starting together do not race on the catalog)
    /// makes a clean start log no error, while a real database error in a migration still does.
    /// </summary>
    private static async Task CreateHistoryTableAsync(RegistryDbContext db, CancellationToken ct)
    {
        var script = db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7245001)", ct);
        await db.Database.ExecuteSqlRawAsync(script, ct);
        await tx.CommitAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
