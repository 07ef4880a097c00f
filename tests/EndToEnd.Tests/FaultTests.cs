using System.Net;
using System.Text;
using MlOps.EndToEnd.Tests.Infrastructure;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Problems;

namespace MlOps.EndToEnd.Tests;

/// <summary>Crashes and outages, each leaving the system healthy again for the next test.</summary>
[Collection(LiveSystemCollection.Name)]
public sealed class FaultTests(LiveSystem system)
{
    private const int Kills = 10;

    [Fact]
    public async Task Workers_killed_mid_training_lose_no_job_and_train_none_twice()
    {
        await system.EnsureProductionModelAsync();
        var trainer = system.RegistryClient(LiveSystem.TrainerKey);
        const string model = "e2e-kill";
        var jobs = new List<Guid>();
        var killed = 0;
        for (var i = 0; i < Kills; i++)
        {
            // Enough trees that training outlasts the time it takes us to see the lease and kill its holder.
            var spec = LiveSystem.AmesSpec(1500, "e2e-kill") with { Register = new RegisterSpec(model) };
            var job = await trainer.SubmitJobAsync(spec, $"e2e-kill-{i}-{Guid.NewGuid():N}");
            jobs.Add(job.Id);
            var holder = await WaitForHolderAsync(job.Id);
            if (holder is null) continue;
            await holder.KillAsync();
            killed++;
            await system.StartWorkerAsync();
        }

        var finished = new List<TrainingJob>();
        foreach (var id in jobs) finished.Add(await system.WaitForJobAsync(id, TimeSpan.FromMinutes(4)));
        var versions = await trainer.ListModelVersionsAsync(model);

        var lost = finished.Count(j => j.Status != JobStatuses.Completed);
        var doubleTrained = versions.Count - finished.Count(j => j.ModelVersion is not null);
        Figures.Record("worker kill -9", $"{killed} of {Kills} jobs had their worker killed mid-job; {lost} lost, {doubleTrained} trained twice; attempts per job: {string.Join(',', finished.Select(j => j.Attempts))}");
        Assert.Equal(Kills, killed);
        Assert.Equal(0, lost);
        Assert.Equal(Kills, versions.Count);
        Assert.Equal(Kills, finished.Select(j => j.ModelVersion).Distinct().Count());
    }

