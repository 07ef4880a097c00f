using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// The serving meter and activity source (names start with <c>MlOps.</c>, so ServiceDefaults exports them).
/// Instrument names are the ones in docs/conventions.md; dashboards depend on them.
/// </summary>
public sealed class ServingTelemetry : IDisposable
{
    public const string Name = "MlOps.Serving";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public ServingTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        Requests = _meter.CreateCounter<long>("mlops.serving.requests", description: "Prediction requests by model, version and outcome (ok/invalid/error).");
        Latency = _meter.CreateHistogram("mlops.serving.latency", "s", "Prediction request latency (parse, score, write).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        Rows = _meter.CreateHistogram<int>("mlops.serving.rows", description: "Rows per prediction request.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });
        LoadDuration = _meter.CreateHistogram<double>("mlops.serving.model_load.duration", "s", "Model download, verification, load and warm-up.");
        LoadFailures = _meter.CreateCounter<long>("mlops.serving.model_load.failures", description: "Model loads that failed (the previous version kept serving).");
        ShadowDisagreements = _meter.CreateCounter<long>("mlops.serving.shadow.disagreements", description: "Rows where the shadow version's prediction differed from the primary's.");
    }

    public Counter<long> Requests { get; }

    public Histogram<double> Latency { get; }

    public Histogram<int> Rows { get; }

    public Histogram<double> LoadDuration { get; }

    public Counter<long> LoadFailures { get; }

    public Counter<long> ShadowDisagreements { get; }

    /// <summary>Observable gauges read the catalog at collection time (active version, drift PSI).</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();
}
