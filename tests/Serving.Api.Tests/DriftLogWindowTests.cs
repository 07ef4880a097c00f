using System.Net.Http.Headers;
using System.Net.Http.Json;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// Drift retraining with <c>Serving:Drift:Retrain:LogWindowHours</c>: the job trains on the model's recent logged,
/// labelled predictions (materialised by the registry at submit), or on the training dataset when none is labelled.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class DriftLogWindowTests(TrainedModels models) : IAsyncLifetime
{
    private readonly RegistryHarness _registry = new();

    public Task InitializeAsync() => _registry.InitializeAsync();

    public Task DisposeAsync() => _registry.DisposeAsync();

    [Fact]
    public async Task A_drifted_version_is_retrained_on_its_labelled_log_window_else_on_its_training_dataset()
    {
        var settings = _registry.ServingSettings("window");
        var i = 0;
        foreach (var name in new[] { "window", "unlabelled" })
        {
            var version = await _registry.RegisterAsync(name, models.Ames);
            await _registry.Admin.SetAliasAsync(name, WellKnownAliases.Production, version.Version);
            settings[$"Serving:Models:{i}:Name"] = name;
            settings[$"Serving:Models:{i++}:Alias"] = WellKnownAliases.Production;
        }
        settings["Registry:ApiKey"] = RegistryApiFactory.TrainerKey;
        settings["Serving:PredictionLog:SamplePercent"] = "100";
        settings["Serving:PredictionLog:FlushSeconds"] = "0.2";
        settings["Serving:Drift:SampleEvery"] = "1";
        // No drift score before 250 rows: the 100 labelled rows (whose test-split Year_Sold alone already drifts)
        // are served and labelled before any check can queue a job.
        settings["Serving:Drift:WindowRows"] = "250";
        settings["Serving:Drift:MinRows"] = "250";
        settings["Serving:Drift:Retrain:Enabled"] = "true";
        settings["Serving:Drift:Retrain:CheckSeconds"] = "0.2";
        settings[DriftRetrainer.LogWindowHoursKey] = "1";
        await using var serving = new ServingFactory(settings);
        await serving.StartReadyAsync();
        using var trainer = serving.CreateClient();
        trainer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RegistryApiFactory.TrainerKey);

        // "window": 100 ordinary rows served and labelled (the label: whatever production said, here the prediction + 1000).
        var rows = models.Ames.TestRows.Take(100).ToList<IReadOnlyDictionary<string, object?>>();
        var answer = await LoggedPredictions.PredictAsync(trainer, "window", rows);
        using (var feedback = await trainer.PostAsJsonAsync("v1/models/window/feedback",
                   new { items = answer.Ids.Zip(answer.Response.Predictions).Select(p => new { predictionId = p.First, truth = p.Second.Value + 1000 }) }))
        {
            Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync());
        }
        await LoggedPredictions.PredictionRowsAsync(_registry, "window", 100);

        // Then both drift: three times the living area.
        var shifted = rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(r) { ["Gr_Liv_Area"] = (double)r["Gr_Liv_Area"]! * 3 }).ToList();
        foreach (var model in new[] { "window", "unlabelled" })
        {
            for (var n = 0; n < 3; n++) await LoggedPredictions.PredictAsync(trainer, model, shifted);
        }

        var onWindow = await WaitForDriftJobAsync("window");
        Assert.Equal("window-log", onWindow.Spec.Dataset.Name);
        Assert.Equal(1, onWindow.Spec.Dataset.Version);
        Assert.Equal("window", onWindow.Spec.Dataset.PredictionLog?.Model);
        Assert.Null(onWindow.Spec.Register?.Alias);
        var dataset = await _registry.Admin.GetDatasetVersionAsync("window-log", 1);
        // The 100 labelled rows; the shifted ones (those already uploaded at submit) have no truth.
        Assert.Equal((100L, "Sale_Price"), (dataset.Rows, dataset.Lineage!.Label));
        Assert.InRange(dataset.Lineage.LoggedRows, 100, 400);

        var onTrainingData = await WaitForDriftJobAsync("unlabelled");
        Assert.Equal("ames_housing", onTrainingData.Spec.Dataset.Name);
        Assert.Null(onTrainingData.Spec.Dataset.PredictionLog);
    }

    private async Task<TrainingJob> WaitForDriftJobAsync(string model)
    {
        var key = $"drift:{model}:v1";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if ((await _registry.Admin.ListJobsAsync()).SingleOrDefault(j => j.IdempotencyKey == key) is { } job) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no job {key}");
            await Task.Delay(200);
        }
    }
}
