using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Runs;
using MlOps.Training.Worker.Tests.Infrastructure;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Jobs;

/// <summary>The worker loop on the three real datasets through the real registry (PostgreSQL + S3).</summary>
public sealed class WorkerQualityTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Each_task_trains_on_its_dataset_reaches_its_bar_and_is_registered_promoted_and_logged()
    {
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        var jobs = new List<(TrainingJob Job, TrainingJobSpec Spec, string Metric, double Bar)>();
        foreach (var (spec, metric, bar) in new[]
        {
            (Samples.Ames, MetricNames.R2, 0.85),
            (Samples.Credit, MetricNames.Auc, 0.8),
            (Samples.Hpc, MetricNames.Accuracy, 0.75),
        })
        {
            jobs.Add((await registry.SubmitAsync(spec), spec, metric, bar));
        }

        foreach (var (submitted, spec, metric, bar) in jobs)
        {
            var job = await registry.WaitForJobAsync(submitted.Id);
            Assert.True(job.Status == JobStatuses.Completed, $"{spec.Dataset.Name}: {job.Status} {job.Error}");
            Assert.Equal(1, job.ModelVersion);
            Assert.True(job.Promoted);

            var version = await registry.Client.GetModelVersionAsync(spec.Register!.Model, job.ModelVersion);
            Assert.True(version.Metrics[metric] > bar, $"{spec.Dataset.Name}: {metric} {version.Metrics[metric]}");
            Assert.Equal(new DatasetVersionRef(spec.Dataset.Name, 1), version.Dataset);
            Assert.Equal(job.RunId, version.RunId);
            Assert.Equal(spec.Task, version.Task);
            Assert.NotEmpty(version.InputSchema);
            var alias = await registry.Client.GetAliasAsync(spec.Register.Model, spec.Register.Alias!);
            Assert.Equal(version.Version, alias!.Version);

            // The artifact is the bundle serving loads: manifest, baseline and importance inside.
            await using (var artifact = await registry.Client.OpenArtifactAsync(spec.Register.Model, version.Version))
            {
                using var bytes = new MemoryStream();
                await artifact.Content.CopyToAsync(bytes);
                bytes.Position = 0;
                var (manifest, model) = await ModelBundleFile.ReadAsync(bytes, CancellationToken.None);
                await model.DisposeAsync();
                Assert.Equal(version.InputSchema.Count, manifest.Baseline.Count);
                Assert.NotEmpty(manifest.FeatureImportance);
                Assert.Equal(spec.Dataset.Name, manifest.DatasetName);
            }

            var run = await registry.Client.GetRunAsync(job.RunId!.Value);
            Assert.Equal(RunStatuses.Finished, run.Status);
            Assert.Equal(spec.Task, run.Params["task"]);
            Assert.Equal("1", run.Params["dataset.version"]);
            Assert.True(run.Params.ContainsKey("numberOfIterations"));
            Assert.Equal("promoted", run.Tags["gate.decision"]);
            Assert.Equal("no-holder", run.Tags["gate.mode"]);
            // Every task's bundle carries its plain trees: serving scores it without loading ML.NET.
            Assert.Equal("yes", run.Tags["model.plain_trees"]);
            Assert.Equal(version.Metrics[metric], run.Metrics[metric], 1e-12);
            Assert.Contains(run.Metrics.Keys, k => k.StartsWith(MetricNames.ImportancePrefix, StringComparison.Ordinal));
        }

        // Learning curves, one point per iteration, where ML.NET's trees allow one (regression, binary).
        var amesRun = (await registry.Client.GetJobAsync(jobs[0].Job.Id)).RunId!.Value;
        var ames = await registry.Client.GetMetricHistoryAsync(amesRun, MetricNames.LearningCurvePrefix + MetricNames.Rmse);
        Assert.Equal(Enumerable.Range(1, jobs[0].Job.Spec.Trainer!.NumberOfIterations!.Value).Select(i => (long)i), ames.Select(p => p.Step));
        Assert.True(ames[0].Value > ames[^1].Value);

        // The worker's own metrics on its /metrics endpoint (names of docs/conventions.md).
        using var http = new HttpClient { BaseAddress = worker.Address };
        var scrape = await http.GetStringAsync("metrics");
        Assert.Contains("mlops_training_jobs_total{", scrape);
        Assert.Contains("outcome=\"completed\"", scrape);
        Assert.Contains("mlops_training_duration_seconds_bucket{", scrape);
        Assert.Contains("mlops_training_promotions_total{", scrape);
    }
}
