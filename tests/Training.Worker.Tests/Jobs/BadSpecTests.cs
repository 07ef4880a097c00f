using System.Text;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Tests.Infrastructure;

namespace MlOps.Training.Worker.Tests.Jobs;

/// <summary>Specs that cannot train fail their job once, with the reason, and the worker goes on to the next job.</summary>
public sealed class BadSpecTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Bad_specs_fail_with_a_clear_message_without_retries_and_the_worker_keeps_serving()
    {
        await Upload("header_only", "a,b,y\n");
        await Upload("bad_numeric", "a,b,y\n1,x,10.5\n2,y,11\n3,x,oops\n4,y,12\n5,x,13\n6,y,14\n7,x,15\n8,y,16\n9,x,17\n10,y,18\n11,x,19\n");
        var quick = new TrainerParams(NumberOfIterations: 5);
        var cases = new (TrainingJobSpec Spec, string Message)[]
        {
            (Samples.Hpc with { Features = ["protocol", "no_such_column"], Trainer = quick }, "Feature column(s) 'no_such_column' not in the dataset"),
            (Samples.Hpc with { Label = "runtime", Trainer = quick }, "Label column 'runtime' is not in the dataset"),
            (Samples.Credit with { Task = TrainingTasks.Regression, PositiveClass = null, Register = null, Trainer = quick }, "Task regression needs a numeric label, but 'Status' is categorical (data row 1 holds 'good')"),
            (Samples.Hpc with { Task = TrainingTasks.Binary, Register = null, Trainer = quick }, "Task binary needs a label with exactly 2 values, but 'class' has 4"),
            (Samples.Ames with { Task = TrainingTasks.Multiclass, Register = null, Trainer = quick }, "use task regression"),
            (new TrainingJobSpec("bad", new DatasetRef("header_only"), TrainingTasks.Regression, "y"), "The dataset is empty"),
            (new TrainingJobSpec("bad", new DatasetRef("bad_numeric"), TrainingTasks.Regression, "y"), "but 'y' is categorical (data row 3 holds 'oops')"),
            (new TrainingJobSpec("bad", new DatasetRef("no_such_dataset"), TrainingTasks.Regression, "y"), "Dataset 'no_such_dataset' (latest version) does not exist"),
        };
        // A rule that needs no data is the registry's at submit, not the worker's after a lease.
        var refused = await Assert.ThrowsAsync<Registry.Client.Problems.RegistryApiException>(() =>
            registry.SubmitAsync(Samples.Hpc with { Register = new RegisterSpec("hpc-bad", "production", new GateSpec("rmse")) }));
        Assert.Contains("'rmse' is not a multiclass metric", refused.Message);
        var submitted = new List<TrainingJob>();
        foreach (var (spec, _) in cases) submitted.Add(await registry.SubmitAsync(spec));
        var good = await registry.SubmitAsync(Samples.Hpc with { Trainer = new TrainerParams(NumberOfIterations: 20), Register = new RegisterSpec("hpc-after-bad") });

        await using var worker = await WorkerHost.StartAsync(registry.Address);

        for (var i = 0; i < cases.Length; i++)
        {
            var job = await registry.WaitForJobAsync(submitted[i].Id);
            Assert.Equal(JobStatuses.Failed, job.Status);
            Assert.Contains(cases[i].Message, job.Error);
            Assert.Equal(1, job.Attempts);
            if (job.RunId is { } runId)
            {
                var run = await registry.Client.GetRunAsync(runId);
                Assert.Equal("failed", run.Status);
                Assert.Equal(job.Error, run.Tags["error"]);
            }
        }
        var after = await registry.WaitForJobAsync(good.Id);
        Assert.Equal(JobStatuses.Completed, after.Status);
        Assert.Equal(1, after.ModelVersion);
    }

    private async Task Upload(string name, string csv)
    {
        await using var body = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        await registry.Client.UploadDatasetAsync(name, body);
    }
}