    [Fact]
    public async Task S3_outage_answers_503_leaves_no_row_and_recovers()
    {
        var production = await system.EnsureProductionModelAsync();
        var trainer = system.RegistryClient(LiveSystem.TrainerKey);
        var before = await system.SnapshotAsync();
        var csv = "a,b\n1,x\n2,y\n";

        await system.Backing.StopS3Async();
        HttpStatusCode uploadStatus, artifactStatus;
        try
        {
            uploadStatus = await StatusOf(() => trainer.UploadDatasetAsync("e2e-during-outage", new MemoryStream(Encoding.UTF8.GetBytes(csv))));
            await using var artifact = new MemoryStream(Encoding.UTF8.GetBytes("bytes"));
            var metadata = new Registry.Client.Models.ModelVersionMetadata(null, null, TrainingTasks.Regression, production.InputSchema,
                new Dictionary<string, double>(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("bytes"u8)));
            artifactStatus = await StatusOf(() => trainer.RegisterModelVersionAsync("e2e-outage-model", metadata, artifact));
            // Serving does not need S3 to answer from its loaded model.
            using var serving = LiveSystem.Http(system.Serving[0].BaseAddress);
            await ServingProbe.PredictAsync(serving, LiveSystem.ModelName, [SampleData.ToJson(SampleData.ReadRows(1)[0], production.InputSchema)]);
        }
        finally
        {
            await system.Backing.StartS3Async();
        }
        var during = await system.SnapshotAsync();
        var recovered = await trainer.UploadDatasetAsync("e2e-after-outage", new MemoryStream(Encoding.UTF8.GetBytes(csv)));

        Figures.Record("S3 outage", $"dataset upload answered {(int)uploadStatus}, model version upload answered {(int)artifactStatus}; registry rows unchanged: {before == during}; upload after recovery: version {recovered.Version.Version}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, uploadStatus);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, artifactStatus);
        Assert.Equal(before, during);
    }

    [Fact]
    public async Task PostgreSQL_restart_under_load_is_survived_without_restarting_any_service()
    {
        var production = await system.EnsureProductionModelAsync();
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        var row = SampleData.ToJson(SampleData.ReadRows(1)[0], production.InputSchema);
        await using var load = new SteadyLoad(system.Serving, LiveSystem.ModelName, row, loopsPerReplica: 1);
        var registryFailures = 0;
        var registryCalls = 0;
        using var stop = new CancellationTokenSource();
        var registryLoad = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                registryCalls++;
                try { await reader.GetModelVersionAsync(LiveSystem.ModelName, production.Version); }
                catch (Exception e) when (e is RegistryApiException or HttpRequestException) { registryFailures++; }
                await Task.Delay(20);
            }
        });

        await Task.Delay(1000);
        var restartedAt = DateTime.UtcNow;
        await system.Backing.RestartPostgresAsync();
        var restartTook = DateTime.UtcNow - restartedAt;
        // Recovered: the registry answers again, served by the same process.
        var recoveredAfter = await TimeUntilAsync(async () => (await reader.GetModelVersionAsync(LiveSystem.ModelName, production.Version)).Version == production.Version, TimeSpan.FromSeconds(30));
        await Task.Delay(1000);
        stop.Cancel();
        await registryLoad;
        await load.StopAsync();

        Figures.Record("PostgreSQL restart", $"pg_ctl restart took {restartTook.TotalSeconds:F1} s; the registry answered again {recoveredAfter.TotalSeconds:F1} s after it returned; {registryFailures} of {registryCalls} registry calls failed meanwhile; serving: {load.Failures.Count} of {load.Answers.Count + load.Failures.Count} failed");
        Assert.NotNull(system.Registry.ProcessId);
        Assert.Empty(load.Failures);
        Assert.True(DateTime.UtcNow - restartedAt < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Serving_keeps_serving_while_the_registry_is_down()
    {
        var production = await system.EnsureProductionModelAsync();
        var row = SampleData.ToJson(SampleData.ReadRows(1)[0], production.InputSchema);
        await system.Registry.KillAsync();
        int answers;
        int failures;
        try
        {
            await using var load = new SteadyLoad(system.Serving, LiveSystem.ModelName, row, loopsPerReplica: 1);
            await Task.Delay(TimeSpan.FromSeconds(5));
            await load.StopAsync();
            answers = load.Answers.Count;
            failures = load.Failures.Count;
        }
        finally
        {
            system.Registry.Start();
            await system.Registry.WaitHealthyAsync("/health", TimeSpan.FromSeconds(60));
        }
        Figures.Record("registry down", $"serving answered {answers} requests in 5 s with the registry killed, {failures} failed");
        Assert.True(answers > 50, $"{answers} answers");
        Assert.Equal(0, failures);
    }

    private async Task<ServiceProcess?> WaitForHolderAsync(Guid job)
    {
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var state = await reader.GetJobAsync(job);
            if (state.Status == JobStatuses.Leased && state.LeaseOwner is { } owner)
                return system.Workers.FirstOrDefault(w => w.ProcessId is { } pid && LeaseOwnerIsProcess(owner, pid))
                    ?? throw new InvalidOperationException($"no worker process matches lease owner '{owner}'");
            if (state.Status is JobStatuses.Completed or JobStatuses.Failed) return null;
            await Task.Delay(20);
        }
        throw new TimeoutException($"job {job} was never leased\n{system.Logs()}");
    }

    // Workers name themselves "<host>:<pid>:<suffix>" (Training.Worker): the pid tells which process holds a lease.
    private static bool LeaseOwnerIsProcess(string owner, int pid) => owner.Split(':', '/', '-').Contains(pid.ToString());

    private static async Task<HttpStatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return HttpStatusCode.OK;
        }
        catch (RegistryApiException e)
        {
            return e.StatusCode;
        }
    }

    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < timeout)
        {
            try
            {
                if (await condition()) return DateTime.UtcNow - started;
            }
            catch (Exception e) when (e is RegistryApiException or HttpRequestException)
            {
                // Not yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("did not recover");
    }
}
