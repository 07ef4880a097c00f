using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MlOps.PredictionLog;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// Prediction ids in both APIs, and the prediction log through the real pipeline: sampled rows written as Parquet
/// files into a real registry (PostgreSQL + S3) and read back, none at 0%, and a full buffer that drops and counts
/// instead of slowing requests.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class PredictionLogTests(TrainedModels models) : IAsyncLifetime
{
    private readonly RegistryHarness _registry = new();

    public Task InitializeAsync() => _registry.InitializeAsync();

    public Task DisposeAsync() => _registry.DisposeAsync();

    private IReadOnlyList<IReadOnlyDictionary<string, object?>> AmesRows(int count, int skip = 0) =>
        models.Ames.TestRows.Skip(skip).Take(count).ToList<IReadOnlyDictionary<string, object?>>();

    private async Task<Dictionary<string, string?>> LoggedServingAsync(string model, TrainedModel trained, double percent)
    {
        var v1 = await _registry.RegisterAsync(model, trained);
        await _registry.Admin.SetAliasAsync(model, WellKnownAliases.Production, v1.Version);
        var settings = _registry.ServingSettings(model);
        settings["Registry:ApiKey"] = RegistryApiFactory.TrainerKey;
        settings["Serving:PredictionLog:SamplePercent"] = percent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Serving:PredictionLog:FlushSeconds"] = "0.2";
        return settings;
    }

    [Fact]
    public async Task Every_row_gets_its_own_time_ordered_id_in_REST_and_V2()
    {
        await using var serving = new ServingFactory(ServingFactory.FromFiles(("ames", models.Ames.BundlePath)));
        var client = await serving.StartReadyAsync();

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = await LoggedPredictions.PredictAsync(client.Http, "ames", AmesRows(20));
        var single = await LoggedPredictions.PredictAsync(client.Http, "ames", AmesRows(1));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(20, batch.Ids.Count);
        Assert.Single(single.Ids);
        var all = batch.Ids.Concat(single.Ids).Select(Guid.Parse).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, id => Assert.Equal(7, id.Version));
        // UUIDv7 leads with the Unix milliseconds (48 bits): ids sort by time, to the millisecond.
        Assert.All(batch.Ids.Concat(single.Ids), id => Assert.InRange(Convert.ToInt64(id.Replace("-", "")[..12], 16), before, after));
        Assert.True(string.CompareOrdinal(single.Ids[0][..13], batch.Ids[0][..13]) >= 0);
        Assert.Equal(20, batch.Response.Predictions.Count); // the existing fields are unchanged

        var v2 = await client.InferAsync("ames", models.Ames.V2Request(2));
        var idTensor = Assert.Single(v2.Outputs, o => o.Name == "prediction_id");
        Assert.Equal(V2Datatypes.Bytes, idTensor.Datatype);
        Assert.Equal([2L], idTensor.Shape);
        Assert.All(idTensor.Data.EnumerateArray(), e => Assert.Equal(7, Guid.Parse(e.GetString()!).Version));
        var metadata = await client.GetV2MetadataAsync("ames");
        Assert.Contains(metadata.Outputs, o => o.Name == "prediction_id");
    }

    [Fact]
    public async Task At_100_percent_every_row_lands_in_the_registry_as_parquet_and_reads_back()
    {
        await using var serving = new ServingFactory(await LoggedServingAsync("houses", models.Ames, 100));
        var client = await serving.StartReadyAsync();

        var answers = new List<(IReadOnlyDictionary<string, object?> Row, string Id, Prediction Prediction)>();
        foreach (var (skip, count) in new[] { (0, 1), (1, 30), (31, 1), (32, 17) })
        {
            var rows = AmesRows(count, skip);
            var answer = await LoggedPredictions.PredictAsync(client.Http, "houses", rows);
            for (var i = 0; i < count; i++) answers.Add((rows[i], answer.Ids[i], answer.Response.Predictions[i]));
        }
        var v2Ids = (await client.InferAsync("houses", models.Ames.V2Request(2, skip: 60)))
            .Outputs.Single(o => o.Name == "prediction_id").Data.EnumerateArray().Select(e => e.GetString()!).ToList();

        var logged = (await LoggedPredictions.PredictionRowsAsync(_registry, "houses", answers.Count + 2)).ToDictionary(r => r.PredictionId);
        // V2 rows are logged in the same row form as REST ones.
        answers.AddRange(v2Ids.Select((id, i) => (AmesRows(1, 60 + i)[0], id, models.Ames.Offline[60 + i])));
        foreach (var (row, id, prediction) in answers)
        {
            var log = logged[id];
            Assert.Equal(("houses", 1, WellKnownAliases.Production, (string?)null), (log.Model, log.Version, log.Alias, log.Arm));
            Assert.Null(log.Label);
            Assertions.SamePrediction(prediction, JsonSerializer.Deserialize<Prediction>(log.Prediction, RegistryJson.Options)!);
            Assertions.Close(prediction.Value, log.Score);
            var inputs = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(log.Inputs)!;
            Assert.Equal(row.Keys.Order(), inputs.Keys.Order());
            foreach (var (column, value) in row)
            {
                if (value is null) Assert.Equal(JsonValueKind.Null, inputs[column].ValueKind);
                else if (value is double d) Assert.Equal(d, inputs[column].GetDouble());
                else Assert.Equal(value.ToString(), inputs[column].GetString());
            }
            Assert.True(log.LatencyMs > 0);
            Assert.True(Math.Abs((DateTime.UtcNow - log.Timestamp).TotalMinutes) < 5);
        }

        var scrape = await client.Http.GetStringAsync("metrics");
        Assert.Equal(answers.Count, Assertions.Metric(scrape, "mlops_serving_prediction_log_sampled_total", ("model", "houses")));
        Assert.Equal(answers.Count, Assertions.Metric(scrape, "mlops_serving_prediction_log_uploaded_total", ("model", "houses"), ("kind", "predictions")));
        Assert.Equal(0, Assertions.Metric(scrape, "mlops_serving_prediction_log_dropped_total", ("model", "houses"), ("reason", "buffer_full")));
    }

    [Fact]
    public async Task At_0_percent_nothing_is_logged_but_ids_are_still_returned()
    {
        var settings = await LoggedServingAsync("quiet", models.Ames, 0);
        await using (var serving = new ServingFactory(settings))
        {
            var client = await serving.StartReadyAsync();
            var answer = await LoggedPredictions.PredictAsync(client.Http, "quiet", AmesRows(25));
            Assert.Equal(25, answer.Ids.Count);
            var scrape = await client.Http.GetStringAsync("metrics");
            Assert.Equal(0, Assertions.Metric(scrape, "mlops_serving_prediction_log_sampled_total", ("model", "quiet")));
            // Nor does a writer poll for rows that never come: its loop woke the thread pool 100 times a second.
            var writer = serving.Services.GetServices<IHostedService>().OfType<Api.PredictionLog.PredictionLogService>().Single();
            Assert.True(writer.ExecuteTask?.IsCompletedSuccessfully, "the prediction log writer runs at 0 %");
        }
        // Disposed: the writer has flushed whatever it had on shutdown, and there was nothing.
        Assert.Empty((await _registry.Admin.ListPredictionLogFilesAsync("quiet")).Files);
    }

    [Fact]
    public async Task Rows_buffered_at_shutdown_are_stored_before_the_host_stops()
    {
        var settings = await LoggedServingAsync("shutdown", models.Ames, 100);
        settings["Serving:PredictionLog:FlushSeconds"] = "3600";
        await using (var serving = new ServingFactory(settings))
        {
            var client = await serving.StartReadyAsync();
            await LoggedPredictions.PredictAsync(client.Http, "shutdown", AmesRows(12));
        }
        Assert.Equal(12, (await _registry.Admin.ListPredictionLogFilesAsync("shutdown")).Files.Sum(f => f.Rows));
    }

    [Fact]
    public async Task A_full_buffer_drops_and_counts_without_slowing_requests()
    {
        // Offline serving with an unreachable registry: every upload fails and is retried, so the buffer fills.
        var settings = ServingFactory.FromFiles(("ames", models.Ames.BundlePath));
        settings["Registry:BaseAddress"] = "http://127.0.0.1:9/";
        settings["Serving:PredictionLog:SamplePercent"] = "100";
        settings["Serving:PredictionLog:BufferRows"] = "10";
        settings["Serving:PredictionLog:FlushRows"] = "1";
        settings["Serving:PredictionLog:UploadAttempts"] = "100";
        await using var serving = new ServingFactory(settings);
        var client = await serving.StartReadyAsync();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++) await LoggedPredictions.PredictAsync(client.Http, "ames", AmesRows(1, i));
        watch.Stop();

        var scrape = await client.Http.GetStringAsync("metrics");
        Assert.Equal(10, Assertions.Metric(scrape, "mlops_serving_prediction_log_sampled_total", ("model", "ames")));
        Assert.Equal(40, Assertions.Metric(scrape, "mlops_serving_prediction_log_dropped_total", ("model", "ames"), ("reason", "buffer_full")));
        Assert.Equal(10, Assertions.Metric(scrape, "mlops_serving_prediction_log_buffered"));
        // The uploader keeps failing and retrying (first attempt at once, then with backoff), in the background.
        for (var i = 0; i < 100 && !(Assertions.Metric(scrape, "mlops_serving_prediction_log_upload_failures_total", ("model", "ames"), ("kind", "predictions")) >= 1); i++)
        {
            await Task.Delay(200);
            scrape = await client.Http.GetStringAsync("metrics");
        }
        Assert.True(Assertions.Metric(scrape, "mlops_serving_prediction_log_upload_failures_total", ("model", "ames"), ("kind", "predictions")) >= 1);
        // Not a timing claim (bench/ measures cost): the requests did not wait out the uploads' 1 s+ backoff.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"50 requests took {watch.Elapsed}");
    }

    [Fact]
    public async Task Bad_settings_stop_the_start_naming_the_key()
    {
        var settings = ServingFactory.FromFiles(("ames", models.Ames.BundlePath));
        settings["Serving:PredictionLog:SamplePercent"] = "150";
        await using var serving = new ServingFactory(settings);
        var error = Assert.ThrowsAny<Exception>(() => serving.CreateClient());
        Assert.Contains("Serving:PredictionLog:SamplePercent must be 0-100", error.ToString());
    }
}
