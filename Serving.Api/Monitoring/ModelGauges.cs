using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Observable gauges read at scrape time: the active version per (model, alias), and PSI per (model, feature)
/// of the primary version's drift window against its training baseline. Logs features over the threshold.
/// A hosted service only so that it is created, and its gauges registered, when the host starts.
/// </summary>
public sealed class ModelGauges : IHostedService
{
    private readonly ModelCatalog _catalog;
    /// <summary>One series per model and feature: its cardinality follows the input schemas (MetricStreamLimits).</summary>
    public const string DriftInstrument = "mlops.serving.drift.psi";

    private readonly DriftOptions _drift;
    private readonly ILogger<ModelGauges> _logger;
    private readonly HashSet<(string, int, string)> _reported = [];

    public ModelGauges(ServingTelemetry telemetry, ModelCatalog catalog, IOptions<ServingOptions> options, ILogger<ModelGauges> logger)
    {
        _catalog = catalog;
        _drift = options.Value.Drift;
        _logger = logger;
        telemetry.Meter.CreateObservableGauge("mlops.serving.active_version", ActiveVersions, description: "Model version served per alias.");
        telemetry.Meter.CreateObservableGauge(DriftInstrument, DriftScores, description: "PSI of recent input against the training baseline, per feature.");
        // Counters exist at zero for every configured model from the start, so rate()/increase(), the dashboard and
        // the alert rules see a series before the first failure or disagreement (there may never be one).
        foreach (var model in catalog.Models)
        {
            var tag = new KeyValuePair<string, object?>("model", model.Name);
            telemetry.LoadFailures.Add(0, tag);
            telemetry.ShadowDisagreements.Add(0, tag);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<int>> ActiveVersions()
    {
        foreach (var model in _catalog.Models)
        {
            if (model.Primary is { } primary)
                yield return new Measurement<int>(primary.Version, new("model", model.Name), new("alias", primary.Alias));
            if (model.Secondary is { } secondary)
                yield return new Measurement<int>(secondary.Version, new("model", model.Name), new("alias", secondary.Alias));
        }
    }

    public IEnumerable<Measurement<double>> DriftScores()
    {
        foreach (var model in _catalog.Models)
        {
            if (model.Primary is not { } primary) continue;
            foreach (var (feature, psi) in primary.Drift.Psi(_drift.MinRows))
            {
                if (psi >= _drift.Threshold) ReportOnce(primary, feature, psi);
                yield return new Measurement<double>(psi, new("model", model.Name), new("feature", feature));
            }
        }
    }

    private void ReportOnce(LoadedModel model, string feature, double psi)
    {
        lock (_reported)
        {
            if (!_reported.Add((model.Name, model.Version, feature))) return;
        }
        _logger.LogWarning("Drift: {Model} v{Version} feature {Feature} PSI {Psi:F3} >= {Threshold}", model.Name, model.Version, feature, psi, _drift.Threshold);
    }
}
