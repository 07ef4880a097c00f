using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Problems;
using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Api.Tests;

public sealed class RunsTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    private async Task<Run> NewRunAsync(string experiment, IReadOnlyDictionary<string, string>? parameters = null, IReadOnlyDictionary<string, string>? tags = null)
    {
        await trainer.GetOrCreateExperimentAsync(experiment);
        return await trainer.CreateRunAsync(new CreateRunRequest(experiment, "r", Params: parameters, Tags: tags));
    }

    [Fact]
    public async Task Run_lifecycle_params_tags_status()
    {
        var run = await NewRunAsync("runs-life", new Dictionary<string, string> { ["lr"] = "0.1" }, new Dictionary<string, string> { ["git"] = "abc" });
        Assert.Equal(RunStatuses.Running, run.Status);
        Assert.Equal("0.1", run.Params["lr"]);

        var withParams = await trainer.LogParamsAsync(run.Id, new Dictionary<string, string> { ["leaves"] = "31", ["lr"] = "0.1" });
        Assert.Equal("31", withParams.Params["leaves"]);
        var conflict = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.LogParamsAsync(run.Id, new Dictionary<string, string> { ["lr"] = "0.2" }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        var finished = await trainer.UpdateRunAsync(run.Id, new UpdateRunRequest(RunStatuses.Finished, new Dictionary<string, string> { ["git"] = "def", ["note"] = "ok" }));
        Assert.Equal(RunStatuses.Finished, finished.Status);
        Assert.NotNull(finished.EndedAt);
        Assert.Equal("def", finished.Tags["git"]);
        Assert.Equal("ok", finished.Tags["note"]);

        var reopen = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.UpdateRunAsync(run.Id, new UpdateRunRequest(RunStatuses.Running)));
        Assert.Equal(HttpStatusCode.Conflict, reopen.StatusCode);
        var badStatus = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.UpdateRunAsync(run.Id, new UpdateRunRequest("paused")));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
    }

    [Fact]
    public async Task Metrics_batch_history_and_latest_value()
    {
        var run = await NewRunAsync("runs-metrics");
        var points = Enumerable.Range(0, 500).SelectMany(i => new[]
        {
            new MetricPoint("train/loss", 1.0 / (i + 1), i),
            new MetricPoint("valid/rmse", 10.0 - i * 0.01, i),
        }).ToList();
        var logged = await trainer.LogMetricsAsync(run.Id, points);
        Assert.Equal(1000, logged.Count);
        Assert.Equal(0, (await trainer.LogMetricsAsync(run.Id, [])).Count);

        var history = await trainer.GetMetricHistoryAsync(run.Id, "valid/rmse");
        Assert.Equal(500, history.Count);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), history.Select(p => p.Step));
        Assert.Equal(10.0 - 499 * 0.01, history[^1].Value, 9);

        var got = await trainer.GetRunAsync(run.Id);
        Assert.Equal(1.0 / 500, got.Metrics["train/loss"], 9);
        Assert.Equal(10.0 - 499 * 0.01, got.Metrics["valid/rmse"], 9);
    }

    [Fact]
    public async Task Latest_value_is_the_highest_step_across_batches_not_the_last_batch()
    {
        var run = await NewRunAsync("runs-latest");
        await trainer.LogMetricsAsync(run.Id, [new MetricPoint("loss", 0.5, 10), new MetricPoint("loss", 0.7, 3)]);
        await trainer.LogMetricsAsync(run.Id, [new MetricPoint("loss", 0.9, 5)]);
        Assert.Equal(0.5, (await trainer.GetRunAsync(run.Id)).Metrics["loss"]);
        await trainer.LogMetricsAsync(run.Id, [new MetricPoint("loss", 0.4, 10, DateTimeOffset.UtcNow.AddMinutes(1))]);
        Assert.Equal(0.4, (await trainer.GetRunAsync(run.Id)).Metrics["loss"]);
        var history = await trainer.GetMetricHistoryAsync(run.Id, "loss");
        Assert.Equal([3L, 5, 10, 10], history.Select(p => p.Step));
        Assert.Equal([0.7, 0.9, 0.5, 0.4], history.Select(p => p.Value));
    }

    [Fact]
    public async Task Search_filters_orders_and_pages()
    {
        const string exp = "runs-search";
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            var run = await NewRunAsync(exp, new Dictionary<string, string> { ["leaves"] = (10 + i).ToString(), ["algo"] = i % 2 == 0 ? "gbm" : "rf" },
                new Dictionary<string, string> { ["parity"] = i % 2 == 0 ? "even" : "odd" });
            await trainer.LogMetricsAsync(run.Id, [new MetricPoint("auc", 0.5, 0), new MetricPoint("auc", 0.6 + i * 0.05, 1)]);
            ids.Add(run.Id);
        }
        var other = await NewRunAsync("runs-search-other");
        await trainer.LogMetricsAsync(other.Id, [new MetricPoint("auc", 0.99)]);

        // Latest auc > 0.75 -> i in {4,5,6} (0.80, 0.85, 0.90); ordered by auc descending.
        var page = await trainer.SearchRunsAsync(new SearchRunsRequest([exp], [new RunFilter("metric", "auc", ">", "0.75")],
            OrderBy: new RunOrder("metric", "auc")));
        Assert.Equal([ids[6], ids[5], ids[4]], page.Runs.Select(r => r.Id));
        Assert.Null(page.NextPageToken);

        var gbmEven = await trainer.SearchRunsAsync(new SearchRunsRequest([exp],
            [new RunFilter("param", "algo", "=", "gbm"), new RunFilter("tag", "parity", "=", "even"), new RunFilter("param", "leaves", ">=", "12")]));
        Assert.Equal(new[] { ids[2], ids[4], ids[6] }.Order(), gbmEven.Runs.Select(r => r.Id).Order());

        var collected = new List<Guid>();
        string? token = null;
        var pages = 0;
        do
        {
            var p = await trainer.SearchRunsAsync(new SearchRunsRequest([exp], OrderBy: new RunOrder("param", "leaves", Descending: false), PageSize: 3, PageToken: token));
            collected.AddRange(p.Runs.Select(r => r.Id));
            token = p.NextPageToken;
            pages++;
        }
        while (token is not null);
        Assert.Equal(3, pages);
        Assert.Equal(ids, collected);

        var all = await trainer.SearchRunsAsync(new SearchRunsRequest(Filters: [new RunFilter("metric", "auc", ">", "0.95")]));
        Assert.Equal([other.Id], all.Runs.Select(r => r.Id));
    }

    [Theory]
    [InlineData("metric", "auc", "~", "1")]
    [InlineData("metric", "auc", ">", "abc")]
    [InlineData("column", "auc", "=", "1")]
    public async Task Search_rejects_bad_filters(string kind, string key, string op, string value)
    {
        var e = await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.SearchRunsAsync(new SearchRunsRequest(Filters: [new RunFilter(kind, key, op, value)])));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.NotNull(e.Problem?.Detail);
    }

    [Fact]
    public async Task Unknown_run_and_experiment_are_404()
    {
        var e1 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.GetRunAsync(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.NotFound, e1.StatusCode);
        var e2 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.LogMetricsAsync(Guid.NewGuid(), [new MetricPoint("a", 1)]));
        Assert.Equal(HttpStatusCode.NotFound, e2.StatusCode);
        var e3 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.CreateRunAsync(new CreateRunRequest("no-such-experiment")));
        Assert.Equal(HttpStatusCode.NotFound, e3.StatusCode);
        var e4 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.LogMetricsAsync(Guid.NewGuid(), [new MetricPoint("../etc", 1)]));
        Assert.Equal(HttpStatusCode.BadRequest, e4.StatusCode);
    }
}
