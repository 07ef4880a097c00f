using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Tests.Infrastructure;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Jobs;

/// <summary>Same spec, same model; the promotion gate keeps the alias unless the new version is better.</summary>
public sealed class GateAndDeterminismTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static TrainingJobSpec Credit(string model, int iterations, double learningRate = 0.1) => Samples.Credit with
    {
        Experiment = "gate-" + model,
        Trainer = new TrainerParams(NumberOfIterations: iterations, NumberOfLeaves: 15, LearningRate: learningRate, Seed: 3),
        Register = new RegisterSpec(model, "production", new GateSpec(MetricNames.Auc, 0.001)),
    };

    private async Task<TrainingJob> RunAsync(TrainingJobSpec spec)
    {
        var submitted = await registry.SubmitAsync(spec);
        var job = await registry.WaitForJobAsync(submitted.Id);
        Assert.True(job.Status == JobStatuses.Completed, $"{job.Status}: {job.Error}");
        return job;
    }

    [Fact]
    public async Task The_same_spec_twice_gives_identical_metrics_and_artifact_sha256_and_the_copy_does_not_take_the_alias()
    {
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        var spec = Credit("credit-twice", iterations: 40);

        var first = await RunAsync(spec);
        var second = await RunAsync(spec);

        var v1 = await registry.Client.GetModelVersionAsync("credit-twice", first.ModelVersion);
        var v2 = await registry.Client.GetModelVersionAsync("credit-twice", second.ModelVersion);
        Assert.Equal((1, 2), (v1.Version, v2.Version));
        Assert.Equal(v1.Sha256, v2.Sha256);
        Assert.Equal(v1.Metrics, v2.Metrics);
        Assert.Equal((await registry.Client.GetArtifactInfoAsync("credit-twice", 1))!.Sha256, (await registry.Client.GetArtifactInfoAsync("credit-twice", 2))!.Sha256);

        // An identical model is no improvement: it stays registered, the alias stays where it was.
        Assert.True(first.Promoted);
        Assert.False(second.Promoted);
        Assert.Equal(1, (await registry.Client.GetAliasAsync("credit-twice", "production"))!.Version);
        var run = await registry.Client.GetRunAsync(second.RunId!.Value);
        Assert.Equal("same-split", run.Tags["gate.mode"]);
        Assert.Equal(run.Tags["gate.incumbent"], run.Tags["gate.candidate"]);
    }

    [Fact]
    public async Task A_retried_job_reuses_the_version_an_earlier_attempt_registered_instead_of_adding_one()
    {
        // What an attempt that died between registering and completing leaves behind: the version, tagged with
        // the job. Training is deterministic, so a bundle trained here is byte-identical to the worker's.
        var spec = Credit("credit-retried", iterations: 25) with { Dataset = new DatasetRef("credit_scoring", 1) };
        var job = await registry.SubmitAsync(spec);
        await using (var csv = File.OpenRead(Samples.Dataset("credit_scoring")))
        {
            var local = await ModelTrainer.TrainAsync(spec, csv, (await registry.Client.GetDatasetVersionAsync("credit_scoring", 1)).Columns, CancellationToken.None);
            await registry.Client.RegisterModelVersionAsync("credit-retried", new Registry.Client.Models.ModelVersionMetadata(
                null, new Registry.Client.Models.DatasetVersionRef("credit_scoring", 1), spec.Task, local.InputSchema(), local.Metrics, local.Sha256,
                Tags: new Dictionary<string, string> { ["job.id"] = job.Id.ToString() }), new MemoryStream(local.Bundle));
        }

        await using var worker = await WorkerHost.StartAsync(registry.Address);
        var done = await registry.WaitForJobAsync(job.Id);

        Assert.Equal(JobStatuses.Completed, done.Status);
        Assert.Equal(1, done.ModelVersion);
        Assert.Single(await registry.Client.ListModelVersionsAsync("credit-retried"));
    }

    [Fact]
    public async Task A_worse_model_stays_registered_without_the_alias_and_its_run_says_why_a_better_one_takes_it()
    {
        await using var worker = await WorkerHost.StartAsync(registry.Address);

        var good = await RunAsync(Credit("credit-gate", iterations: 150, learningRate: 0.05));
        var worse = await RunAsync(Credit("credit-gate", iterations: 3, learningRate: 0.01) with { Features = ["Age", "Time"] });

        Assert.True(good.Promoted);
        Assert.False(worse.Promoted);
        Assert.Equal(2, worse.ModelVersion);
        Assert.StartsWith("Not promoted: auc ", worse.Message);
        Assert.Contains("vs v1's", worse.Message);
        Assert.Contains("on this job's test split", worse.Message);
        Assert.Equal(1, (await registry.Client.GetAliasAsync("credit-gate", "production"))!.Version);
        var run = await registry.Client.GetRunAsync(worse.RunId!.Value);
        Assert.Equal("not-promoted", run.Tags["gate.decision"]);
        Assert.Equal("same-split", run.Tags["gate.mode"]);
        Assert.Equal("1", run.Tags["gate.holder_version"]);
        Assert.Equal(worse.Message, run.Tags["gate.reason"]);
        Assert.True(double.Parse(run.Tags["gate.candidate"], System.Globalization.CultureInfo.InvariantCulture)
            < double.Parse(run.Tags["gate.incumbent"], System.Globalization.CultureInfo.InvariantCulture));

        // More trees at a better rate beat v1 by more than minImprovement: the alias moves.
        var better = await RunAsync(Credit("credit-gate", iterations: 400, learningRate: 0.03) with
        {
            Register = new RegisterSpec("credit-gate", "production", new GateSpec(MetricNames.Auc, 0.0)),
        });
        var betterRun = await registry.Client.GetRunAsync(better.RunId!.Value);
        Assert.True(better.Promoted == true, better.Message);
        Assert.Equal(3, (await registry.Client.GetAliasAsync("credit-gate", "production"))!.Version);
        Assert.Equal("promoted", betterRun.Tags["gate.decision"]);
    }

    [Fact]
    public async Task A_holder_trained_on_another_dataset_version_is_compared_on_its_recorded_metric()
    {
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        // Its own dataset name: other tests of this class train on the latest credit_scoring.
        var lines = await File.ReadAllLinesAsync(Samples.Dataset("credit_scoring"));
        await using (var v1 = File.OpenRead(Samples.Dataset("credit_scoring")))
        {
            Assert.Equal(1, (await registry.Client.UploadDatasetAsync("credit_versions", v1)).Version.Version);
        }
        var first = await RunAsync(Credit("credit-versions", iterations: 30) with { Dataset = new DatasetRef("credit_versions", 1) });

        // Version 2: the same rows but the last 200.
        await using (var v2 = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines[..^200]) + "\n")))
        {
            Assert.Equal(2, (await registry.Client.UploadDatasetAsync("credit_versions", v2)).Version.Version);
        }
        var second = await RunAsync(Credit("credit-versions", iterations: 30) with { Dataset = new DatasetRef("credit_versions", 2) });

        Assert.True(first.Promoted);
        var run = await registry.Client.GetRunAsync(second.RunId!.Value);
        Assert.Equal("recorded-metric", run.Tags["gate.mode"]);
        Assert.Contains("was trained on credit_versions v1, not credit_versions v2, so its recorded auc is used", run.Tags["gate.reason"]);
        var v2Model = await registry.Client.GetModelVersionAsync("credit-versions", second.ModelVersion);
        Assert.Equal(2, v2Model.Dataset!.Version);
    }
}
