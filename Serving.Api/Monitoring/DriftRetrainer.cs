using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Drift-triggered retraining (Serving:Drift:Retrain, off by default): every CheckSeconds, a served version with a
/// feature at or over the PSI threshold gets one training job on the latest version of its training dataset. The
/// job registers the new version without moving any alias (promotion stays with a person or a gated job), and
/// its idempotency key <c>drift:{model}:v{version}</c> keeps replicas and restarts from queueing it twice.
/// </summary>
public sealed class DriftRetrainer(ModelCatalog catalog, RegistryClient registry, IOptions<ServingOptions> options, ILogger<DriftRetrainer> logger)
    : BackgroundService
{
    private readonly HashSet<(string Model, int Version)> _done = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retrain = options.Value.Drift.Retrain;
        if (!retrain.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, retrain.CheckSeconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await CheckAsync(stoppingToken); }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Drift retraining check failed; trying again next tick");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task CheckAsync(CancellationToken ct)
    {
        var drift = options.Value.Drift;
        foreach (var served in catalog.Models)
        {
            if (served.Primary is not { } model || _done.Contains((model.Name, model.Version))) continue;
            var drifted = model.Drift.Psi(drift.MinRows).Where(f => f.Psi >= drift.Threshold).Select(f => f.Feature).ToList();
            if (drifted.Count == 0) continue;
            var manifest = model.Model.Manifest;
            if (manifest.DatasetName is not { Length: > 0 } dataset)
            {
                logger.LogWarning("{Model} v{Version} drifted ({Features}) but its bundle names no dataset: no retraining", model.Name, model.Version, string.Join(", ", drifted));
                _done.Add((model.Name, model.Version));
                continue;
            }
            var spec = new TrainingJobSpec(
                Experiment: options.Value.Drift.Retrain.Experiment ?? $"{model.Name}-drift",
                Dataset: new DatasetRef(dataset),
                Task: manifest.Task,
                Label: manifest.Label,
                Features: manifest.Features.Select(f => f.Name).ToList(),
                PositiveClass: manifest.Task == TrainingTasks.Binary ? manifest.Classes?[1] : null,
                Register: new RegisterSpec(model.Name));
            var job = await registry.SubmitJobAsync(spec, $"drift:{model.Name}:v{model.Version}", ct);
            _done.Add((model.Name, model.Version));
            logger.LogWarning("{Model} v{Version} drifted ({Features}): queued retraining job {Job} on {Dataset}",
                model.Name, model.Version, string.Join(", ", drifted), job.Id, dataset);
        }
    }
}
