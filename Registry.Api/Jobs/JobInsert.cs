using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;

namespace MlOps.Registry.Api.Jobs;

/// <summary>
/// Queues a job row. Submitters that race with the same idempotency key (two worker replicas bootstrapping the
/// sample job) are expected: <c>ON CONFLICT DO NOTHING</c> lets the first one win without a unique violation, which
/// PostgreSQL and EF would otherwise both log as an error although nothing went wrong.
/// </summary>
public static class JobInsert
{
    /// <summary>True when this row was inserted; false when a job with its idempotency key already exists.</summary>
    public static async Task<bool> TryInsertAsync(RegistryDbContext db, JobEntity job, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO jobs (id, spec_json, status, attempts, max_attempts, idempotency_key, created_at, updated_at)
            VALUES ({job.Id}, {job.SpecJson}::jsonb, {job.Status}, {job.Attempts}, {job.MaxAttempts}, {job.IdempotencyKey}, {job.CreatedAt}, {job.UpdatedAt})
            ON CONFLICT (idempotency_key) DO NOTHING
            """, ct) == 1;
}
