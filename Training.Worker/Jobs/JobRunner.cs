using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Problems;
using MlOps.Registry.Client.Runs;
using MlOps.Training.Worker.Promotion;
using MlOps.Training.Worker.Sweeps;
using MlOps.Training.Worker.Telemetry;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Jobs;

/// <summary>
/// Runs one leased job: dataset (sha256 checked) -> run -> train (or sweep) -> register -> gate -> complete.
/// Bad specs fail the job for good with the reason; other errors fail it retryably; a shutdown releases it unless
/// the model is already trained, in which case it is finished within <see cref="WorkerOptions.FinishGraceSeconds"/>.
/// </summary>
public sealed class JobRunner(
    RegistryClient registry,
    PromotionGate gate,
    TrainingMetrics metrics,
    JobProgress progress,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    ILogger<JobRunner> logger)
{
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(15);

    /// <param name="leaseRequestedAt">When the lease request that brought the job was sent: where its trace starts.</param>
    public async Task RunAsync(JobLease lease, CancellationToken stopping, DateTimeOffset? leaseRequestedAt = null)
    {
        var spec = lease.Spec;
        var leasedAt = DateTimeOffset.UtcNow;
        using var activity = TrainingTelemetry.StartJob(lease.JobId, lease.Attempt, spec.Task, spec.Register?.Model, identity.Name, leaseRequestedAt ?? leasedAt);
        TrainingTelemetry.RecordLease(activity, leaseRequestedAt ?? leasedAt, leasedAt, options.Value.LeaseSeconds);
        var scope = new JobLogScope(lease.JobId, lease.Attempt, spec.Register?.Model);
        using var logScope = logger.BeginScope(scope);
        progress.Started(lease.JobId, lease.Attempt, spec.Register?.Model);
        try
        {
            await RunLeasedAsync(lease, scope, activity, stopping);
        }
        finally
        {
            progress.Finished();
        }
    }

    private async Task RunLeasedAsync(JobLease lease, JobLogScope scope, Activity? activity, CancellationToken stopping)
    {
        var spec = lease.Spec;
        logger.LogInformation("Leased job {JobId} (attempt {Attempt}): {Task} of '{Label}' on {Dataset}", lease.JobId, lease.Attempt, spec.Task, spec.Label, spec.Dataset.Name);
        await using var keeper = new LeaseKeeper(registry, lease.JobId, identity.Name, options.Value, logger);
        using var training = CancellationTokenSource.CreateLinkedTokenSource(stopping, keeper.Lost);
        var state = new JobState(scope, activity);
        try
        {
            await ExecuteAsync(lease, keeper, state, training.Token, stopping);
        }
        catch (OperationCanceledException) when (keeper.IsLost)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "lease lost");
            logger.LogWarning("Job {JobId}: lease lost, abandoning it to its new holder", lease.JobId);
            await EndRunAsync(state.RunId, RunStatuses.Killed, "lease lost: another worker holds the job");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            activity?.SetTag("mlops.job.outcome", "released");
            logger.LogInformation("Job {JobId}: shutting down, releasing it", lease.JobId);
            // The run first: once the job is back in the queue, its state is what readers see.
            await EndRunAsync(state.RunId, RunStatuses.Killed, "worker shut down: job released to the queue");
            await ReportAsync(ct => registry.ReleaseJobAsync(lease.JobId, new ReleaseJobRequest(identity.Name), ct), "release");
            metrics.Job(spec.Task, "released");
        }
        catch (Exception e)
        {
            var permanent = e is TrainingSpecException or InvalidDataException;
            var error = permanent ? e.Message : $"{e.GetType().Name}: {e.Message}";
            // A real failure: an error, with the job, run and model in the log scope and the trace.
            TrainingTelemetry.Fail(activity, e);
            activity?.SetTag("mlops.job.outcome", "failed");
            logger.LogError(e, "Job {JobId} failed ({Kind}): {Error}", lease.JobId, permanent ? "permanent" : "retryable", error);
            await EndRunAsync(state.RunId, RunStatuses.Failed, error);
            await ReportAsync(ct => registry.FailJobAsync(lease.JobId, new FailJobRequest(identity.Name, error, Retryable: !permanent), ct), "fail");
            metrics.Job(spec.Task, "failed");
        }
    }

    /// <summary>What the job has produced so far: in its log scope and on its root span as soon as known.</summary>
    private sealed class JobState(JobLogScope scope, Activity? job)
    {
        public Guid? RunId
        {
            get => scope.RunId;
            set
            {
                scope.RunId = value;
                job?.SetTag(TrainingTelemetry.RunId, value?.ToString());
            }
        }

        public void Registered(int version)
        {
            scope.ModelVersion = version;
            job?.SetTag(TrainingTelemetry.ModelVersion, version);
        }
    }

    private async Task ExecuteAsync(JobLease lease, LeaseKeeper keeper, JobState state, CancellationToken ct, CancellationToken stopping)
    {
        var spec = lease.Spec;
        // The registry checked these at submit; a job queued by an older registry gets the same rules before any work.
        if (JobSpecRules.Check(spec) is { } invalid) throw new TrainingSpecException(invalid);
        var dataset = await ResolveDatasetAsync(spec.Dataset, ct);
        // The prediction log window (if any) stays on the spec: the gate compares on it (PromotionGate).
        var resolved = spec with { Dataset = spec.Dataset with { Name = dataset.Dataset, Version = dataset.Version } };
        var datasetRef = new DatasetVersionRef(dataset.Dataset, dataset.Version);

        await registry.GetOrCreateExperimentAsync(spec.Experiment, ct);
        if (lease.RunId is { } abandoned)
            await EndRunAsync(abandoned, RunStatuses.Killed, $"its worker stopped holding the job; retried as attempt {lease.Attempt}");
        var run = await registry.CreateRunAsync(new CreateRunRequest(spec.Experiment,
            Name: $"job-{lease.JobId.ToString("N")[..8]}-attempt-{lease.Attempt}",
            Params: SpecParams(resolved),
            Tags: new Dictionary<string, string>
            {
                ["job.id"] = lease.JobId.ToString(),
                ["job.attempt"] = Invariant(lease.Attempt),
                ["worker"] = identity.Name,
                ["dataset.sha256"] = dataset.Sha256,
            }), ct);
        state.RunId = run.Id;
        await keeper.ReportRunAsync(run.Id, ct);

        var data = await LoadDataAsync(resolved, dataset, ct);
        TrainingResult result;
        Guid modelRunId;
        using (var train = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Train))
        {
            train?.SetTag("mlops.train.rows", data.Train.Length);
            train?.SetTag("mlops.test.rows", data.Test.Length);
            train?.SetTag("mlops.features", data.Features.Count);
            (result, modelRunId) = spec.Sweep is { } sweep
                ? await SweepAsync(data, sweep, run, ct)
                : (await TrainAndLogAsync(data, LightGbmSettings.From(spec.Trainer, options.Value.Threads), run.Id, ct, Describe(data, spec.Trainer)), run.Id);
        }
        metrics.Trained(spec.Task, result.TrainingTime);

        // Trained: from here a shutdown no longer releases the job, it is finished within the grace time.
        using var finishing = CancellationTokenSource.CreateLinkedTokenSource(keeper.Lost);
        await using var onStop = stopping.Register(() => finishing.CancelAfter(TimeSpan.FromSeconds(options.Value.FinishGraceSeconds)));
        var done = finishing.Token;

        ModelVersion? version = null;
        GateDecision? decision = null;
        var tags = new Dictionary<string, string>
        {
            ["model.sha256"] = result.Sha256,
            // Whether serving can score this model without loading ML.NET (docs/serving-api.md, trees.json).
            ["model.plain_trees"] = result.WithoutPlainTrees is { } why ? "no: " + why : "yes",
        };
        if (resolved.Register is { } register)
        {
            using (var upload = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.BundleUpload))
            {
                progress.Phase("uploading the model bundle", $"{result.Bundle.Length} bytes");
                upload?.SetTag(TrainingTelemetry.Model, register.Model);
                upload?.SetTag("mlops.bundle.bytes", result.Bundle.Length);
                upload?.SetTag("mlops.bundle.sha256", result.Sha256);
                var earlier = await FindEarlierRegistrationAsync(register.Model, lease.JobId, result.Sha256, done);
                upload?.SetTag("mlops.bundle.reused", earlier is not null);
                version = earlier ?? await registry.RegisterModelVersionAsync(register.Model, Metadata(lease, resolved, datasetRef, result, modelRunId), new MemoryStream(result.Bundle), done);
                upload?.SetTag(TrainingTelemetry.ModelVersion, version.Version);
            }
            state.Registered(version.Version);
            tags["model.name"] = register.Model;
            tags["model.version"] = Invariant(version.Version);
            using (var gating = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Gate))
            {
                progress.Phase("promotion gate", register.Alias is null ? null : $"against the holder of '{register.Alias}'");
                decision = await gate.DecideAsync(data, result, datasetRef, done);
                foreach (var (key, value) in decision.ToTags()) gating?.SetTag("mlops." + key, value);
                gating?.SetTag("mlops.gate.promote", decision.Promote);
            }
            foreach (var (key, value) in decision.ToTags()) tags[key] = value;
        }
        await registry.UpdateRunAsync(run.Id, new UpdateRunRequest(RunStatuses.Finished, tags), done);
        var message = decision?.Reason ?? "Trained; the spec registers no model.";
        using (var complete = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Complete))
        {
            // The registry moves the alias in the same transaction as the completion: this span is the alias move.
            progress.Phase("completing", decision?.Promote == true ? $"moving '{resolved.Register!.Alias}' to v{version!.Version}" : null);
            complete?.SetTag("mlops.alias", resolved.Register?.Alias);
            complete?.SetTag("mlops.alias.moved", decision?.Promote == true);
            await registry.CompleteJobAsync(lease.JobId, new CompleteJobRequest(identity.Name, run.Id, version?.Version, decision?.Promote, message), done);
        }
        Activity.Current?.SetTag("mlops.job.outcome", "completed");
        metrics.Job(spec.Task, "completed");
        if (decision is not null && resolved.Register?.Alias is not null) metrics.Promotion(resolved.Register.Model, decision.Promote);
        logger.LogInformation("Job {JobId} completed: {Message}", lease.JobId, message);
    }

    /// <summary>
    /// An attempt that died between registering and completing left its version behind: training is deterministic,
    /// so this attempt's model has the same sha256, and that version is reused rather than registered twice.
    /// </summary>
    private async Task<ModelVersion?> FindEarlierRegistrationAsync(string model, Guid jobId, string sha256, CancellationToken ct)
    {
        if (await registry.GetModelAsync(model, ct) is null) return null;
        var versions = await registry.ListModelVersionsAsync(model, ct);
        return versions.FirstOrDefault(v => v.Sha256 == sha256 && v.Tags.TryGetValue("job.id", out var job) && job == jobId.ToString());
    }

    private async Task<DatasetVersion> ResolveDatasetAsync(DatasetRef dataset, CancellationToken ct)
    {
        try
        {
            return await registry.GetDatasetVersionAsync(dataset.Name, dataset.Version, ct);
        }
        catch (RegistryApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new TrainingSpecException($"Dataset '{dataset.Name}' {(dataset.Version is { } v ? "version " + Invariant(v) : "(latest version)")} does not exist in the registry.");
        }
    }

    /// <summary>Streams the dataset version and checks its bytes against the registered sha256 before use.</summary>
    private async Task<TrainingData> LoadDataAsync(TrainingJobSpec spec, DatasetVersion dataset, CancellationToken ct)
    {
        using var activity = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.DatasetDownload);
        activity?.SetTag("mlops.dataset.name", dataset.Dataset);
        activity?.SetTag("mlops.dataset.version", dataset.Version);
        activity?.SetTag("mlops.dataset.bytes", dataset.SizeBytes);
        activity?.SetTag("mlops.dataset.sha256", dataset.Sha256);
        progress.Phase("downloading the dataset", $"{dataset.Dataset} v{dataset.Version}, {dataset.SizeBytes} bytes");
        // On disk, not in memory: the bytes are checked before any is parsed, then streamed into typed columns.
        await using var file = await SpoolAsync(dataset, ct);
        var verified = string.Equals(file.Sha256, dataset.Sha256, StringComparison.OrdinalIgnoreCase);
        activity?.SetTag("mlops.dataset.sha256_verified", verified);
        if (!verified)
            throw new InvalidOperationException($"Dataset {dataset.Dataset} v{dataset.Version}: downloaded bytes hash to {file.Sha256}, the registry says {dataset.Sha256}.");
        progress.Phase("loading the dataset", $"{dataset.Dataset} v{dataset.Version}, {file.Bytes} bytes");
        var data = TrainingData.Load(spec, file, dataset.Columns);
        activity?.SetTag("mlops.dataset.rows", data.Labels.Length);
        return data;
    }

    private async Task<DatasetFile> SpoolAsync(DatasetVersion dataset, CancellationToken ct)
    {
        await using var download = await registry.OpenDatasetContentAsync(dataset.Dataset, dataset.Version, ct);
        return await DatasetFile.SpoolAsync(download.Content, ct);
    }

    private async Task<TrainingResult> TrainAndLogAsync(TrainingData data, LightGbmSettings settings, Guid runId, CancellationToken ct, string what)
    {
        progress.Phase("training", what);
        await registry.LogParamsAsync(runId, settings.ToParams(), ct);
        var result = await ModelTrainer.TrainAsync(data, settings, ct);
        await registry.LogMetricsAsync(runId, MetricPoints(result), ct);
        return result;
    }

    /// <summary>Each trial a child run on the same split; the best on the gate metric is the job's model.</summary>
    private async Task<(TrainingResult Best, Guid BestRun)> SweepAsync(TrainingData data, SweepSpec sweep, Run parent, CancellationToken ct)
    {
        var spec = data.Spec;
        var trials = SweepPlanner.Plan(sweep, spec.Trainer);
        var settings = trials.Select(t => LightGbmSettings.From(t, options.Value.Threads)).ToList();
        var metric = spec.Register?.Gate?.Metric ?? MetricNames.DefaultFor(spec.Task);
        await registry.LogParamsAsync(parent.Id, new Dictionary<string, string>
        {
            ["sweep.strategy"] = sweep.Strategy,
            ["sweep.trials"] = Invariant(trials.Count),
            ["sweep.seed"] = Invariant(sweep.Seed),
            ["sweep.metric"] = metric,
        }, ct);

        (TrainingResult Result, Guid Run, int Trial)? best = null;
        for (var i = 0; i < settings.Count; i++)
        {
            using var trial = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Trial);
            trial?.SetTag("mlops.sweep.trial", i + 1);
            trial?.SetTag("mlops.sweep.trials", settings.Count);
            var child = await registry.CreateRunAsync(new CreateRunRequest(spec.Experiment, Name: $"{parent.Name}-trial-{i + 1}", ParentRunId: parent.Id,
                Tags: new Dictionary<string, string> { ["sweep.trial"] = Invariant(i + 1) }), ct);
            trial?.SetTag(TrainingTelemetry.RunId, child.Id.ToString());
            var result = await TrainAndLogAsync(data, settings[i], child.Id, ct, $"trial {i + 1}/{settings.Count}, {Describe(data, trials[i])}");
            await registry.UpdateRunAsync(child.Id, new UpdateRunRequest(RunStatuses.Finished), ct);
            var better = best is null || (MetricNames.LowerIsBetter(metric)
                ? result.Metrics[metric] < best.Value.Result.Metrics[metric]
                : result.Metrics[metric] > best.Value.Result.Metrics[metric]);
            if (better) best = (result, child.Id, i + 1);
        }
        var (bestResult, bestRun, bestTrial) = best!.Value;
        await registry.LogMetricsAsync(parent.Id, bestResult.Metrics.Select(m => new MetricPoint(m.Key, m.Value)).ToList(), ct);
        await registry.UpdateRunAsync(parent.Id, new UpdateRunRequest(Tags: new Dictionary<string, string>
        {
            ["sweep.best_trial"] = Invariant(bestTrial),
            ["sweep.best_run"] = bestRun.ToString(),
        }), ct);
        return (bestResult, bestRun);
    }

    /// <summary>"300 iterations on 2344 rows x 80 features": what the health description shows while training.</summary>
    private static string Describe(TrainingData data, TrainerParams? trainer) =>
        $"{LightGbmSettings.From(trainer).NumberOfIterations} boosting iterations on {data.Train.Length} rows x {data.Features.Count} features";

    private static List<MetricPoint> MetricPoints(TrainingResult result)
    {
        var points = result.Metrics.Select(m => new MetricPoint(m.Key, m.Value)).ToList();
        points.AddRange(result.LearningCurve.Select(p => new MetricPoint(p.Key, p.Value, p.Step)));
        points.AddRange(result.FeatureImportance.Select(f => new MetricPoint(MetricNames.ImportancePrefix + f.Key, f.Value)));
        points.Add(new MetricPoint("train_seconds", result.TrainingTime.TotalSeconds));
        return points;
    }

    private ModelVersionMetadata Metadata(JobLease lease, TrainingJobSpec spec, DatasetVersionRef dataset, TrainingResult result, Guid runId) => new(
        RunId: runId,
        Dataset: dataset,
        Task: spec.Task,
        InputSchema: result.InputSchema(),
        Metrics: result.Metrics,
        Sha256: result.Sha256,
        Label: spec.Label,
        Description: $"LightGBM {spec.Task} of '{spec.Label}' on {dataset.Name} v{dataset.Version} (job {lease.JobId})",
        Tags: new Dictionary<string, string>
        {
            ["job.id"] = lease.JobId.ToString(),
            ["job.attempt"] = Invariant(lease.Attempt),
            ["worker"] = identity.Name,
            ["dataset.sha256"] = result.DatasetSha256,
            ["split.test_rows"] = Invariant(result.TestRows),
            ["split.train_rows"] = Invariant(result.TrainRows),
        });

    private static Dictionary<string, string> SpecParams(TrainingJobSpec spec)
    {
        var split = spec.Split ?? new SplitSpec();
        var parameters = new Dictionary<string, string>
        {
            ["task"] = spec.Task,
            ["label"] = spec.Label,
            ["dataset.name"] = spec.Dataset.Name,
            ["dataset.version"] = Invariant(spec.Dataset.Version ?? 0),
            ["split.testFraction"] = split.TestFraction.ToString("R", CultureInfo.InvariantCulture),
            ["split.seed"] = Invariant(split.Seed),
            ["features"] = spec.Features is { } f ? string.Join(",", f) : "all but the label",
        };
        if (spec.PositiveClass is { } positive) parameters["positiveClass"] = positive;
        if (spec.Dataset.PredictionLog is { } window)
        {
            parameters["dataset.predictionLog.model"] = window.Model;
            parameters["dataset.predictionLog.from"] = window.From.ToString("O", CultureInfo.InvariantCulture);
            parameters["dataset.predictionLog.to"] = window.To.ToString("O", CultureInfo.InvariantCulture);
            parameters["dataset.predictionLog.versions"] = window.Versions is { } v ? string.Join(",", v) : "all";
        }
        return parameters;
    }

    private async Task EndRunAsync(Guid? runId, string status, string reason)
    {
        if (runId is not { } id) return;
        await ReportAsync(ct => registry.UpdateRunAsync(id, new UpdateRunRequest(status, new Dictionary<string, string> { ["error"] = reason }), ct), "end run");
    }

    /// <summary>A last report to the registry, even while shutting down; logged, never thrown (the lease expires anyway).</summary>
    private async Task ReportAsync<T>(Func<CancellationToken, Task<T>> call, string what)
    {
        using var timeout = new CancellationTokenSource(ReportTimeout);
        try
        {
            await call(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or RegistryApiException or OperationCanceledException)
        {
            logger.LogWarning(e, "Could not {What} at the registry", what);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
