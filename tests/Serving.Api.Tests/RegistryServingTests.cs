using System.Collections.Concurrent;
using System.Net;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// Serving against a real registry (PostgreSQL + S3) with real trained models: load by alias with sha256 check,
/// readiness, swap under load, refusal of a corrupt artifact, canary split and shadow mode.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class RegistryServingTests(TrainedModels models) : IAsyncLifetime
{
    private readonly RegistryHarness _registry = new();

    public Task InitializeAsync() => _registry.InitializeAsync();

    public Task DisposeAsync() => _registry.DisposeAsync();

    [Fact]
    public async Task Serves_the_alias_version_with_offline_predictions()
    {
        var v1 = await _registry.RegisterAsync("houses", models.Ames);
        await _registry.Admin.SetAliasAsync("houses", WellKnownAliases.Production, v1.Version);

        await using var serving = new ServingFactory(_registry.ServingSettings("houses"));
        var client = await serving.StartReadyAsync();
        var response = await client.PredictAsync("houses", PredictRequest.Batch(models.Ames.TestRows.ToList<IReadOnlyDictionary<string, object?>>()));

        Assert.Equal(v1.Version, response.Version);
        Assert.Equal(WellKnownAliases.Production, response.Alias);
        for (var i = 0; i < models.Ames.TestRows.Count; i++) Assertions.SamePrediction(models.Ames.Offline[i], response.Predictions[i]);
        var info = await client.GetModelInfoAsync("houses");
        Assert.Equal(models.Ames.Sha256, info.Primary.Sha256);
    }

    [Fact]
    public async Task Not_ready_until_the_alias_exists_and_loads()
    {
        await using var serving = new ServingFactory(_registry.ServingSettings("late"));
        var client = serving.CreateServingClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.Http.GetAsync("health")).StatusCode);
        Assert.False(await client.IsReadyAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("alive")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("v2/health/live")).StatusCode);
        var early = await Assert.ThrowsAsync<ServingApiException>(() => client.PredictAsync("late", PredictRequest.Single(models.Ames.TestRows[0])));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);

        var v1 = await _registry.RegisterAsync("late", models.Ames);
        await _registry.Admin.SetAliasAsync("late", WellKnownAliases.Production, v1.Version);
        await serving.StartReadyAsync(TimeSpan.FromSeconds(30));
        Assert.True(await client.IsReadyAsync());
        Assertions.SamePrediction(models.Ames.Offline[0], (await client.PredictAsync("late", PredictRequest.Single(models.Ames.TestRows[0]))).Predictions[0]);
    }

    [Fact]
    public async Task Alias_move_swaps_under_concurrent_load_with_zero_failed_requests()
    {
        var v1 = await _registry.RegisterAsync("swap", models.Ames);
        var v2 = await _registry.RegisterAsync("swap", models.AmesAlternative);
        await _registry.Admin.SetAliasAsync("swap", WellKnownAliases.Production, v1.Version);
        await using var serving = new ServingFactory(_registry.ServingSettings("swap"));
        var client = await serving.StartReadyAsync();

        var failures = new ConcurrentQueue<string>();
        var byVersion = new ConcurrentDictionary<int, int>();
        using var stop = new CancellationTokenSource();
        var sawV2 = new TaskCompletionSource();
        var load = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var i = worker;
            while (!stop.IsCancellationRequested)
            {
                var row = i++ % models.Ames.TestRows.Count;
                try
                {
                    var response = await client.PredictAsync("swap", PredictRequest.Single(models.Ames.TestRows[row]));
                    byVersion.AddOrUpdate(response.Version, 1, (_, n) => n + 1);
                    var expected = response.Version == v1.Version ? models.Ames : models.AmesAlternative;
                    Assertions.SamePrediction(expected.Offline[row], response.Predictions[0]);
                    if (response.Version == v2.Version) sawV2.TrySetResult();
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.Message);
                }
            }
        })).ToArray();

        await Task.Delay(500);
        await _registry.Admin.SetAliasAsync("swap", WellKnownAliases.Production, v2.Version, "swap test");
        await sawV2.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(load);

        Assert.Empty(failures);
        Assert.True(byVersion.GetValueOrDefault(v1.Version) > 0, "no request was answered before the swap");
        Assert.True(byVersion.GetValueOrDefault(v2.Version) > 0, "no request was answered after the swap");
        Assert.Equal(v2.Version, (await client.GetModelInfoAsync("swap")).Primary.Version);
    }

    [Fact]
    public async Task Corrupt_or_unloadable_artifacts_are_refused_while_the_old_version_serves()
    {
        var v1 = await _registry.RegisterAsync("guarded", models.Ames);
        await _registry.Admin.SetAliasAsync("guarded", WellKnownAliases.Production, v1.Version);
        await using var serving = new ServingFactory(_registry.ServingSettings("guarded"));
        var client = await serving.StartReadyAsync();

        // v2: registered intact, then its stored bytes change under the registry: the sha256 check must refuse it.
        var v2 = await _registry.RegisterAsync("guarded", models.AmesAlternative);
        var tampered = (byte[])models.AmesAlternative.Bytes.Clone();
        tampered[tampered.Length / 2] ^= 0xFF;
        await _registry.CorruptStoredArtifactAsync(v2.Sha256, tampered);
        await _registry.Admin.SetAliasAsync("guarded", WellKnownAliases.Production, v2.Version);
        var failures = await WaitForLoadFailuresAsync(client, "guarded", atLeast: 1);

        await AssertServesAsync(client, "guarded", v1.Version);

        // v3: sha256 matches but the bytes are not a model bundle: the load fails, v1 still serves.
        var garbage = System.Text.Encoding.UTF8.GetBytes("this is not a model bundle");
        var v3 = await _registry.RegisterBytesAsync("guarded", garbage, "regression", models.Ames.Result.Manifest.Features);
        await _registry.Admin.SetAliasAsync("guarded", WellKnownAliases.Production, v3.Version);
        await WaitForLoadFailuresAsync(client, "guarded", atLeast: failures + 1);

        await AssertServesAsync(client, "guarded", v1.Version);
        Assert.True(await client.IsReadyAsync());
    }

    [Fact]
    public async Task Canary_answers_its_weight_of_2000_requests()
    {
        var (serving, client, v1, v2) = await StartWithSecondVersionAsync("split", CanaryModes.Canary, weight: 20);
        await using var _ = serving;

        var counts = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var row = i % models.Ames.TestRows.Count;
            var response = await client.PredictAsync("split", PredictRequest.Single(models.Ames.TestRows[row]), ct);
            counts.AddOrUpdate(response.Version, 1, (_, n) => n + 1);
            var expected = response.Version == v2.Version ? models.AmesAlternative : models.Ames;
            Assert.Equal(response.Version == v2.Version ? WellKnownAliases.Staging : WellKnownAliases.Production, response.Alias);
            Assertions.SamePrediction(expected.Offline[row], response.Predictions[0]);
        });

        var canaryShare = counts.GetValueOrDefault(v2.Version) / 2000.0 * 100;
        Assert.InRange(canaryShare, 15, 25);
        Assert.Equal(2000, counts.Values.Sum());
        var info = await client.GetModelInfoAsync("split");
        Assert.Equal(v2.Version, info.Canary?.Version?.Version);
        Assert.Equal(20, info.Canary?.Weight);
    }

    [Fact]
    public async Task Shadow_mode_answers_with_the_primary_and_counts_disagreements()
    {
        var (serving, client, v1, v2) = await StartWithSecondVersionAsync("shadowed", CanaryModes.Shadow, weight: 0);
        await using var _ = serving;

        var response = await client.PredictAsync("shadowed", PredictRequest.Batch(models.Ames.TestRows.Take(50).ToList<IReadOnlyDictionary<string, object?>>()));
        Assert.Equal(v1.Version, response.Version);
        for (var i = 0; i < 50; i++) Assertions.SamePrediction(models.Ames.Offline[i], response.Predictions[i]);

        // The two trainings differ on every row, so all 50 shadowed rows disagree.
        var disagreeing = Enumerable.Range(0, 50).Count(i => Math.Abs(models.Ames.Offline[i].Value!.Value - models.AmesAlternative.Offline[i].Value!.Value) > 1e-6);
        var scrape = await ScrapeUntilAsync(client, s => Assertions.Metric(s, "mlops_serving_shadow_disagreements_total", ("model", "shadowed")) is not null);
        Assert.Equal(disagreeing, Assertions.Metric(scrape, "mlops_serving_shadow_disagreements_total", ("model", "shadowed")));
        Assert.Equal(v1.Version, Assertions.Metric(scrape, "mlops_serving_active_version", ("model", "shadowed"), ("alias", "production")));
        Assert.Equal(v2.Version, Assertions.Metric(scrape, "mlops_serving_active_version", ("model", "shadowed"), ("alias", "staging")));
    }

    [Fact]
    public async Task Drift_over_the_threshold_queues_one_retraining_job()
    {
        var v1 = await _registry.RegisterAsync("drifting", models.Ames);
        await _registry.Admin.SetAliasAsync("drifting", WellKnownAliases.Production, v1.Version);
        var settings = _registry.ServingSettings("drifting");
        settings["Registry:ApiKey"] = RegistryApiFactory.TrainerKey;
        settings["Serving:Drift:SampleEvery"] = "1";
        settings["Serving:Drift:WindowRows"] = "100";
        settings["Serving:Drift:MinRows"] = "100";
        settings["Serving:Drift:Retrain:Enabled"] = "true";
        settings["Serving:Drift:Retrain:CheckSeconds"] = "0.2";
        await using var serving = new ServingFactory(settings);
        var client = await serving.StartReadyAsync();

        var shifted = models.Ames.TestRows.Take(100).Select(r =>
            (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(r) { ["Gr_Liv_Area"] = (double)r["Gr_Liv_Area"]! * 3 }).ToList();
        await client.PredictAsync("drifting", PredictRequest.Batch(shifted));
        await client.PredictAsync("drifting", PredictRequest.Batch(shifted));

        var key = $"drift:drifting:v{v1.Version}";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<Registry.Client.Jobs.TrainingJob> jobs;
        while ((jobs = (await _registry.Admin.ListJobsAsync()).Where(j => j.IdempotencyKey == key).ToList()).Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        await Task.Delay(1000); // more checks run meanwhile: still one job
        jobs = (await _registry.Admin.ListJobsAsync()).Where(j => j.IdempotencyKey == key).ToList();

        var job = Assert.Single(jobs);
        Assert.Equal("ames_housing", job.Spec.Dataset.Name);
        Assert.Null(job.Spec.Dataset.Version);
        Assert.Equal("regression", job.Spec.Task);
        Assert.Equal("Sale_Price", job.Spec.Label);
        Assert.Equal("drifting", job.Spec.Register?.Model);
        Assert.Null(job.Spec.Register?.Alias);
    }

    /// <summary>Production -> Ames v1, staging -> the alternative training v2; serving with staging as canary or shadow.</summary>
    private async Task<(ServingFactory Serving, ServingClient Client, ModelVersion V1, ModelVersion V2)> StartWithSecondVersionAsync(string model, string mode, int weight)
    {
        var v1 = await _registry.RegisterAsync(model, models.Ames);
        var v2 = await _registry.RegisterAsync(model, models.AmesAlternative);
        await _registry.Admin.SetAliasAsync(model, WellKnownAliases.Production, v1.Version);
        await _registry.Admin.SetAliasAsync(model, WellKnownAliases.Staging, v2.Version);
        var settings = _registry.ServingSettings(model);
        settings["Serving:Models:0:Canary:Alias"] = WellKnownAliases.Staging;
        settings["Serving:Models:0:Canary:Mode"] = mode;
        settings["Serving:Models:0:Canary:Weight"] = weight.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var serving = new ServingFactory(settings);
        return (serving, await serving.StartReadyAsync(), v1, v2);
    }

    private async Task AssertServesAsync(ServingClient client, string model, int version)
    {
        var response = await client.PredictAsync(model, PredictRequest.Single(models.Ames.TestRows[5]));
        Assert.Equal(version, response.Version);
        Assertions.SamePrediction(models.Ames.Offline[5], response.Predictions[0]);
    }

    private static async Task<double> WaitForLoadFailuresAsync(ServingClient client, string model, double atLeast)
    {
        var scrape = await ScrapeUntilAsync(client, s => Assertions.Metric(s, "mlops_serving_model_load_failures_total", ("model", model)) >= atLeast);
        return Assertions.Metric(scrape, "mlops_serving_model_load_failures_total", ("model", model))!.Value;
    }

    private static async Task<string> ScrapeUntilAsync(ServingClient client, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var scrape = await client.Http.GetStringAsync("metrics");
            if (condition(scrape)) return scrape;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("metrics never matched:\n" + scrape);
            await Task.Delay(200);
        }
    }
}
