using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Runs;
using MlOps.Training.Worker.Tests.Infrastructure;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Jobs;

public sealed class SweepAndBootstrapTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_grid_sweep_logs_each_trial_as_a_child_run_and_registers_the_best()
    {
        var spec = Samples.Hpc with
        {
            Experiment = "sweep-hpc",
            Trainer = new TrainerParams(NumberOfIterations: 30),
            Sweep = new SweepSpec("grid", new Dictionary<string, IReadOnlyList<double>>
            {
                ["numberOfLeaves"] = [4, 31],
                ["learningRate"] = [0.02, 0.2],
            }),
            Register = new RegisterSpec("hpc-sweep", "production", new GateSpec(MetricNames.MicroAccuracy)),
        };
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        var job = await registry.WaitForJobAsync((await registry.SubmitAsync(spec)).Id);
        Assert.True(job.Status == JobStatuses.Completed, job.Error);

        var runs = (await registry.Client.SearchRunsAsync(new SearchRunsRequest(["sweep-hpc"], PageSize: 50))).Runs;
        var parent = runs.Single(r => r.Id == job.RunId);
        var trials = runs.Where(r => r.ParentRunId == parent.Id).ToList();
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal(RunStatuses.Finished, t.Status));
        Assert.Equal(4, trials.Select(t => (t.Params["numberOfLeaves"], t.Params["learningRate"])).Distinct().Count());
        var bestScore = trials.Max(t => t.Metrics[MetricNames.MicroAccuracy]);

        var version = await registry.Client.GetModelVersionAsync("hpc-sweep", job.ModelVersion);
        var registered = trials.Single(t => t.Id == version.RunId);
        Assert.Equal(bestScore, registered.Metrics[MetricNames.MicroAccuracy], 1e-12);
        Assert.Equal(bestScore, version.Metrics[MetricNames.MicroAccuracy], 1e-12);
        Assert.Equal(registered.Id.ToString(), parent.Tags["sweep.best_run"]);
        Assert.Equal("4", parent.Params["sweep.trials"]);
    }

    [Fact]
    public async Task Two_replicas_bootstrapping_the_same_sample_queue_one_job_which_is_trained()
    {
        var specPath = Path.Combine(Path.GetTempPath(), $"bootstrap-{Guid.NewGuid():N}.json");
        var spec = Samples.Hpc with { Experiment = "bootstrap", Trainer = new TrainerParams(NumberOfIterations: 20), Register = new RegisterSpec("hpc-bootstrap", "production") };
        await File.WriteAllTextAsync(specPath, JsonSerializer.Serialize(spec, RegistryJson.Options));
        var settings = new Dictionary<string, string?>
        {
            ["Worker:Bootstrap:DatasetPath"] = Samples.Dataset("hpc_data"),
            ["Worker:Bootstrap:DatasetName"] = "hpc_bootstrap",
            ["Worker:Bootstrap:SpecPath"] = specPath,
        };
        try
        {
            await using var first = await WorkerHost.StartAsync(registry.Address, settings: settings);
            await using var second = await WorkerHost.StartAsync(registry.Address, settings: settings);

            var deadline = DateTime.UtcNow.AddSeconds(60);
            IReadOnlyList<TrainingJob> jobs;
            do
            {
                await Task.Delay(200);
                jobs = (await registry.Client.ListJobsAsync()).Where(j => j.IdempotencyKey?.StartsWith("bootstrap:hpc_bootstrap:", StringComparison.Ordinal) == true).ToList();
            }
            while (!(jobs.Count > 0 && jobs[0].Status == JobStatuses.Completed) && DateTime.UtcNow < deadline);

            var job = Assert.Single(jobs);
            Assert.Equal(JobStatuses.Completed, job.Status);
            Assert.Equal(new DatasetRef("hpc_bootstrap", 1), job.Spec.Dataset);
            Assert.Equal(1, (await registry.Client.GetAliasAsync("hpc-bootstrap", "production"))!.Version);
        }
        finally
        {
            File.Delete(specPath);
        }
    }
}
