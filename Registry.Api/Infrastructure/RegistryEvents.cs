using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Jobs;
using MlOps.Registry.Api.Models;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>How often long-polls (alias watch, lease wait) re-read the database when no event woke them.</summary>
public sealed class LongPollOptions
{
    /// <summary><c>LongPoll:FallbackIntervalMs</c>: only matters when a PostgreSQL notification was missed.</summary>
    public int FallbackIntervalMs { get; set; } = 1000;

    public TimeSpan FallbackInterval => TimeSpan.FromMilliseconds(Math.Max(50, FallbackIntervalMs));
}

/// <summary>
/// Cross-replica wake-ups through PostgreSQL LISTEN/NOTIFY: an alias move or a queued job is announced inside its
/// transaction (delivered on commit) and every replica's listener wakes its local long-polls at once. Long-polls
/// still re-read the database every <see cref="LongPollOptions.FallbackInterval"/>, so a lost notification only delays.
/// </summary>
public sealed class RegistryEvents(NpgsqlDataSource dataSource, AliasSignal aliases, JobQueue jobs, ILogger<RegistryEvents> logger) : BackgroundService
{
    public const string Channel = "registry_events";
    private const string JobPayload = "job";
    private const string AliasPrefix = "alias\n";

    public static Task PublishAliasMovedAsync(RegistryDbContext db, string model, string alias, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {AliasPrefix + model + "\n" + alias})", ct);

    public static Task PublishJobQueuedAsync(RegistryDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {JobPayload})", ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => Dispatch(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Whatever happened while this listener was down is picked up by the waiters' next database read.
                jobs.NotifySubmitted();
                while (true)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Never let the listener stop the host: long-polls fall back to polling until it reconnects.
                logger.LogWarning(e, "Registry event listener lost its PostgreSQL connection; reconnecting");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Dispatch(string payload)
    {
        if (payload == JobPayload)
        {
            jobs.NotifySubmitted();
        }
        else if (payload.StartsWith(AliasPrefix, StringComparison.Ordinal) && payload[AliasPrefix.Length..].Split('\n') is [var model, var alias])
        {
            aliases.Notify(model, alias);
        }
    }
}
