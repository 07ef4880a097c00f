using System.Diagnostics.Metrics;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Live quality next to the training quality, per model version, read at scrape time: the alert rule
/// ServingLiveQualityDegraded (deploy/prometheus/alerts.yml) compares the two series. A hosted service only so
/// that the gauges, and the prediction log counters at zero for every model, exist from the start.
/// </summary>
public sealed class LiveQualityGauges : IHostedService
{
    private readonly ModelCatalog _catalog;
    private readonly LiveQuality _quality;

    public LiveQualityGauges(ServingTelemetry telemetry, ModelCatalog catalog, LiveQuality quality, PredictionLogTelemetry logTelemetry)
    {
        foreach (var model in catalog.Models) logTelemetry.Initialise(model.Name);
        _catalog = catalog;
        _quality = quality;
        telemetry.Meter.CreateObservableGauge("mlops.serving.live_quality", Live,
            description: "Quality over the last labelled predictions of a version (rmse, mae, accuracy, auc, log_loss).");
        telemetry.Meter.CreateObservableGauge("mlops.serving.live_quality.rows", Rows,
            description: "Labelled predictions in a version's live quality window.");
        telemetry.Meter.CreateObservableGauge("mlops.serving.training_quality", Training,
            description: "The served version's training (test split) metrics, for comparison with the live ones.");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Every served version's task metrics: NaN until its window has a labelled row (so the series exist from the
    /// start, and a comparison with NaN never fires an alert), then the window's figures.
    /// </summary>
    private IEnumerable<Measurement<double>> Live()
    {
        foreach (var (model, version, task, snapshot) in Versions())
        {
            foreach (var metric in QualityMetrics.For(task))
                yield return new(snapshot?.Metrics.GetValueOrDefault(metric, double.NaN) ?? double.NaN,
                    new("model", model), new("version", version), new("metric", metric));
        }
    }

    private IEnumerable<Measurement<long>> Rows() =>
        Versions().Select(v => new Measurement<long>(v.Snapshot?.Rows ?? 0, new("model", v.Model), new("version", v.Version)));

    /// <summary>Versions loaded here, and versions no longer loaded whose window still holds labelled rows.</summary>
    private IEnumerable<(string Model, int Version, string Task, LiveQualitySnapshot? Snapshot)> Versions()
    {
        var live = _quality.Snapshot().ToDictionary(s => (s.Model, s.Version));
        var seen = new HashSet<(string, int)>();
        foreach (var model in _catalog.Models)
        {
            foreach (var loaded in new[] { model.Primary, model.Secondary })
            {
                if (loaded is null || !seen.Add((model.Name, loaded.Version))) continue;
                yield return (model.Name, loaded.Version, loaded.Model.Manifest.Task, live.GetValueOrDefault((model.Name, loaded.Version)));
            }
        }
        foreach (var snapshot in live.Values)
            if (seen.Add((snapshot.Model, snapshot.Version))) yield return (snapshot.Model, snapshot.Version, snapshot.Task, snapshot);
    }

    private IEnumerable<Measurement<double>> Training()
    {
        foreach (var model in _catalog.Models)
        {
            foreach (var loaded in new[] { model.Primary, model.Secondary })
            {
                if (loaded is null) continue;
                var manifest = loaded.Model.Manifest;
                foreach (var metric in QualityMetrics.For(manifest.Task))
                {
                    if (manifest.Metrics.TryGetValue(metric, out var value))
                        yield return new(value, new("model", model.Name), new("version", loaded.Version), new("metric", metric));
                }
            }
        }
    }
}
