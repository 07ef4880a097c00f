using System.Collections.Concurrent;
using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Api.Tests;

/// <summary>Each test gets its own registry: the queue is global, and tests lease "whatever is next".</summary>
public sealed class JobsTests : IAsyncLifetime
{
    private readonly RegistryApiFactory registry = new();
    private RegistryClient trainer = null!;

    public Task InitializeAsync()
    {
        trainer = registry.CreateRegistryClient(RegistryRole.Trainer);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await registry.DisposeAsync();

    private static TrainingJobSpec Spec(int maxAttempts = 3, string? alias = null) => new(
        "jobs-exp", new DatasetRef("credit"), TrainingTasks.Binary, "status",
        Register: new RegisterSpec("credit-model", alias), MaxAttempts: maxAttempts);

    [Fact]
    public async Task Submit_lease_heartbeat_complete()
    {
        var job = await trainer.SubmitJobAsync(Spec());
        Assert.Equal(JobStatuses.Queued, job.Status);
        Assert.Equal("credit", job.Spec.Dataset.Name);

        var lease = await trainer.LeaseJobAsync(new LeaseJobRequest("w1", LeaseSeconds: 30));
        Assert.Equal(job.Id, lease!.JobId);
        Assert.Equal(1, lease.Attempt);
        Assert.Null(lease.RunId);
        Assert.Null(await trainer.LeaseJobAsync(new LeaseJobRequest("w2")));

        var runId = Guid.NewGuid();
        var beat = await trainer.HeartbeatJobAsync(job.Id, new HeartbeatRequest("w1", 120, runId));
        Assert.True(beat.LeaseExpiresAt > lease.LeaseExpiresAt);
        Assert.Equal(runId, beat.RunId);

        var stolen = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.HeartbeatJobAsync(job.Id, new HeartbeatRequest("w2")));
        Assert.Equal(HttpStatusCode.Conflict, stolen.StatusCode);

        var done = await trainer.CompleteJobAsync(job.Id, new CompleteJobRequest("w1", runId, Message: "trained"));
        Assert.Equal(JobStatuses.Completed, done.Status);
        Assert.Equal(runId, done.RunId);
        Assert.Equal([job.Id], (await trainer.ListJobsAsync(JobStatuses.Completed)).Select(j => j.Id));
        Assert.Empty(await trainer.ListJobsAsync(JobStatuses.Queued));
    }

