using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Feedback;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// <c>POST /v1/models/{name}/feedback</c> against a real registry: the registry decides who may send it, bad
/// batches are refused whole, and live quality on /metrics and <c>/quality</c> equals the quality computed
/// offline from the rows stored in the bucket (logged predictions joined with feedback).
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class FeedbackTests(TrainedModels models) : IAsyncLifetime
{
    private readonly RegistryHarness _registry = new();
    private ServingFactory _serving = null!;
    private HttpClient _trainer = null!;

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        var settings = _registry.ServingSettings("houses");
        var i = 0;
        foreach (var (name, trained) in new[] { ("houses", models.Ames), ("credit", models.Credit), ("hpc", models.Hpc) })
        {
            var version = await _registry.RegisterAsync(name, trained);
            await _registry.Admin.SetAliasAsync(name, WellKnownAliases.Production, version.Version);
            settings[$"Serving:Models:{i}:Name"] = name;
            settings[$"Serving:Models:{i++}:Alias"] = WellKnownAliases.Production;
        }
        settings["Registry:ApiKey"] = RegistryApiFactory.TrainerKey;
        settings["Serving:PredictionLog:SamplePercent"] = "100";
        settings["Serving:PredictionLog:FlushSeconds"] = "0.2";
        settings["Serving:Feedback:MaxItems"] = "100";
        _serving = new ServingFactory(settings);
        await _serving.StartReadyAsync();
        _trainer = WithKey(RegistryApiFactory.TrainerKey);
    }

    public async Task DisposeAsync()
    {
        await _serving.DisposeAsync();
        await _registry.DisposeAsync();
    }

    private HttpClient WithKey(string? key)
    {
        var http = _serving.CreateClient();
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static Task<HttpResponseMessage> PostFeedbackAsync(HttpClient http, string model, IEnumerable<(string Id, object Truth)> items) =>
        http.PostAsJsonAsync($"v1/models/{model}/feedback",
            new { items = items.Select(x => new { predictionId = x.Id, truth = x.Truth }) });

    private async Task<List<(string Id, Prediction Prediction)>> PredictAsync(string model, TrainedModel trained, int rows)
    {
        var answers = new List<(string, Prediction)>();
        for (var skip = 0; skip < rows; skip += 25)
        {
            var batch = trained.TestRows.Skip(skip).Take(Math.Min(25, rows - skip)).ToList<IReadOnlyDictionary<string, object?>>();
            var answer = await LoggedPredictions.PredictAsync(_trainer, model, batch);
            answers.AddRange(answer.Ids.Zip(answer.Response.Predictions));
        }
        return answers;
    }

    private async Task<FeedbackResponse> SendAsync(string model, IEnumerable<(string Id, object Truth)> items)
    {
        using var response = await PostFeedbackAsync(_trainer, model, items);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<FeedbackResponse>(text, RegistryJson.Options)!;
    }

    /// <summary>The logged predictions of <paramref name="model"/> joined with its stored feedback (latest truth per id), read from the bucket.</summary>
    private async Task<List<(Prediction Prediction, string Truth)>> StoredJoinAsync(string model, int predictions, int feedback)
    {
        var logged = await LoggedPredictions.PredictionRowsAsync(_registry, model, predictions);
        var truths = (await LoggedPredictions.FeedbackRowsAsync(_registry, model, feedback))
            .OrderBy(f => f.ReceivedAt).GroupBy(f => f.PredictionId).ToDictionary(g => g.Key, g => g.Last().Truth);
        Assert.All(await LoggedPredictions.FeedbackRowsAsync(_registry, model, feedback), f => Assert.StartsWith("trainer:", f.Source));
        return logged.Where(r => truths.ContainsKey(r.PredictionId))
            .Select(r => (JsonSerializer.Deserialize<Prediction>(r.Prediction, RegistryJson.Options)!, truths[r.PredictionId]))
            .ToList();
    }

    private async Task<string> ScrapeAsync()
    {
        await Task.Delay(400); // the Prometheus exporter caches a scrape briefly
        return await _trainer.GetStringAsync("metrics");
    }

    private static void SameMetric(double expected, string scrape, string model, string metric)
    {
        var actual = Assertions.Metric(scrape, "mlops_serving_live_quality", ("model", model), ("version", "1"), ("metric", metric));
        Assert.True(actual is { } a && Math.Abs(a - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{model} {metric}: offline {expected}, /metrics {actual}");
    }

    [Fact]
    public async Task Regression_live_rmse_and_mae_equal_the_offline_figures_from_the_stored_rows()
    {
        var answers = await PredictAsync("houses", models.Ames, 40);
        // Before any feedback the series exist, empty: 0 rows and NaN (which no alert comparison matches).
        var before = await ScrapeAsync();
        Assert.Equal(0, Assertions.Metric(before, "mlops_serving_live_quality_rows", ("model", "houses"), ("version", "1")));
        Assert.True(double.IsNaN(Assertions.Metric(before, "mlops_serving_live_quality", ("model", "houses"), ("version", "1"), ("metric", "rmse"))!.Value));
        // Truth a few percent off each prediction, in both directions; one id no replica ever gave.
        var items = answers.Take(30).Select((a, i) => (a.Id, (object)(a.Prediction.Value!.Value * (1 + 0.05 * Math.Sin(i))))).ToList();
        var stranger = Guid.CreateVersion7().ToString();
        var result = await SendAsync("houses", [.. items, (stranger, 123456.0)]);
        Assert.Equal((31, 30, 1), (result.Accepted, result.Matched, result.Unmatched));
        Assert.Equal([stranger], result.UnmatchedIds);

        var joined = await StoredJoinAsync("houses", 40, 31);
        Assert.Equal(30, joined.Count);
        var errors = joined.Select(j => j.Prediction.Value!.Value - double.Parse(j.Truth, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var rmse = Math.Sqrt(errors.Average(e => e * e));
        var mae = errors.Average(Math.Abs);

        var scrape = await ScrapeAsync();
        SameMetric(rmse, scrape, "houses", "rmse");
        SameMetric(mae, scrape, "houses", "mae");
        Assert.Equal(30, Assertions.Metric(scrape, "mlops_serving_live_quality_rows", ("model", "houses"), ("version", "1")));
        Assert.Equal(models.Ames.Result.Manifest.Metrics["rmse"], Assertions.Metric(scrape, "mlops_serving_training_quality", ("model", "houses"), ("version", "1"), ("metric", "rmse"))!.Value, 9);
        Assert.Equal(30, Assertions.Metric(scrape, "mlops_serving_feedback_items_total", ("model", "houses"), ("outcome", "matched")));
        Assert.Equal(1, Assertions.Metric(scrape, "mlops_serving_feedback_items_total", ("model", "houses"), ("outcome", "unmatched")));

        var quality = await _trainer.GetFromJsonAsync<ModelQuality>("v1/models/houses/quality", RegistryJson.Options);
        var version = Assert.Single(quality!.Versions);
        Assert.Equal((1, 30, WellKnownAliases.Production), (version.Version, version.Rows, version.Alias));
        Assert.Equal(rmse, version.Live["rmse"], 9);
        Assert.Equal(models.Ames.Result.Manifest.Metrics["rmse"], version.Training["rmse"], 9);
    }

    [Fact]
    public async Task Binary_live_accuracy_auc_and_log_loss_equal_the_offline_figures()
    {
        var answers = await PredictAsync("credit", models.Credit, 60);
        var classes = models.Credit.Result.Manifest.Classes!;
        // A truth that mostly follows the model, with some disagreement so that no metric is trivial.
        var items = answers.Select((a, i) => (a.Id, (object)(i % 4 == 0 ? classes.First(c => c != a.Prediction.Label) : a.Prediction.Label!))).ToList();
        var result = await SendAsync("credit", items);
        Assert.Equal(60, result.Matched);

        var joined = await StoredJoinAsync("credit", 60, 60);
        var positive = classes[1];
        var accuracy = joined.Average(j => j.Prediction.Label == j.Truth ? 1.0 : 0.0);
        var logLoss = joined.Average(j => -Math.Log2(Math.Clamp(j.Prediction.Probabilities![j.Truth], 1e-15, 1)));
        var pos = joined.Where(j => j.Truth == positive).Select(j => j.Prediction.Probabilities![positive]).ToList();
        var neg = joined.Where(j => j.Truth != positive).Select(j => j.Prediction.Probabilities![positive]).ToList();
        var auc = pos.Sum(p => neg.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0)) / (pos.Count * (double)neg.Count);

        var scrape = await ScrapeAsync();
        SameMetric(accuracy, scrape, "credit", "accuracy");
        SameMetric(auc, scrape, "credit", "auc");
        SameMetric(logLoss, scrape, "credit", "log_loss");
    }

    [Fact]
    public async Task Multiclass_live_accuracy_and_log_loss_equal_the_offline_figures_and_a_second_truth_replaces_the_first()
    {
        var answers = await PredictAsync("hpc", models.Hpc, 30);
        var classes = models.Hpc.Result.Manifest.Classes!;
        await SendAsync("hpc", answers.Select((a, i) => (a.Id, (object)classes[i % classes.Count])));
        // Corrections for the first ten: the registry's join and the live window both keep the latest.
        await SendAsync("hpc", answers.Take(10).Select(a => (a.Id, (object)a.Prediction.Label!)));

        var joined = await StoredJoinAsync("hpc", 30, 40);
        Assert.Equal(30, joined.Count);
        var accuracy = joined.Average(j => j.Prediction.Label == j.Truth ? 1.0 : 0.0);
        var logLoss = joined.Average(j => -Math.Log(Math.Clamp(j.Prediction.Probabilities!.GetValueOrDefault(j.Truth), 1e-15, 1)));

        var scrape = await ScrapeAsync();
        SameMetric(accuracy, scrape, "hpc", "accuracy");
        SameMetric(logLoss, scrape, "hpc", "log_loss");
        Assert.Equal(30, Assertions.Metric(scrape, "mlops_serving_live_quality_rows", ("model", "hpc"), ("version", "1")));
    }

    [Fact]
    public async Task Only_a_registry_trainer_key_may_send_feedback()
    {
        var answer = (await PredictAsync("houses", models.Ames, 1))[0];
        (string, object)[] items = [(answer.Id, 100000.0)];

        using var none = await PostFeedbackAsync(WithKey(null), "houses", items);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());
        using var unknown = await PostFeedbackAsync(WithKey("not-a-key"), "houses", items);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using var reader = await PostFeedbackAsync(WithKey(RegistryApiFactory.ReaderKey), "houses", items);
        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        Assert.Equal("application/problem+json", reader.Content.Headers.ContentType?.MediaType);
        using var admin = await PostFeedbackAsync(WithKey(RegistryApiFactory.AdminKey), "houses", items);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        // Nothing refused was stored: one feedback file, the admin's.
        Assert.Single((await _registry.Admin.ListPredictionLogFilesAsync("houses", "feedback")).Files);
    }

    [Theory]
    [InlineData("houses", "{\"items\": [{\"predictionId\": \"%ID%\", \"truth\": \"12\"}]}", "truth must be a finite number", 0)]
    [InlineData("houses", "{\"items\": [{\"predictionId\": \"%ID%\", \"truth\": 1}, {\"predictionId\": \"nope\", \"truth\": 1}]}", "'nope' is not a prediction id", 1)]
    [InlineData("houses", "{\"items\": []}", "at least one item", null)]
    [InlineData("houses", "{\"items\": [null]}", "must be an object", 0)]
    [InlineData("houses", "{\"items\": [{\"predictionId\": \"%ID%\", \"truth\": 1, \"weight\": 2}]}", "weight", null)]
    [InlineData("houses", "{\"items\": [{\"predictionId\": \"%ID%\"}]}", "truth", null)]
    [InlineData("houses", "not json", "not a valid feedback request", null)]
    [InlineData("credit", "{\"items\": [{\"predictionId\": \"%ID%\", \"truth\": 1}]}", "the class as a string", 0)]
    [InlineData("credit", "{\"items\": [{\"predictionId\": \"%ID%\", \"truth\": \"maybe\"}]}", "'maybe' is not a class", 0)]
    public async Task Bad_batches_are_refused_whole_with_a_problem(string model, string body, string expected, int? item)
    {
        var json = body.Replace("%ID%", Guid.CreateVersion7().ToString());
        using var response = await _trainer.PostAsync($"v1/models/{model}/feedback", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var problem = await Assertions.BadRequestAsync(response, null, null);
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        if (item is { } i) Assert.Equal(i, problem.GetProperty("item").GetInt32());
        Assert.Empty((await _registry.Admin.ListPredictionLogFilesAsync(model, "feedback")).Files);
    }

    [Fact]
    public async Task Too_many_items_and_unknown_models_are_refused()
    {
        var items = Enumerable.Range(0, 101).Select(_ => (Guid.CreateVersion7().ToString(), (object)1.0));
        using var tooMany = await PostFeedbackAsync(_trainer, "houses", items);
        var problem = await Assertions.BadRequestAsync(tooMany, null, null);
        Assert.Contains("at most 100", problem.GetProperty("detail").GetString());

        using var unknown = await PostFeedbackAsync(_trainer, "nosuch", [(Guid.CreateVersion7().ToString(), 1.0)]);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
