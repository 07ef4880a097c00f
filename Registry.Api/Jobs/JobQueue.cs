using System.Diagnostics.Metrics;
using MlOps.Registry.Client.Jobs;
using Npgsql;

namespace MlOps.Registry.Api.Jobs;

/// <summary>
/// The training-job queue in PostgreSQL. A lease is one statement: the oldest queued job, or a leased one whose
/// lease expired, is locked with <c>FOR UPDATE SKIP LOCKED</c> (so concurrent leasers never get the same row and never
/// wait on each other) and marked leased with attempts + 1. Expired leases that used the last attempt fail the job.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource dataSource)
{
    public const string MeterName = "MlOps.Registry";
    private TaskCompletionSource submitted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed record Leased(Guid Id, string SpecJson, int Attempt, DateTimeOffset LeaseExpiresAt, Guid? RunId);

    /// <summary>Completes when a job is queued on this replica (lease waits also poll, for other replicas).</summary>
    public Task Submitted => Volatile.Read(ref submitted).Task;

    public void NotifySubmitted() =>
        Interlocked.Exchange(ref submitted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task<Leased?> TryLeaseAsync(string worker, int leaseSeconds, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using (var expire = new NpgsqlCommand("""
            UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),
                   error = 'lease expired on the last of ' || max_attempts || ' attempts'
            WHERE status = 'leased' AND lease_expires_at < now() AND attempts >= max_attempts
            """, conn))
        {
            await expire.ExecuteNonQueryAsync(ct);
        }
        await using var lease = new NpgsqlCommand("""
            WITH next AS (
                SELECT id FROM jobs
                WHERE (status = 'queued' OR (status = 'leased' AND lease_expires_at < now())) AND attempts < max_attempts
                ORDER BY created_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            UPDATE jobs j SET status = 'leased', attempts = j.attempts + 1, lease_owner = @worker,
                   lease_expires_at = now() + make_interval(secs => @secs), updated_at = now()
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.spec_json::text, j.attempts, j.lease_expires_at, j.run_id
            """, conn);
        lease.Parameters.AddWithValue("worker", worker);
        lease.Parameters.AddWithValue("secs", (double)leaseSeconds);
        await using var reader = await lease.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new Leased(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2),
            reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetGuid(4));
    }

    public async Task<long> CountQueuedAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT count(*) FROM jobs WHERE status = '{JobStatuses.Queued}'");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}

/// <summary>Publishes <c>mlops.registry.jobs.queued</c>; the gauge reads a count refreshed in the background (callbacks must not block on I/O).</summary>
public sealed class JobQueueMetrics(JobQueue queue, IMeterFactory meters, ILogger<JobQueueMetrics> logger) : BackgroundService
{
    private long queued;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var meter = meters.Create(JobQueue.MeterName);
        meter.CreateObservableGauge("mlops.registry.jobs.queued", () => Interlocked.Read(ref queued), description: "Training jobs waiting for a worker");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        do
        {
            try
            {
                Interlocked.Exchange(ref queued, await queue.CountQueuedAsync(stoppingToken));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Could not count queued jobs");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
