using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Telemetry;
using MlOps.Training.Worker.Tests.Infrastructure;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Jobs;

/// <summary>A job's trace, its log scope and the worker's health description (docs/observability.md).</summary>
public sealed class ObservabilityTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static TrainingJobSpec Credit(string model, int iterations) => Samples.Credit with
    {
        Experiment = "observed-" + model,
        Trainer = new TrainerParams(NumberOfIterations: iterations, NumberOfLeaves: 15, LearningRate: 0.1, Seed: 3),
        Register = new RegisterSpec(model, "production", new GateSpec(MetricNames.Auc, 0)),
    };

    [Fact]
    public async Task One_job_is_one_trace_from_lease_to_alias_move_with_the_registry_and_database_calls_inside_it()
    {
        using var spans = new CollectedSpans();
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        var submitted = await registry.SubmitAsync(Credit("credit-traced", iterations: 30));
        var job = await registry.WaitForJobAsync(submitted.Id);
        Assert.True(job.Status == JobStatuses.Completed && job.Promoted == true, $"{job.Status}: {job.Error} {job.Message}");

        var root = await WaitForSpanAsync(spans, a => a.OperationName == TrainingTelemetry.Job && (string?)a.GetTagItem(TrainingTelemetry.JobId) == job.Id.ToString());
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(job.RunId.ToString(), root.GetTagItem(TrainingTelemetry.RunId));
        Assert.Equal(job.ModelVersion, root.GetTagItem(TrainingTelemetry.ModelVersion));
        Assert.Equal("credit-traced", root.GetTagItem(TrainingTelemetry.Model));
        Assert.Equal("completed", root.GetTagItem("mlops.job.outcome"));
        Assert.NotEqual(ActivityStatusCode.Error, root.Status);

        var trace = spans.InTrace(root.TraceId);
        Activity Child(string name, Activity parent)
        {
            var span = Assert.Single(trace, a => a.Source.Name == TrainingTelemetry.SourceName && a.OperationName == name);
            Assert.Equal(parent.SpanId, span.ParentSpanId);
            return span;
        }
        var lease = Child(TrainingTelemetry.Lease, root);
        Assert.True(lease.StartTimeUtc >= root.StartTimeUtc && lease.Duration > TimeSpan.Zero, "the lease span sits at the start of the job");
        var download = Child(TrainingTelemetry.DatasetDownload, root);
        Assert.True((long)download.GetTagItem("mlops.dataset.bytes")! > 0);
        Assert.Equal(true, download.GetTagItem("mlops.dataset.sha256_verified"));
        Assert.Matches("^[0-9a-f]{64}$", (string)download.GetTagItem("mlops.dataset.sha256")!);
        var train = Child(TrainingTelemetry.Train, root);
        var fit = Child(TrainingTelemetry.Fit, train);
        Assert.Equal(30, fit.GetTagItem("mlops.lightgbm.iterations"));
        Assert.True((int)fit.GetTagItem("mlops.train.rows")! > 0 && (int)fit.GetTagItem("mlops.features")! > 0);
        var evaluate = Child(TrainingTelemetry.Evaluate, train);
        Assert.NotNull(evaluate.GetTagItem("mlops.metric.auc"));
        var upload = Child(TrainingTelemetry.BundleUpload, root);
        Assert.Equal(job.ModelVersion, upload.GetTagItem(TrainingTelemetry.ModelVersion));
        var gate = Child(TrainingTelemetry.Gate, root);
        Assert.Equal(true, gate.GetTagItem("mlops.gate.promote"));
        var complete = Child(TrainingTelemetry.Complete, root);
        Assert.Equal(true, complete.GetTagItem("mlops.alias.moved"));
        Assert.Equal("production", complete.GetTagItem("mlops.alias"));

        // Linked across worker -> registry -> PostgreSQL / S3: the registry's server spans are inside the worker's.
        var uploadServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && CollectedSpans.Descends(a, upload, trace)
            && a.DisplayName.StartsWith("POST /api/v1/models/", StringComparison.Ordinal));
        Assert.Contains(trace, a => a.Source.Name == "Npgsql" && CollectedSpans.Descends(a, uploadServer, trace));
        Assert.Contains(trace, a => a.Kind == ActivityKind.Client && a.Source.Name == "System.Net.Http" && CollectedSpans.Descends(a, uploadServer, trace));
        var completeServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && CollectedSpans.Descends(a, complete, trace));
        Assert.Contains(trace, a => a.Source.Name == "Npgsql" && a.DisplayName == "postgresql UPDATE" && CollectedSpans.Descends(a, completeServer, trace));
        Assert.Contains(trace, a => a.Kind == ActivityKind.Server && CollectedSpans.Descends(a, download, trace) && a.DisplayName.Contains("/content", StringComparison.Ordinal));

        // Plumbing is not recorded: lease long-polls and heartbeats, on the worker's side and the registry's.
        var plumbing = spans.Stopped.Where(a => (a.Source.Name is "System.Net.Http" or "Microsoft.AspNetCore")
            && (PathOf(a).EndsWith("/jobs/lease", StringComparison.Ordinal) || PathOf(a).EndsWith("/heartbeat", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(plumbing);
        Assert.All(plumbing, a => Assert.False(a.Recorded, $"{a.Source.Name} {a.DisplayName} {PathOf(a)} is recorded"));
    }

    [Fact]
    public async Task A_failed_job_logs_an_error_with_job_run_and_model_in_its_scope_and_marks_its_trace()
    {
        using var spans = new CollectedSpans();
        var logs = new CapturedLogs();
        await using var worker = await WorkerHost.StartAsync(registry.Address, configure: b => b.Logging.AddProvider(logs));
        var submitted = await registry.SubmitAsync(Credit("credit-broken", iterations: 10) with { Label = "no_such_column" });
        var job = await registry.WaitForJobAsync(submitted.Id);
        Assert.Equal(JobStatuses.Failed, job.Status);

        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(job.Id.ToString(), error.Scope[TrainingTelemetry.JobId]);
        Assert.Equal(job.RunId.ToString(), error.Scope[TrainingTelemetry.RunId]);
        Assert.Equal("credit-broken", error.Scope[TrainingTelemetry.Model]);
        Assert.Contains("no_such_column", error.Message);
        // Every line of the job carries the job id, not only the failure.
        Assert.All(logs.Entries.Where(e => e.Message.Contains(job.Id.ToString(), StringComparison.Ordinal)),
            e => Assert.Equal(job.Id.ToString(), e.Scope[TrainingTelemetry.JobId]));

        var root = await WaitForSpanAsync(spans, a => a.OperationName == TrainingTelemetry.Job && (string?)a.GetTagItem(TrainingTelemetry.JobId) == job.Id.ToString());
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("failed", root.GetTagItem("mlops.job.outcome"));
    }

    [Fact]
    public async Task Health_says_which_job_is_training_and_in_which_phase_then_idle()
    {
        await using var worker = await WorkerHost.StartAsync(registry.Address);
        using var http = new HttpClient { BaseAddress = worker.Address };
        Assert.StartsWith("Idle: waiting for a job (0 handled", await TrainingDescriptionAsync(http));

        // Enough boosting iterations on the Ames data for the training phase to be seen.
        var submitted = await registry.SubmitAsync(Samples.Ames with
        {
            Experiment = "observed-health",
            Trainer = new TrainerParams(NumberOfIterations: 400, NumberOfLeaves: 31, LearningRate: 0.05, Seed: 1),
            Register = null,
        });
        var seen = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var description = await TrainingDescriptionAsync(http);
            if (seen.Count == 0 || seen[^1] != description) seen.Add(description);
            if (description.Contains("training: 400 boosting iterations", StringComparison.Ordinal)) break;
            await Task.Delay(50);
        }
        var training = seen.LastOrDefault(d => d.Contains("training: ", StringComparison.Ordinal));
        Assert.True(training is not null, "never saw the training phase: " + string.Join(" | ", seen));
        Assert.StartsWith($"Job {submitted.Id} (attempt 1): training: 400 boosting iterations on ", training);
        Assert.Matches(@"on \d+ rows x \d+ features, \d+ s in this phase", training);

        var job = await registry.WaitForJobAsync(submitted.Id);
        Assert.Equal(JobStatuses.Completed, job.Status);
        for (var i = 0; i < 100 && !(await TrainingDescriptionAsync(http)).StartsWith("Idle", StringComparison.Ordinal); i++) await Task.Delay(50);
        Assert.StartsWith("Idle: waiting for a job (1 handled", await TrainingDescriptionAsync(http));
    }

    private static async Task<string> TrainingDescriptionAsync(HttpClient http)
    {
        using var response = await http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        return body.RootElement.GetProperty("checks").GetProperty("training").GetProperty("description").GetString()!;
    }

    private static string PathOf(Activity a) =>
        (a.GetTagItem("url.path") as string) ?? (a.GetTagItem("url.full") is string full ? new Uri(full).AbsolutePath : "");

    private static async Task<Activity> WaitForSpanAsync(CollectedSpans spans, Func<Activity, bool> match)
    {
        for (var i = 0; i < 200; i++)
        {
            if (spans.Stopped.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(25);
        }
        throw new TimeoutException("span not ended: " + string.Join(", ", spans.Stopped.Select(a => a.OperationName).Distinct()));
    }
}
