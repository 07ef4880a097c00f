using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MlOps.EndToEnd.Tests.Infrastructure;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.EndToEnd.Tests;

/// <summary>
/// Issue 14 end to end, on real processes: predictions logged, feedback posted, the live quality metric on
/// serving's /metrics equal to the quality computed here from the same rows, then a job on the logged window
/// that trains, passes the gate against the served version on those rows, and gets served.
/// </summary>
[Collection(LoggedSystemCollection.Name)]
public sealed class PredictionLogTests(LoggedSystem system)
{
    private const int Rows = 500;

    /// <summary>
    /// Production's prices have risen by half since the model was trained: the posted truths are the dataset's
    /// prices times 1.5. That makes the served version clearly wrong on recent reality, so a version trained on
    /// the logged window must beat it on the window's own test split (the gate scores both there).
    /// </summary>
    private const double PriceRise = 1.5;

    [Fact]
    public async Task Logged_predictions_and_feedback_give_live_quality_and_a_served_retrained_version()
    {
        var trainer = system.RegistryClient(LiveSystem.TrainerKey);
        await using (var csv = File.OpenRead(SampleData.AmesCsvPath))
        {
            await trainer.UploadDatasetAsync(SampleData.AmesDatasetName, csv);
        }
        var first = await WaitForJobAsync((await trainer.SubmitJobAsync(Spec(new DatasetRef(SampleData.AmesDatasetName)))).Id);
        Assert.True(first.Status == JobStatuses.Completed && first.Promoted == true, $"first job {first.Status}: {first.Error}\n{system.Logs()}");
        var v1 = await trainer.GetModelVersionAsync(LoggedSystem.ModelName, first.ModelVersion);
        using var serving = LiveSystem.Http(system.Serving.BaseAddress);
        await ServingProbe.WaitForVersionAsync(serving, LoggedSystem.ModelName, v1.Version, TimeSpan.FromSeconds(60));

        // 1. Predict (every request logged), then post the truths by prediction id.
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var rows = SampleData.ReadRows(Rows);
        var served = new List<(string Id, double Predicted, double Truth)>();
        foreach (var batch in rows.Chunk(100))
        {
            var answer = await ServingProbe.PredictAsync(serving, LoggedSystem.ModelName, batch.Select(r => SampleData.ToJson(r, v1.InputSchema)).ToList());
            Assert.Equal(v1.Version, answer.Version);
            Assert.NotNull(answer.PredictionIds);
            Assert.Equal(batch.Length, answer.PredictionIds.Count);
            for (var i = 0; i < batch.Length; i++)
            {
                var truth = double.Parse(batch[i][SampleData.AmesLabel]!, CultureInfo.InvariantCulture) * PriceRise;
                served.Add((answer.PredictionIds[i], answer.Predictions[i].Value!.Value, truth));
            }
        }
        Assert.Equal(Rows, served.Select(s => s.Id).Distinct().Count());
        var to = DateTimeOffset.UtcNow.AddSeconds(1);
        using (var feedback = LiveSystem.Http(system.Serving.BaseAddress, LiveSystem.TrainerKey))
        {
            var items = new JsonArray(served.Select(s => (JsonNode)new JsonObject { ["predictionId"] = s.Id, ["truth"] = s.Truth }).ToArray());
            using var response = await feedback.PostAsync($"v1/models/{LoggedSystem.ModelName}/feedback", JsonContent.Create(new JsonObject { ["items"] = items }));
            Assert.True(response.IsSuccessStatusCode, $"feedback {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        // 2. The live RMSE on /metrics is the RMSE of these very rows.
        var offline = Math.Sqrt(served.Average(s => (s.Predicted - s.Truth) * (s.Predicted - s.Truth)));
        var live = await WaitForLiveRmseAsync(serving, v1.Version, TimeSpan.FromSeconds(30));
        Figures.Record("prediction log", $"live rmse on /metrics {live:F2} vs {offline:F2} computed from the same {Rows} rows");
        Assert.Equal(offline, live, offline * 1e-9);

        // 3. The log files reach the registry: every logged row and every truth.
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        await WaitForRowsAsync(reader, PredictionLogFileKinds.Predictions, Rows, TimeSpan.FromSeconds(60));
        await WaitForRowsAsync(reader, PredictionLogFileKinds.Feedback, Rows, TimeSpan.FromSeconds(60));

        // 4. A job on the logged window: materialised at submit, trained, gated on the window, promoted, served.
        var window = new PredictionLogWindow(LoggedSystem.ModelName, from, to);
        var submitted = await trainer.SubmitJobAsync(Spec(new DatasetRef(PredictionLog: window)));
        Assert.Equal(LoggedSystem.ModelName + "-log", submitted.Spec.Dataset.Name);
        Assert.NotNull(submitted.Spec.Dataset.Version);
        var dataset = await reader.GetDatasetVersionAsync(submitted.Spec.Dataset.Name, submitted.Spec.Dataset.Version);
        Assert.Equal(Rows, dataset.Rows);
        Assert.Equal((LoggedSystem.ModelName, SampleData.AmesLabel, (long)Rows, (long)Rows), (dataset.Lineage!.Model, dataset.Lineage.Label, dataset.Lineage.LoggedRows, dataset.Lineage.LabelledRows));
        Assert.Equal([v1.Version], dataset.Lineage.Versions);

        var retrained = await WaitForJobAsync(submitted.Id);
        Assert.True(retrained.Status == JobStatuses.Completed, $"window job {retrained.Status}: {retrained.Error}\n{system.Logs()}");
        Figures.Record("prediction log", $"job on the logged window: {retrained.Message}");
        Assert.True(retrained.Promoted == true, $"not promoted: {retrained.Message}");
        Assert.Contains("both scored on the test split", retrained.Message);
        var run = await reader.GetRunAsync(retrained.RunId!.Value);
        Assert.Equal(LoggedSystem.ModelName, run.Params["dataset.predictionLog.model"]);
        Assert.Equal(submitted.Spec.Dataset.Name, run.Params["dataset.name"]);
        await ServingProbe.WaitForVersionAsync(serving, LoggedSystem.ModelName, retrained.ModelVersion!.Value, TimeSpan.FromSeconds(60));
        var after = await ServingProbe.PredictAsync(serving, LoggedSystem.ModelName, [SampleData.ToJson(rows[0], v1.InputSchema)]);
        Assert.Equal(retrained.ModelVersion, after.Version);
    }

    private static TrainingJobSpec Spec(DatasetRef dataset) => new(
        Experiment: "e2e-prediction-log",
        Dataset: dataset,
        Task: TrainingTasks.Regression,
        Label: SampleData.AmesLabel,
        Trainer: new TrainerParams(NumberOfIterations: 60, NumberOfLeaves: 31, LearningRate: 0.1, MinimumExampleCountPerLeaf: 10, Seed: 42),
        Split: new SplitSpec(0.2, 42),
        Register: new RegisterSpec(LoggedSystem.ModelName, LiveSystem.Alias, new GateSpec("rmse", 0.0)));

    private async Task<TrainingJob> WaitForJobAsync(Guid id)
    {
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var job = await reader.GetJobAsync(id);
            if (job.Status is JobStatuses.Completed or JobStatuses.Failed) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id} still {job.Status}\n{system.Logs()}");
            await Task.Delay(250);
        }
    }

