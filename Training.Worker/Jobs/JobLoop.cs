using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Bootstrap;

namespace MlOps.Training.Worker.Jobs;

/// <summary>
/// The worker: leases one job at a time (long-poll) and runs it. On shutdown it stops leasing; the running job
/// is released or finished by <see cref="JobRunner"/>.
/// </summary>
public sealed class JobLoop(
    RegistryClient registry,
    JobRunner runner,
    BootstrapSubmitter bootstrap,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    ILogger<JobLoop> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Training worker {Worker} started (lease {Lease} s, {Threads} LightGBM thread(s))",
            identity.Name, options.Value.LeaseSeconds, options.Value.Threads);
        // Beside the loop, not before it: a registry that is still starting must not hold up leasing.
        var seeding = bootstrap.RunAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            JobLease? lease;
            var requestedAt = DateTimeOffset.UtcNow;
            // A lease request in flight is not cut at shutdown: the registry may have leased a job to it already,
            // which would then sit unseen until its lease expired. It ends within the poll wait; a job it brings
            // back while stopping is released at once.
            using var leaseWait = new CancellationTokenSource();
            await using var onStop = stoppingToken.Register(() => leaseWait.CancelAfter(TimeSpan.FromSeconds(options.Value.PollSeconds + 2)));
            try
            {
                lease = await registry.LeaseJobAsync(new LeaseJobRequest(identity.Name, options.Value.LeaseSeconds, options.Value.PollSeconds), leaseWait.Token);
                backoff = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning("Leasing failed ({Error}); retrying in {Delay}", e.Message, backoff);
                await Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                continue;
            }
            if (lease is not null && stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(lease);
                break;
            }
            if (lease is null)
            {
                // The registry answered at once (PollSeconds 0): do not spin.
                if (options.Value.PollSeconds == 0) await Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                continue;
            }
            await runner.RunAsync(lease, stoppingToken, requestedAt);
        }
        await seeding;
        logger.LogInformation("Training worker {Worker} stopped leasing", identity.Name);
    }

    private async Task ReleaseAsync(JobLease lease)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await registry.ReleaseJobAsync(lease.JobId, new ReleaseJobRequest(identity.Name), timeout.Token);
            logger.LogInformation("Released job {JobId}, leased while shutting down", lease.JobId);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release job {JobId}; its lease will expire", lease.JobId);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the loop condition ends it.
        }
    }
}
