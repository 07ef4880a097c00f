using System.Net;
using System.Net.Http.Json;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    /// <summary>Queues a job; with an idempotency key already used, returns that job instead.</summary>
    public Task<TrainingJob> SubmitJobAsync(TrainingJobSpec spec, string? idempotencyKey = null, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Post, "jobs", new SubmitJobRequest(spec, idempotencyKey), ct);

    public Task<TrainingJob> GetJobAsync(Guid id, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Get, $"jobs/{id}", null, ct);

    /// <summary>Jobs, newest first; <paramref name="status"/> filters (JobStatuses).</summary>
    public Task<IReadOnlyList<TrainingJob>> ListJobsAsync(string? status = null, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<TrainingJob>>(HttpMethod.Get, status is null ? "jobs" : $"jobs?status={Seg(status)}", null, ct);

    /// <summary>Leases the oldest queued job (or one whose lease expired); null when none came within the wait.</summary>
    public async Task<JobLease?> LeaseJobAsync(LeaseJobRequest request, CancellationToken ct = default)
    {
        using var response = await Http.PostAsJsonAsync(ApiPrefix + "jobs/lease", request, RegistryJson.Options, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }
        return await ReadAsync<JobLease>(response, ct).ConfigureAwait(false);
    }

    /// <summary>Extends the lease. Throws with 409 when this worker no longer holds it: stop working on the job.</summary>
    public Task<JobLease> HeartbeatJobAsync(Guid id, HeartbeatRequest request, CancellationToken ct = default) =>
        SendAsync<JobLease>(HttpMethod.Post, $"jobs/{id}/heartbeat", request, ct);

    public Task<TrainingJob> CompleteJobAsync(Guid id, CompleteJobRequest request, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Post, $"jobs/{id}/complete", request, ct);

    public Task<TrainingJob> FailJobAsync(Guid id, FailJobRequest request, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Post, $"jobs/{id}/fail", request, ct);

    public Task<TrainingJob> ReleaseJobAsync(Guid id, ReleaseJobRequest request, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Post, $"jobs/{id}/release", request, ct);
}
