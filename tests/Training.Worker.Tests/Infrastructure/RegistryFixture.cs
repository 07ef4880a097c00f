using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.TestInfrastructure;

namespace MlOps.Training.Worker.Tests.Infrastructure;

/// <summary>
/// A real Registry.Api (PostgreSQL + S3, its own database and bucket) on Kestrel, with the three sample datasets
/// uploaded. One per test class: jobs queued by one class are never leased by another class's workers.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public RegistryApiFactory Factory { get; } = new();

    public Uri Address { get; private set; } = null!;

    /// <summary>Admin client, for the test's own reads and setup.</summary>
    public RegistryClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Address = await Factory.StartKestrelAsync();
        // Over the Kestrel socket, as the workers reach it (the factory's own clients use its in-memory address).
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", RegistryApiFactory.AdminKey);
        Client = new RegistryClient(http);
        foreach (var name in new[] { "ames_housing", "credit_scoring", "hpc_data" })
        {
            await using var csv = File.OpenRead(Samples.Dataset(name));
            await Client.UploadDatasetAsync(name, csv);
        }
    }

    public Task<TrainingJob> SubmitAsync(TrainingJobSpec spec, string? idempotencyKey = null) =>
        Client.SubmitJobAsync(spec, idempotencyKey);

    /// <summary>Waits until the job is completed or failed for good.</summary>
    public async Task<TrainingJob> WaitForJobAsync(Guid id, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var job = await Client.GetJobAsync(id);
            if (job.Status is JobStatuses.Completed or JobStatuses.Failed) return job;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Job {id} still {job.Status} (attempts {job.Attempts}, owner {job.LeaseOwner}).\n{diagnostics?.Invoke()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until a predicate holds on the job (e.g. leased with a run reported).</summary>
    public async Task<TrainingJob> WaitForAsync(Guid id, Func<TrainingJob, bool> condition, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = await Client.GetJobAsync(id);
            if (condition(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {id}: condition not met; status {job.Status}, run {job.RunId}.\n{diagnostics?.Invoke()}");
            await Task.Delay(25);
        }
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
