using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Models;
using MlOps.Registry.Api.PredictionLogs;
using MlOps.Registry.Client.Jobs;
using Npgsql;

namespace MlOps.Registry.Api.Jobs;

public static class JobsApi
{
    public const int MaxLeaseWaitSeconds = 30;

    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/jobs").WithTags("Jobs").RequireAuthorization(Policies.Read);
        group.MapPost("/", SubmitAsync).RequireAuthorization(Policies.Train);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPost("/lease", LeaseAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/heartbeat", HeartbeatAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/complete", CompleteAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/fail", FailAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/release", ReleaseAsync).RequireAuthorization(Policies.Train);
        return group;
    }

    internal static TrainingJob ToContract(this JobEntity j) => new(
        j.Id, Json.Read<TrainingJobSpec>(j.SpecJson), j.Status, j.Attempts, j.MaxAttempts, j.LeaseOwner, j.LeaseExpiresAt,
        j.RunId, j.ModelVersion, j.Promoted, j.Message, j.Error, j.IdempotencyKey, j.CreatedAt, j.UpdatedAt);

    private static async Task<Results<Accepted<TrainingJob>, Ok<TrainingJob>, ProblemHttpResult>> SubmitAsync(
        SubmitJobRequest request, RegistryDbContext db, JobQueue queue, WindowMaterializer materializer, CancellationToken ct)
    {
        if (JobSpecValidator.Validate(request.Spec) is { } error)
        {
            return Problems.BadRequest(error);
        }
        if (request.IdempotencyKey is { } key && (key.Length is 0 or > 200 || key.Any(char.IsControl)))
        {
            return Problems.BadRequest("idempotencyKey must be 1-200 printable characters.");
        }
        if (request.IdempotencyKey is not null
            && await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.IdempotencyKey == request.IdempotencyKey, ct) is { } existing)
        {
            return TypedResults.Ok(existing.ToContract());
        }
        var spec = request.Spec;
        if (spec.Dataset.PredictionLog is not null)
        {
            var (materialized, problem) = await MaterializeWindowAsync(spec, materializer, ct);
            if (materialized is null)
            {
                return problem!;
            }
            spec = materialized;
        }
        var now = DateTimeOffset.UtcNow;
        var job = new JobEntity
        {
            Id = Guid.CreateVersion7(),
            SpecJson = Json.Write(spec),
            Status = JobStatuses.Queued,
            MaxAttempts = request.Spec.MaxAttempts,
            IdempotencyKey = request.IdempotencyKey,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (!await JobInsert.TryInsertAsync(db, job, ct))
        {
            // Two submitters raced with the same key (e.g. two worker replicas bootstrapping): the first one wins.
            var winner = await db.Jobs.AsNoTracking().FirstAsync(j => j.IdempotencyKey == request.IdempotencyKey, ct);
            return TypedResults.Ok(winner.ToContract());
        }
        await RegistryEvents.PublishJobQueuedAsync(db, ct);
        queue.NotifySubmitted();
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToContract());
    }

    /// <summary>
    /// Materialised here, at submit, rather than by the worker: the job then names one concrete dataset version, so
    /// every attempt trains on the same bytes even while feedback keeps arriving, the version shows in the job and
    /// its run, and an empty or unlabelled window is a 4xx now instead of a failed job later.
    /// </summary>
    private static async Task<(TrainingJobSpec? Spec, ProblemHttpResult? Problem)> MaterializeWindowAsync(
        TrainingJobSpec spec, WindowMaterializer materializer, CancellationToken ct)
    {
        var window = spec.Dataset.PredictionLog!;
        var name = JobSpecValidator.WindowDatasetName(spec.Dataset);
        var outcome = await materializer.MaterializeAsync(window.Model, new(name, window.From, window.To, window.Versions), ct);
        if (outcome.Problem is { } problem)
        {
            return (null, problem);
        }
        var version = outcome.Version!;
        if (version.Lineage is { } lineage && lineage.Label != spec.Label)
        {
            return (null, Problems.BadRequest(
                $"spec.label is '{spec.Label}', but the window's label column is '{lineage.Label}' (the label '{window.Model}' was trained on)."));
        }
        return (spec with { Dataset = spec.Dataset with { Name = version.Dataset, Version = version.Version } }, null);
    }

    private static async Task<Results<Ok<List<TrainingJob>>, ProblemHttpResult>> ListAsync(string? status, RegistryDbContext db, CancellationToken ct)
    {
        if (status is not null && !JobStatuses.All.Contains(status))
        {
            return Problems.BadRequest($"status must be one of {string.Join(", ", JobStatuses.All)}.");
        }
        var query = db.Jobs.AsNoTracking();
        if (status is not null)
        {
            query = query.Where(j => j.Status == status);
        }
        var jobs = await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(500).ToListAsync(ct);
        return TypedResults.Ok(jobs.Select(j => j.ToContract()).ToList());
    }

    private static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> GetAsync(Guid id, RegistryDbContext db, CancellationToken ct) =>
        await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct) is { } job
            ? TypedResults.Ok(job.ToContract())
            : Problems.NotFound($"Job {id} does not exist.");

    private static string? CheckLease(string? worker, int leaseSeconds) =>
        !JobSpecValidator.IsValidWorker(worker) ? "worker must be 1-200 printable characters."
        : leaseSeconds is < 5 or > 3600 ? "leaseSeconds must be 5-3600."
        : null;

    private static async Task<Results<Ok<JobLease>, NoContent, ProblemHttpResult>> LeaseAsync(
        LeaseJobRequest request, JobQueue queue, LongPollOptions poll, CancellationToken ct)
    {
        if (CheckLease(request.Worker, request.LeaseSeconds) is { } error)
        {
            return Problems.BadRequest(error);
        }
        if (request.WaitSeconds is < 0 or > MaxLeaseWaitSeconds)
        {
            return Problems.BadRequest($"waitSeconds must be 0-{MaxLeaseWaitSeconds}.");
        }
        var clock = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(request.WaitSeconds);
        while (true)
        {
            var submitted = queue.Submitted;
            if (await queue.TryLeaseAsync(request.Worker, request.LeaseSeconds, ct) is { } leased)
            {
                return TypedResults.Ok(new JobLease(leased.Id, Json.Read<TrainingJobSpec>(leased.SpecJson), leased.Attempt, leased.LeaseExpiresAt, leased.RunId));
            }
            var left = wait - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return TypedResults.NoContent();
            }
            try
            {
                await submitted.WaitAsync(left < poll.FallbackInterval ? left : poll.FallbackInterval, ct);
            }
            catch (TimeoutException)
            {
                // Poll again: expired leases raise no event, and a notification may have been missed.
            }
        }
    }

    /// <summary>Loads the job locked for update and checks the caller holds its lease; the error is ready to return.</summary>
    private static async Task<(JobEntity? Job, ProblemHttpResult? Error)> LockHeldAsync(RegistryDbContext db, Guid id, string? worker, CancellationToken ct)
    {
        if (!JobSpecValidator.IsValidWorker(worker))
        {
            return (null, Problems.BadRequest("worker must be 1-200 printable characters."));
        }
        var job = await db.Jobs.FromSql($"SELECT * FROM jobs WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (job is null)
        {
            return (null, Problems.NotFound($"Job {id} does not exist."));
        }
        if (job.Status != JobStatuses.Leased || job.LeaseOwner != worker)
        {
            return (null, Problems.Conflict($"Job {id} is {job.Status}{(job.LeaseOwner is null ? "" : " by " + job.LeaseOwner)}; '{worker}' does not hold its lease."));
        }
        return (job, null);
    }

    private static async Task<Results<Ok<JobLease>, ProblemHttpResult>> HeartbeatAsync(
        Guid id, HeartbeatRequest request, RegistryDbContext db, CancellationToken ct)
    {
        if (CheckLease(request.Worker, request.LeaseSeconds) is { } error)
        {
            return Problems.BadRequest(error);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (job, problem) = await LockHeldAsync(db, id, request.Worker, ct);
        if (job is null)
        {
            return problem!;
        }
        // An expired lease that nobody took over yet is still this worker's: extending it is fine.
        var now = DateTimeOffset.UtcNow;
        job.LeaseExpiresAt = now.AddSeconds(request.LeaseSeconds);
        job.RunId = request.RunId ?? job.RunId;
        job.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new JobLease(job.Id, Json.Read<TrainingJobSpec>(job.SpecJson), job.Attempts, job.LeaseExpiresAt.Value, job.RunId));
    }

    private static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> CompleteAsync(
        Guid id, CompleteJobRequest request, HttpContext http, RegistryDbContext db, AliasSignal aliases, CancellationToken ct)
    {
        if (request.Message is { Length: > 4000 })
        {
            return Problems.BadRequest("message is at most 4000 characters.");
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (job, problem) = await LockHeldAsync(db, id, request.Worker, ct);
        if (job is null)
        {
            return problem!;
        }
        var spec = Json.Read<TrainingJobSpec>(job.SpecJson);
        (string Model, string Alias)? moved = null;
        if (request.Promoted == true && spec.Register is { Alias: { } alias } register)
        {
            if (request.ModelVersion is not { } version)
            {
                return Problems.BadRequest("promoted needs modelVersion.");
            }
            // The promotion gate ran in the worker; the alias moves here, atomically with the completion, audited as the job.
            var outcome = await AliasMover.MoveAsync(db, register.Model, alias, version, $"job:{id} ({http.Actor()})", request.Message ?? "promotion gate passed", ct);
            if (outcome.Alias is null)
            {
                return Problems.NotFound(outcome.NotFound!);
            }
            moved = (register.Model, alias);
        }
        var now = DateTimeOffset.UtcNow;
        job.Status = JobStatuses.Completed;
        job.RunId = request.RunId ?? job.RunId;
        job.ModelVersion = request.ModelVersion;
        job.Promoted = request.Promoted;
        job.Message = request.Message;
        job.LeaseExpiresAt = null;
        job.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (moved is { } m)
        {
            aliases.Notify(m.Model, m.Alias);
        }
        return TypedResults.Ok(job.ToContract());
    }

    private static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> FailAsync(
        Guid id, FailJobRequest request, RegistryDbContext db, JobQueue queue, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Error))
        {
            return Problems.BadRequest("error is required.");
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (job, problem) = await LockHeldAsync(db, id, request.Worker, ct);
        if (job is null)
        {
            return problem!;
        }
        var retry = request.Retryable && job.Attempts < job.MaxAttempts;
        job.Status = retry ? JobStatuses.Queued : JobStatuses.Failed;
        job.Error = request.Error.Length > 4000 ? request.Error[..4000] : request.Error;
        job.LeaseOwner = null;
        job.LeaseExpiresAt = null;
        job.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
        if (retry)
        {
            await RegistryEvents.PublishJobQueuedAsync(db, ct);
        }
        await tx.CommitAsync(ct);
        if (retry)
        {
            queue.NotifySubmitted();
        }
        return TypedResults.Ok(job.ToContract());
    }

    private static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> ReleaseAsync(
        Guid id, ReleaseJobRequest request, RegistryDbContext db, JobQueue queue, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (job, problem) = await LockHeldAsync(db, id, request.Worker, ct);
        if (job is null)
        {
            return problem!;
        }
        // Given back (e.g. SIGTERM): the attempt does not count.
        job.Status = JobStatuses.Queued;
        job.Attempts = Math.Max(0, job.Attempts - 1);
        job.LeaseOwner = null;
        job.LeaseExpiresAt = null;
        job.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
        await RegistryEvents.PublishJobQueuedAsync(db, ct);
        await tx.CommitAsync(ct);
        queue.NotifySubmitted();
        return TypedResults.Ok(job.ToContract());
    }
}
