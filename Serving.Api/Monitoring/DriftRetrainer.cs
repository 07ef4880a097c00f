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
/// With <c>Serving:Drift:Retrain:LogWindowHours</c> &gt; 0 the job trains on what production saw instead: the
/// logged-and-labelled predictions of the last that many hours (dataset <c>{model}-log</c>, materialised by the
/// registry at submit); a window with no labelled rows yet falls back to the training dataset.
/// </summary>
public sealed class DriftRetrainer(
    ModelCatalog catalog, RegistryClient registry, IOptions<ServingOptions> options, IConfiguration configuration, ILogger<DriftRetrainer> logger)
    : BackgroundService
{
    /// <summary>Read here rather than on ServingOptions so the switch stays in this file (docs/serving-api.md, Drift).</summary>
    public const string LogWindowHoursKey = "Serving:Drift:Retrain:LogWindowHours";

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
            var key = $"drift:{model.Name}:v{model.Version}";
            var job = await SubmitOnLogWindowAsync(spec, model.Name, key, ct) ?? await registry.SubmitJobAsync(spec, key, ct);
            _done.Add((model.Name, model.Version));
            logger.LogWarning("{Model} v{Version} drifted ({Features}): queued retraining job {Job} on {Dataset} v{DatasetVersion}",
                model.Name, model.Version, string.Join(", ", drifted), job.Id, job.Spec.Dataset.Name, job.Spec.Dataset.Version?.ToString() ?? "latest");
        }
    }

    /// <summary>The job on the recent logged window, or null when that switch is off or the window has nothing labelled yet.</summary>
    private async Task<TrainingJob?> SubmitOnLogWindowAsync(TrainingJobSpec spec, string model, string key, CancellationToken ct)
    {
        var hours = configuration.GetValue<double?>(LogWindowHoursKey) ?? 0;
        if (hours <= 0) return null;
        var to = DateTimeOffset.UtcNow;
        var window = new PredictionLogWindow(model, to.AddHours(-hours), to);
        try
        {
            return await registry.SubmitJobAsync(spec with { Dataset = new DatasetRef(PredictionLog: window) }, key, ct);
        }
        catch (MlOps.Registry.Client.Problems.RegistryApiException e) when (e.StatusCode == System.Net.HttpStatusCode.UnprocessableEntity)
        {
            // Nothing logged, or no feedback yet: the training dataset is the best data there is.
            logger.LogWarning("{Model}: the last {Hours} h of logged predictions cannot be trained on ({Reason}); retraining on the training dataset",
                model, hours, e.Problem?.Detail ?? e.Message);
            return null;
        }
    }
}
