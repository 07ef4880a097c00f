using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Runs;
using MlOps.Training.Worker.Tests.Infrastructure;

namespace MlOps.Training.Worker.Tests.Jobs;

/// <summary>A crashed worker's job is trained by another, once; a stopping worker hands its job back at once.</summary>
public sealed class WorkerFaultTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    // Long enough (several seconds) that the job is still training when its worker goes away.
    private static TrainingJobSpec SlowAmes(string model) => Samples.Ames with
    {
        Experiment = "faults-" + model,
        Trainer = new TrainerParams(NumberOfIterations: 2000, NumberOfLeaves: 63, LearningRate: 0.02),
        Register = new RegisterSpec(model, "production"),
    };

    [Fact]
    public async Task A_worker_killed_mid_training_loses_its_job_to_another_worker_that_trains_it_exactly_once()
    {
        var submitted = await registry.SubmitAsync(SlowAmes("ames-killed"));
        var doomed = WorkerProcess.Start(registry.Address, leaseSeconds: 5);
        TrainingJob leased;
        try
        {
            leased = await registry.WaitForAsync(submitted.Id, j => j.Status == JobStatuses.Leased && j.RunId is not null, TimeSpan.FromSeconds(90), () => doomed.Log);
            await Task.Delay(500);
        }
        finally
        {
            await doomed.KillAsync();
        }
        Assert.Equal(doomed.Name, leased.LeaseOwner);
        Assert.Equal(JobStatuses.Leased, (await registry.Client.GetJobAsync(submitted.Id)).Status);

        await using var survivor = await WorkerHost.StartAsync(registry.Address, leaseSeconds: 5);
        var done = await registry.WaitForJobAsync(submitted.Id, TimeSpan.FromSeconds(180), () => doomed.Log);

        Assert.Equal(JobStatuses.Completed, done.Status);
        Assert.Equal(2, done.Attempts);
        var versions = await registry.Client.ListModelVersionsAsync("ames-killed");
        Assert.Single(versions);
        Assert.Equal(done.RunId, versions[0].RunId);
        var finished = await registry.Client.GetRunAsync(done.RunId!.Value);
        Assert.Equal(RunStatuses.Finished, finished.Status);
        Assert.Equal(survivor.Name, finished.Tags["worker"]);
        // The killed attempt's run is closed by the worker that took the job over.
        var abandoned = await registry.Client.GetRunAsync(leased.RunId!.Value);
        Assert.Equal(RunStatuses.Killed, abandoned.Status);
        Assert.Equal(doomed.Name, abandoned.Tags["worker"]);
    }

    [Fact]
    public async Task A_stopping_worker_releases_its_job_at_once_and_another_worker_trains_it()
    {
        var submitted = await registry.SubmitAsync(SlowAmes("ames-released"));
        // A long lease: only a release, not an expiry, can bring the job back within this test.
        var stopping = await WorkerHost.StartAsync(registry.Address, leaseSeconds: 120);
        var leased = await registry.WaitForAsync(submitted.Id, j => j.Status == JobStatuses.Leased && j.RunId is not null);
        await Task.Delay(300);
        await stopping.StopAsync();
        await stopping.DisposeAsync();

        var released = await registry.Client.GetJobAsync(submitted.Id);
        Assert.Equal(JobStatuses.Queued, released.Status);
        Assert.Null(released.LeaseOwner);
        var run = await registry.Client.GetRunAsync(leased.RunId!.Value);
        Assert.Equal(RunStatuses.Killed, run.Status);
        Assert.Contains("job released", run.Tags["error"]);

        await using var next = await WorkerHost.StartAsync(registry.Address, leaseSeconds: 10);
        var done = await registry.WaitForJobAsync(submitted.Id, TimeSpan.FromSeconds(180));
        Assert.Equal(JobStatuses.Completed, done.Status);
        Assert.Single(await registry.Client.ListModelVersionsAsync("ames-released"));
    }
}
