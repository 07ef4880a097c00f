using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Problems;

namespace MlOps.Training.Worker.Jobs;

/// <summary>
/// Heartbeats a leased job on a timer until disposed. A 409 means another worker now holds the job: the
/// <see cref="Lost"/> token fires so that this worker stops working on it. Other errors are retried at the next
/// beat (the lease has two more beats of slack).
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly RegistryClient _registry;
    private readonly Guid _jobId;
    private readonly string _worker;
    private readonly int _leaseSeconds;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _loop;

    public LeaseKeeper(RegistryClient registry, Guid jobId, string worker, WorkerOptions options, ILogger logger)
    {
        _registry = registry;
        _jobId = jobId;
        _worker = worker;
        _leaseSeconds = options.LeaseSeconds;
        _logger = logger;
        _loop = BeatLoopAsync(options.HeartbeatInterval);
    }

    /// <summary>Fires when the registry says this worker no longer holds the lease.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>The run this attempt logs to; reported with the next heartbeat.</summary>
    public Guid? RunId { get; private set; }

    /// <summary>Reports the run at once, so that a retry after a crash knows which run was abandoned.</summary>
    public async Task ReportRunAsync(Guid runId, CancellationToken ct)
    {
        RunId = runId;
        await BeatAsync(ct);
    }

    private async Task BeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await BeatAsync(_stop.Token);
                if (IsLost) return;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: the job is finished one way or another.
        }
    }

    private async Task BeatAsync(CancellationToken ct)
    {
        try
        {
            await _registry.HeartbeatJobAsync(_jobId, new HeartbeatRequest(_worker, _leaseSeconds, RunId), ct);
        }
        catch (RegistryApiException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            _logger.LogWarning("Lost the lease of job {JobId}: {Error}", _jobId, e.Message);
            await _lost.CancelAsync();
        }
        catch (Exception e) when (e is HttpRequestException or RegistryApiException)
        {
            _logger.LogWarning(e, "Heartbeat for job {JobId} failed; retrying at the next beat", _jobId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _lost.Dispose();
    }
}
