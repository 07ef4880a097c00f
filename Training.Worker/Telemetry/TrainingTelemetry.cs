using System.Diagnostics;

namespace MlOps.Training.Worker.Telemetry;

/// <summary>
/// The worker's activity source (<c>MlOps.Training</c>, exported by ServiceDefaults) and the span and attribute names
/// of a training job's trace (docs/observability.md). One trace per job: <see cref="Job"/> is its root, from the
/// lease to the completion that moves the alias; every registry call made for the job is inside it.
/// </summary>
public static class TrainingTelemetry
{
    public const string SourceName = "MlOps.Training";

    public static readonly ActivitySource Source = new(SourceName);

    // Span names.
    public const string Job = "training.job";
    public const string Lease = "training.lease";
    public const string DatasetDownload = "training.dataset.download";
    public const string Train = "training.train";
    public const string Trial = "training.trial";
    public const string Fit = "training.fit";
    public const string Evaluate = "training.evaluate";
    public const string BundleUpload = "training.bundle.upload";
    public const string Gate = "training.gate";
    public const string Complete = "training.complete";

    // Attribute (and log scope) names: the same keys on spans and logs, so one filter finds both.
    public const string JobId = "mlops.job.id";
    public const string JobAttempt = "mlops.job.attempt";
    public const string RunId = "mlops.run.id";
    public const string Model = "mlops.model";
    public const string ModelVersion = "mlops.model.version";
    public const string Task = "mlops.task";
    public const string Worker = "mlops.worker";

    /// <summary>
    /// The root span of one job's trace, started at <paramref name="leaseRequestedAt"/> so that it covers the lease
    /// request that brought the job. A root whatever the caller's context: a job is a unit of work of its own.
    /// </summary>
    public static Activity? StartJob(Guid jobId, int attempt, string task, string? model, string worker, DateTimeOffset leaseRequestedAt)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var activity = Source.StartActivity(Job, ActivityKind.Consumer, parentContext: default, startTime: leaseRequestedAt);
            activity?.SetTag(JobId, jobId.ToString());
            activity?.SetTag(JobAttempt, attempt);
            activity?.SetTag(Task, task);
            activity?.SetTag(Model, model);
            activity?.SetTag(Worker, worker);
            return activity;
        }
        finally
        {
            if (Activity.Current is null) Activity.Current = previous;
        }
    }

    /// <summary>The lease request as a child of the job, after the fact (it was untraced while it waited for work).</summary>
    public static void RecordLease(Activity? job, DateTimeOffset requestedAt, DateTimeOffset leasedAt, int leaseSeconds)
    {
        if (job is null) return;
        using var lease = Source.StartActivity(Lease, ActivityKind.Client, job.Context, startTime: requestedAt);
        lease?.SetTag("mlops.lease.seconds", leaseSeconds);
        lease?.SetEndTime(leasedAt.UtcDateTime);
    }

    public static void Fail(Activity? activity, Exception e)
    {
        activity?.SetStatus(ActivityStatusCode.Error, e.Message);
        activity?.AddException(e);
    }
}
