using System.Collections;

namespace MlOps.Training.Worker.Telemetry;

/// <summary>
/// The log scope of one job: job id and attempt, model, then run id and model version once known, under the same
/// keys as the span attributes (<see cref="TrainingTelemetry"/>). Filled in as the job goes, so that every log line
/// of the job, a failure's included, carries what is known by then; OpenTelemetry exports them as log attributes.
/// </summary>
public sealed class JobLogScope(Guid jobId, int attempt, string? model) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public Guid? RunId { get; set; }

    public int? ModelVersion { get; set; }

    private List<KeyValuePair<string, object?>> Items()
    {
        var items = new List<KeyValuePair<string, object?>>(5)
        {
            new(TrainingTelemetry.JobId, jobId.ToString()),
            new(TrainingTelemetry.JobAttempt, attempt),
        };
        if (model is not null) items.Add(new(TrainingTelemetry.Model, model));
        if (RunId is { } run) items.Add(new(TrainingTelemetry.RunId, run.ToString()));
        if (ModelVersion is { } version) items.Add(new(TrainingTelemetry.ModelVersion, version));
        return items;
    }

    public int Count => Items().Count;

    public KeyValuePair<string, object?> this[int index] => Items()[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Items().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>What the console's scope printing shows.</summary>
    public override string ToString() => string.Join(' ', Items().Select(i => $"{i.Key}={i.Value}"));
}