    [Fact]
    public async Task Idempotency_key_returns_the_existing_job_even_when_racing()
    {
        var jobs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => trainer.SubmitJobAsync(Spec(), "bootstrap-v1")));
        Assert.Single(jobs.Select(j => j.Id).Distinct());
        Assert.Single(await trainer.ListJobsAsync());
        var other = await trainer.SubmitJobAsync(Spec(), "bootstrap-v2");
        Assert.NotEqual(jobs[0].Id, other.Id);
    }

    [Fact]
    public async Task Fail_retries_until_max_attempts_and_release_does_not_count()
    {
        var job = await trainer.SubmitJobAsync(Spec(maxAttempts: 2));
        var first = await trainer.LeaseJobAsync(new LeaseJobRequest("w1"));
        var released = await trainer.ReleaseJobAsync(job.Id, new ReleaseJobRequest("w1"));
        Assert.Equal((JobStatuses.Queued, 0), (released.Status, released.Attempts));

        Assert.Equal(1, (await trainer.LeaseJobAsync(new LeaseJobRequest("w1")))!.Attempt);
        var retried = await trainer.FailJobAsync(job.Id, new FailJobRequest("w1", "out of memory", Retryable: true));
        Assert.Equal(JobStatuses.Queued, retried.Status);

        Assert.Equal(2, (await trainer.LeaseJobAsync(new LeaseJobRequest("w2")))!.Attempt);
        var failed = await trainer.FailJobAsync(job.Id, new FailJobRequest("w2", "out of memory again", Retryable: true));
        Assert.Equal(JobStatuses.Failed, failed.Status);
        Assert.Equal("out of memory again", failed.Error);
        Assert.Null(await trainer.LeaseJobAsync(new LeaseJobRequest("w3")));
        Assert.Equal(first!.JobId, job.Id);

        var notRetryable = await trainer.SubmitJobAsync(Spec());
        await trainer.LeaseJobAsync(new LeaseJobRequest("w1"));
        Assert.Equal(JobStatuses.Failed, (await trainer.FailJobAsync(notRetryable.Id, new FailJobRequest("w1", "bad label", Retryable: false))).Status);
    }

    [Fact]
    public async Task Expired_lease_returns_the_job_to_the_queue_until_max_attempts()
    {
        var job = await trainer.SubmitJobAsync(Spec(maxAttempts: 2));
        await trainer.LeaseJobAsync(new LeaseJobRequest("crashed-1", LeaseSeconds: 5));
        await trainer.HeartbeatJobAsync(job.Id, new HeartbeatRequest("crashed-1", 5, RunId: Guid.Parse("00000000-0000-0000-0000-000000000001")));
        await ExpireLeaseAsync(job.Id);

        var second = await trainer.LeaseJobAsync(new LeaseJobRequest("w2", LeaseSeconds: 5));
        Assert.Equal((job.Id, 2), (second!.JobId, second.Attempt));
        Assert.Equal(Guid.Parse("00000000-0000-0000-0000-000000000001"), second.RunId);
        var late = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.CompleteJobAsync(job.Id, new CompleteJobRequest("crashed-1", null)));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);

        await ExpireLeaseAsync(job.Id);
        Assert.Null(await trainer.LeaseJobAsync(new LeaseJobRequest("w3")));
        var final = await trainer.GetJobAsync(job.Id);
        Assert.Equal(JobStatuses.Failed, final.Status);
        Assert.Contains("expired", final.Error);
    }

    /// <summary>Moves the lease expiry into the past instead of sleeping through it.</summary>
    private async Task ExpireLeaseAsync(Guid id)
    {
        await using var conn = new Npgsql.NpgsqlConnection(registry.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = @id", conn);
        cmd.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task Many_parallel_leasers_never_get_the_same_job()
    {
        const int jobCount = 40;
        for (var i = 0; i < jobCount; i++)
        {
            await trainer.SubmitJobAsync(Spec());
        }
        var leasedBy = new ConcurrentDictionary<Guid, string>();
        var duplicates = new ConcurrentBag<Guid>();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var client = registry.CreateRegistryClient(RegistryRole.Trainer);
            while (await client.LeaseJobAsync(new LeaseJobRequest($"w{w}", LeaseSeconds: 300)) is { } lease)
            {
                if (!leasedBy.TryAdd(lease.JobId, $"w{w}"))
                {
                    duplicates.Add(lease.JobId);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        Assert.Empty(duplicates);
        Assert.Equal(jobCount, leasedBy.Count);
        var jobs = await trainer.ListJobsAsync(JobStatuses.Leased);
        Assert.Equal(jobCount, jobs.Count);
        Assert.All(jobs, j => Assert.Equal((1, leasedBy[j.Id]), (j.Attempts, j.LeaseOwner)));
        Assert.True(leasedBy.Values.Distinct().Count() > 1, "leases were spread over several workers");
    }

    [Fact]
    public async Task Lease_waits_for_a_submission()
    {
        var waiting = trainer.LeaseJobAsync(new LeaseJobRequest("patient", WaitSeconds: 20));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        var job = await trainer.SubmitJobAsync(Spec());
        var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(job.Id, lease!.JobId);
    }

    [Fact]
    public async Task A_lease_waiting_on_another_replica_is_woken_by_postgres_notify()
    {
        await using var replica = new RegistryApiFactory(registry).WithSetting("LongPoll:FallbackIntervalMs", "600000");
        var replicaTrainer = replica.CreateRegistryClient(RegistryRole.Trainer);
        Assert.Null(await replicaTrainer.LeaseJobAsync(new LeaseJobRequest("remote")));

        var waiting = replicaTrainer.LeaseJobAsync(new LeaseJobRequest("remote", WaitSeconds: 30));
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);
        var job = await trainer.SubmitJobAsync(Spec());
        Assert.Equal(job.Id, (await waiting.WaitAsync(TimeSpan.FromSeconds(20)))!.JobId);
    }

    [Fact]
    public async Task Completing_with_promotion_moves_the_alias_audited_as_the_job()
    {
        var v1 = await ModelArtifacts.RegisterAsync(trainer, "credit-model", seed: 20);
        var job = await trainer.SubmitJobAsync(Spec(alias: "production"));
        await trainer.LeaseJobAsync(new LeaseJobRequest("w1"));
        var done = await trainer.CompleteJobAsync(job.Id, new CompleteJobRequest("w1", null, v1.Version, Promoted: true, "auc 0.81 > 0.79"));
        Assert.True(done.Promoted);
        var alias = await trainer.GetAliasAsync("credit-model", "production");
        Assert.Equal(v1.Version, alias!.Version);
        Assert.StartsWith($"job:{job.Id}", alias.UpdatedBy);
        var history = await trainer.GetAliasHistoryAsync("credit-model", "production");
        Assert.Equal("auc 0.81 > 0.79", Assert.Single(history).Reason);
    }

    [Fact]
    public async Task Bad_specs_and_requests_are_400_unknown_jobs_404()
    {
        foreach (var bad in new[]
        {
            Spec() with { Task = "ranking" },
            Spec() with { Dataset = new DatasetRef("../etc/passwd") },
            Spec() with { Experiment = "exp\u0000" },
            Spec() with { MaxAttempts = 0 },
            Spec() with { Split = new SplitSpec(1.5) },
        })
        {
            var e = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.SubmitJobAsync(bad));
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.LeaseJobAsync(new LeaseJobRequest("")))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.LeaseJobAsync(new LeaseJobRequest("w", WaitSeconds: 999)))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.ListJobsAsync("sleeping"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.GetJobAsync(Guid.NewGuid()))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.CompleteJobAsync(Guid.NewGuid(), new CompleteJobRequest("w", null)))).StatusCode);
        Assert.Empty(await trainer.ListJobsAsync());
    }
}
