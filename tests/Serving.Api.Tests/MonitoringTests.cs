using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>/metrics exports the serving instruments under the names of docs/conventions.md; drift PSI moves with the input.</summary>
[Collection(ServingCollection.Name)]
public sealed class MonitoringTests(TrainedModels models)
{
    private ServingFactory Factory()
    {
        var settings = ServingFactory.FromFiles(("ames", models.Ames.BundlePath));
        settings["Serving:Drift:SampleEvery"] = "1";
        settings["Serving:Drift:MinRows"] = "100";
        settings["Serving:Drift:WindowRows"] = "200";
        return new ServingFactory(settings);
    }

    private IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows(Func<Dictionary<string, object?>, Dictionary<string, object?>>? change = null) =>
        models.Ames.TestRows.Take(200).Select(r => (IReadOnlyDictionary<string, object?>)(change?.Invoke(new(r)) ?? r)).ToList();

    [Fact]
    public async Task Metrics_use_the_conventional_names_and_tags()
    {
        await using var factory = Factory();
        var client = await factory.StartReadyAsync();
        await client.PredictAsync("ames", PredictRequest.Batch(Rows()));
        await client.PredictAsync("ames", PredictRequest.Single(models.Ames.TestRows[0]));
        var bad = await client.Http.PostJsonAsync("v1/models/ames/predict", "{\"features\":{}}");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);

        var scrape = await client.Http.GetStringAsync("metrics");
        Assert.Equal(2, Assertions.Metric(scrape, "mlops_serving_requests_total", ("model", "ames"), ("version", "1"), ("outcome", "ok")));
        Assert.Equal(1, Assertions.Metric(scrape, "mlops_serving_requests_total", ("model", "ames"), ("version", "1"), ("outcome", "invalid")));
        Assert.Equal(2, Assertions.Metric(scrape, "mlops_serving_latency_seconds_count", ("model", "ames"), ("version", "1")));
        Assert.Equal(201, Assertions.Metric(scrape, "mlops_serving_rows_sum", ("model", "ames")));
        Assert.Equal(1, Assertions.Metric(scrape, "mlops_serving_model_load_duration_seconds_count", ("model", "ames"), ("outcome", "ok")));
        Assert.Equal(1, Assertions.Metric(scrape, "mlops_serving_active_version", ("model", "ames"), ("alias", "file")));
        Assert.NotNull(Assertions.Metric(scrape, "mlops_serving_drift_psi", ("model", "ames"), ("feature", "Lot_Area")));
    }

    [Fact]
    public async Task Drift_psi_is_low_for_test_data_and_high_for_the_shifted_feature()
    {
        await using var factory = Factory();
        var client = await factory.StartReadyAsync();

        await client.PredictAsync("ames", PredictRequest.Batch(Rows()));
        var scrape = await client.Http.GetStringAsync("metrics");
        var before = Assertions.Metric(scrape, "mlops_serving_drift_psi", ("model", "ames"), ("feature", "Gr_Liv_Area"))!.Value;
        Assert.True(before < 0.1, $"held-out rows from the training distribution should not drift (PSI {before})");

        // The window holds 200 rows: these replace the first batch. Living area x3 is far outside the baseline bins.
        await client.PredictAsync("ames", PredictRequest.Batch(Rows(r =>
        {
            r["Gr_Liv_Area"] = (double)r["Gr_Liv_Area"]! * 3;
            return r;
        })));
        await Task.Delay(400); // the Prometheus exporter caches a scrape briefly
        scrape = await client.Http.GetStringAsync("metrics");
        var after = Assertions.Metric(scrape, "mlops_serving_drift_psi", ("model", "ames"), ("feature", "Gr_Liv_Area"))!.Value;
        var untouched = Assertions.Metric(scrape, "mlops_serving_drift_psi", ("model", "ames"), ("feature", "Year_Built"))!.Value;
        Assert.True(after > 0.25, $"shifted feature PSI {after}");
        Assert.True(untouched < 0.1, $"unshifted feature PSI {untouched}");
    }
}
