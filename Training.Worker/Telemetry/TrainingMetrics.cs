using System.Diagnostics.Metrics;

namespace MlOps.Training.Worker.Telemetry;

/// <summary>The worker's instruments (docs/conventions.md, meter <c>MlOps.Training</c>).</summary>
public sealed class TrainingMetrics
{
    public const string MeterName = "MlOps.Training";

    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _promotions;

    public TrainingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _jobs = meter.CreateCounter<long>("mlops.training.jobs", description: "Training jobs handled, by outcome (completed/failed/released).");
        _duration = meter.CreateHistogram<double>("mlops.training.duration", unit: "s", description: "Model training time (data preparation to bundle).");
        _promotions = meter.CreateCounter<long>("mlops.training.promotions", description: "Promotion gate decisions.");
    }

    public void Job(string task, string outcome) =>
        _jobs.Add(1, new KeyValuePair<string, object?>("task", task), new KeyValuePair<string, object?>("outcome", outcome));

    public void Trained(string task, TimeSpan duration) =>
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("task", task));

    public void Promotion(string model, bool promoted) =>
        _promotions.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("promoted", promoted ? "true" : "false"));
}
