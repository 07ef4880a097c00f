namespace MlOps.Registry.Client.Jobs;

/// <summary>
/// Body of <c>POST /api/v1/jobs</c> (202). Submitting again with the same <see cref="IdempotencyKey"/> returns
/// the existing job (200) instead of queueing a second one, whatever its status.
/// </summary>
public sealed record SubmitJobRequest(TrainingJobSpec Spec, string? IdempotencyKey = null);

public sealed record TrainingJob(
    Guid Id,
    TrainingJobSpec Spec,
    string Status,
    /// <summary>Leases taken so far (released leases do not count).</summary>
    int Attempts,
    int MaxAttempts,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    Guid? RunId,
    int? ModelVersion,
    bool? Promoted,
    string? Message,
    string? Error,
    string? IdempotencyKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public static class JobStatuses
{
    public const string Queued = "queued";
    public const string Leased = "leased";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public static readonly IReadOnlyList<string> All = [Queued, Leased, Completed, Failed];
}

/// <summary>
/// Body of <c>POST /api/v1/jobs/lease</c>. Answer: 200 with a <see cref="JobLease"/>, or 204 when nothing was
/// queued within <see cref="WaitSeconds"/> (0-30).
/// </summary>
public sealed record LeaseJobRequest(string Worker, int LeaseSeconds = 60, int WaitSeconds = 0);

/// <summary>A leased job. <see cref="RunId"/> is set when an earlier attempt reported its run.</summary>
public sealed record JobLease(
    Guid JobId,
    TrainingJobSpec Spec,
    int Attempt,
    DateTimeOffset LeaseExpiresAt,
    Guid? RunId);

/// <summary>Body of <c>POST /api/v1/jobs/{id}/heartbeat</c>: extends the lease; may report the run. 409 when the lease was lost.</summary>
public sealed record HeartbeatRequest(string Worker, int LeaseSeconds = 60, Guid? RunId = null);

/// <summary>
/// Body of <c>POST /api/v1/jobs/{id}/complete</c>. When <see cref="Promoted"/> is true and the spec's Register
/// names an alias, the registry moves that alias to <see cref="ModelVersion"/> in the same transaction (audited
/// as actor <c>job:{id}</c>); this is how a trainer key promotes, since only admins move aliases directly.
/// </summary>
public sealed record CompleteJobRequest(
    string Worker,
    Guid? RunId,
    int? ModelVersion = null,
    bool? Promoted = null,
    string? Message = null);

/// <summary>Body of <c>POST /api/v1/jobs/{id}/fail</c>: retryable and attempts left -> queued again, else failed.</summary>
public sealed record FailJobRequest(string Worker, string Error, bool Retryable = true);

/// <summary>Body of <c>POST /api/v1/jobs/{id}/release</c>: gives the lease back without counting an attempt (SIGTERM).</summary>
public sealed record ReleaseJobRequest(string Worker);
