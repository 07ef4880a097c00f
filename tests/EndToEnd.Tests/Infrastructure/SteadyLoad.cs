using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A steady stream of single-row predictions against every serving replica (one loop per replica), recording
/// when each answer came, from which replica, with which version, and every failure.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public SteadyLoad(IReadOnlyList<ServiceProcess> replicas, string model, JsonObject row, int loopsPerReplica = 2)
    {
        foreach (var replica in replicas)
        {
            for (var i = 0; i < loopsPerReplica; i++) _loops.Add(Task.Run(() => LoopAsync(replica, model, row)));
        }
    }

    public ConcurrentQueue<(DateTimeOffset At, string Replica, int Version)> Answers { get; } = new();

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>When <paramref name="replica"/> first answered with <paramref name="version"/> at or after <paramref name="since"/>.</summary>
    public DateTimeOffset? FirstAnswer(string replica, int version, DateTimeOffset since) =>
        Answers.Where(a => a.Replica == replica && a.Version == version && a.At >= since).Select(a => (DateTimeOffset?)a.At).Min();

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(ServiceProcess replica, string model, JsonObject row)
    {
        using var http = LiveSystem.Http(replica.BaseAddress);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var response = await ServingProbe.PredictAsync(http, model, [row]);
                Answers.Enqueue((DateTimeOffset.UtcNow, replica.Name, response.Version));
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                Failures.Enqueue($"{replica.Name} {DateTimeOffset.UtcNow:HH:mm:ss.fff}: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // ~100 requests/s per loop: steady, without starving the machine's two cores.
            await Task.Delay(10);
        }
    }
}
