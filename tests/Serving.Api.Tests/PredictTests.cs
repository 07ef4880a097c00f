using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>Served predictions equal the offline model's, for the three tasks, single rows and batches.</summary>
[Collection(ServingCollection.Name)]
public sealed class PredictTests(TrainedModels models) : IAsyncLifetime
{
    private ServingFactory _factory = null!;
    private ServingClient _client = null!;

    public async Task InitializeAsync()
    {
        _factory = new ServingFactory(ServingFactory.FromFiles(
            ("ames", models.Ames.BundlePath), ("credit", models.Credit.BundlePath), ("hpc", models.Hpc.BundlePath)));
        _client = await _factory.StartReadyAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("ames")]
    [InlineData("credit")]
    [InlineData("hpc")]
    public async Task Batch_predictions_equal_the_offline_model(string name)
    {
        var model = Model(name);
        var response = await _client.PredictAsync(name, PredictRequest.Batch(model.TestRows.ToList<IReadOnlyDictionary<string, object?>>()));

        Assert.Equal(name, response.Model);
        Assert.Equal(1, response.Version);
        Assert.Equal(model.TestRows.Count, response.Predictions.Count);
        for (var i = 0; i < model.TestRows.Count; i++) Assertions.SamePrediction(model.Offline[i], response.Predictions[i]);
        Assert.True(response.LatencyMs > 0);
    }

    [Theory]
    [InlineData("ames")]
    [InlineData("credit")]
    [InlineData("hpc")]
    public async Task Single_row_predictions_equal_the_offline_model(string name)
    {
        var model = Model(name);
        for (var i = 0; i < 25; i++)
        {
            var response = await _client.PredictAsync(name, PredictRequest.Single(model.TestRows[i]));
            Assert.Single(response.Predictions);
            Assertions.SamePrediction(model.Offline[i], response.Predictions[0]);
        }
    }

    [Fact]
    public async Task Default_model_answers_predict_and_model_info()
    {
        var response = await _client.PredictDefaultAsync(PredictRequest.Single(models.Ames.TestRows[3]));
        Assert.Equal("ames", response.Model);
        Assertions.SamePrediction(models.Ames.Offline[3], response.Predictions[0]);

        var info = await _client.GetDefaultModelInfoAsync();
        Assert.Equal("ames", info.Name);
        Assert.Equal("regression", info.Task);
        Assert.Equal("Sale_Price", info.Label);
        Assert.Equal(models.Ames.Sha256, info.Primary.Sha256);
        // The trainer's bundle is served from its plain trees: the evaluator, and no ML.NET loaded for it.
        Assert.Equal("tree-evaluator", info.Primary.Scorer);
        Assert.Null(info.Primary.MlNetLoadReason);
        Assert.Equal(models.Ames.Result.Manifest.Features.Count, info.InputSchema.Count);
        Assert.Contains(info.InputSchema, c => c.Name == "Neighborhood" && c.Type == "categorical" && c.Levels!.Contains("North_Ames"));
        Assert.Equal(models.Ames.Result.Metrics["rmse"], info.Metrics["rmse"]);
    }

    [Fact]
    public async Task Columns_in_any_order_and_escaped_names_give_the_same_answer()
    {
        var row = models.Ames.TestRows[7];
        var reversed = string.Join(",", row.Reverse().Select(kv =>
            $"\"{EscapeAll(kv.Key)}\":{System.Text.Json.JsonSerializer.Serialize(kv.Value)}"));
        var response = await _client.Http.PostJsonAsync("v1/models/ames/predict", "{\"features\":{" + reversed + "}}");
        response.EnsureSuccessStatusCode();
        var body = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<PredictResponse>(response.Content, Registry.Client.RegistryJson.Options);
        Assertions.SamePrediction(models.Ames.Offline[7], body!.Predictions[0]);
    }

    [Fact]
    public async Task Unknown_model_is_a_404_problem()
    {
        var error = await Assert.ThrowsAsync<ServingApiException>(() => _client.PredictAsync("nope", PredictRequest.Single(models.Ames.TestRows[0])));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("nope", error.Problem?.Detail);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_serving_endpoints()
    {
        var doc = await _client.Http.GetStringAsync("openapi/v1.json");
        foreach (var path in new[] { "/v1/models/{name}/predict", "/v1/models/{name}", "/predict", "/model/info", "/v2/models/{name}/infer", "/v2/health/ready" })
            Assert.Contains($"\"{path}\"", doc);
        Assert.Contains("PredictResponse", doc);
    }

    // \u-escapes every character: the parser must unescape names before matching them.
    private static string EscapeAll(string s) => string.Concat(s.Select(c => $"\\u{(int)c:x4}"));

    private TrainedModel Model(string name) => name switch
    {
        "ames" => models.Ames,
        "credit" => models.Credit,
        _ => models.Hpc,
    };
}
