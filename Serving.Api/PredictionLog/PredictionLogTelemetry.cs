using MlOps.PredictionLog;
using System.Diagnostics.Metrics;
using MlOps.Serving.Api.Monitoring;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// Prediction log and feedback instruments on the serving meter (names in docs/conventions.md, "Metric names").
/// </summary>
public sealed class PredictionLogTelemetry
{
    public const string BufferFull = "buffer_full";
    public const string UploadFailed = "upload_failed";
    public const string ShuttingDown = "shutting_down";

    private readonly Meter _meter;
    private readonly Counter<long> _sampled;
    private readonly Counter<long> _uploaded;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _uploadFailures;
    private readonly Counter<long> _feedback;

    public PredictionLogTelemetry(ServingTelemetry serving)
    {
        _meter = serving.Meter;
        _sampled = _meter.CreateCounter<long>("mlops.serving.prediction_log.sampled", description: "Predicted rows handed to the prediction log buffer.");
        _uploaded = _meter.CreateCounter<long>("mlops.serving.prediction_log.uploaded", description: "Rows in prediction log and feedback files stored by the registry, by kind.");
        _dropped = _meter.CreateCounter<long>("mlops.serving.prediction_log.dropped", description: "Rows not logged, by reason (buffer_full, upload_failed, shutting_down).");
        _uploadFailures = _meter.CreateCounter<long>("mlops.serving.prediction_log.upload_failures", description: "Failed attempts to store a prediction log file (retried with backoff).");
        _feedback = _meter.CreateCounter<long>("mlops.serving.feedback.items", description: "Feedback items accepted, by whether this replica matched their prediction id (matched, unmatched).");
    }

    public void Sampled(ReadOnlySpan<KeyValuePair<string, object?>> modelTags, int rows) => _sampled.Add(rows, modelTags);

    public void Uploaded(string model, string kind, long rows) => _uploaded.Add(rows, new("model", model), new("kind", kind));

    public void Dropped(string model, long rows, string reason) => _dropped.Add(rows, new("model", model), new("reason", reason));

    public void UploadFailure(string model, string kind) => _uploadFailures.Add(1, new("model", model), new("kind", kind));

    public void Feedback(string model, int matched, int unmatched)
    {
        _feedback.Add(matched, new("model", model), new("outcome", "matched"));
        _feedback.Add(unmatched, new("model", model), new("outcome", "unmatched"));
    }

    /// <summary>Series at zero for each model from the start, so rate() and the alert rules see them before the first event.</summary>
    public void Initialise(string model)
    {
        _sampled.Add(0, new KeyValuePair<string, object?>("model", model));
        Dropped(model, 0, BufferFull);
        Dropped(model, 0, UploadFailed);
        foreach (var kind in new[] { PredictionLogKinds.Predictions, PredictionLogKinds.Feedback })
        {
            Uploaded(model, kind, 0);
            _uploadFailures.Add(0, new("model", model), new("kind", kind));
        }
        Feedback(model, 0, 0);
    }

    public void Observe(Func<long> bufferedRows) =>
        _meter.CreateObservableGauge("mlops.serving.prediction_log.buffered", bufferedRows, description: "Rows waiting in the prediction log buffer (not yet stored by the registry).");
}
