using Microsoft.EntityFrameworkCore;
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
        await db.Database.MigrateAsync(ct);
        await store.EnsureBucketAsync(ct);
        logger.LogInformation("Registry database migrated and bucket ready");
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