    private async Task<double> WaitForLiveRmseAsync(HttpClient serving, int version, TimeSpan timeout)
    {
        string[] labels = [$"model=\"{LoggedSystem.ModelName}\"", $"version=\"{version}\""];
        double? Find(Dictionary<string, double> samples, string? metric) =>
            samples.Where(s => labels.All(s.Key.Contains) && (metric is null || s.Key.Contains($"metric=\"{metric}\"")))
                .Select(s => (double?)s.Value).FirstOrDefault();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var quality = await ServingProbe.ScrapeAsync(serving, "mlops_serving_live_quality");
            var count = await ServingProbe.ScrapeAsync(serving, "mlops_serving_live_quality_rows");
            if (Find(count, null) >= Rows && Find(quality, "rmse") is { } rmse) return rmse;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"live rmse of {Rows} rows not on /metrics: {string.Join(", ", quality.Concat(count))}\n{system.Logs()}");
            await Task.Delay(250);
        }
    }

    private async Task WaitForRowsAsync(RegistryClient reader, string kind, long rows, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            long total = 0;
            Guid? after = null;
            do
            {
                var page = await reader.ListPredictionLogFilesAsync(LoggedSystem.ModelName, kind, after: after);
                total += page.Files.Sum(f => f.Rows);
                after = page.Next;
            }
            while (after is not null);
            if (total >= rows) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{total} of {rows} {kind} rows reached the registry\n{system.Logs()}");
            await Task.Delay(500);
        }
    }
}
