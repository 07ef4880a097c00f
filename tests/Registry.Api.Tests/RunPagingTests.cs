using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Problems;
using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Api.Tests;

/// <summary>Keyset paging of run search and paged / thinned metric history (the fixes from bench/scale).</summary>
public sealed class RunPagingTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    private async Task<List<Guid>> SeedAsync(string exp, int count)
    {
        await trainer.GetOrCreateExperimentAsync(exp);
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var run = await trainer.CreateRunAsync(new CreateRunRequest(exp, $"r{i}", Params: new Dictionary<string, string> { ["i"] = i.ToString("00") }));
            // Runs 0-1 have no auc (they sort last); 2-3 and 4-5 tie on auc, so ties cross page boundaries.
            if (i >= 2)
            {
                await trainer.LogMetricsAsync(run.Id, [new MetricPoint("auc", 0.5 + (i / 2) * 0.1, 1)]);
            }
            ids.Add(run.Id);
        }
        return ids;
    }

    private async Task<List<Guid>> WalkAsync(SearchRunsRequest request)
    {
        var all = new List<Guid>();
        string? token = null;
        do
        {
            var page = await trainer.SearchRunsAsync(request with { PageToken = token });
            Assert.True(page.Runs.Count <= request.PageSize);
            all.AddRange(page.Runs.Select(r => r.Id));
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    [Fact]
    public async Task Keyset_pages_by_metric_cross_ties_and_runs_without_the_metric()
    {
        var ids = await SeedAsync("paging-metric", 7);
        var desc = await WalkAsync(new SearchRunsRequest(["paging-metric"], OrderBy: new RunOrder("metric", "auc", Descending: true), PageSize: 2));
        // auc desc, ties by id desc (ids are time-ordered UUIDv7), then the runs without auc by id desc.
        Assert.Equal([ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]], desc);
        var asc = await WalkAsync(new SearchRunsRequest(["paging-metric"], OrderBy: new RunOrder("metric", "auc", Descending: false), PageSize: 3));
        Assert.Equal([ids[2], ids[3], ids[4], ids[5], ids[6], ids[0], ids[1]], asc);
    }

    [Fact]
    public async Task Keyset_pages_newest_first_across_experiments_and_with_a_filter()
    {
        var a = await SeedAsync("paging-a", 4);
        var b = await SeedAsync("paging-b", 3);
        var both = await WalkAsync(new SearchRunsRequest(["paging-a", "paging-b"], PageSize: 2));
        Assert.Equal(b.AsEnumerable().Reverse().Concat(a.AsEnumerable().Reverse()), both);
        var filtered = await WalkAsync(new SearchRunsRequest(["paging-a"], [new RunFilter("metric", "auc", ">=", "0.6")], PageSize: 1));
        Assert.Equal([a[3], a[2]], filtered);
        var byName = await WalkAsync(new SearchRunsRequest(["paging-b"], OrderBy: new RunOrder("attribute", "name", Descending: false), PageSize: 2));
        Assert.Equal(b, byName);
    }

    [Fact]
    public async Task An_offset_token_from_before_keyset_paging_still_works()
    {
        var ids = await SeedAsync("paging-offset", 5);
        var page = await trainer.SearchRunsAsync(new SearchRunsRequest(["paging-offset"], PageSize: 2, PageToken: "2"));
        Assert.Equal([ids[2], ids[1]], page.Runs.Select(r => r.Id));
        Assert.Equal("4", page.NextPageToken);
        var byMetric = await trainer.SearchRunsAsync(new SearchRunsRequest(["paging-offset"], OrderBy: new RunOrder("metric", "auc"), PageSize: 2, PageToken: "4"));
        Assert.Equal([ids[0]], byMetric.Runs.Select(r => r.Id));
    }

    [Theory]
    [InlineData("k1.bm9wZQ")]
    [InlineData("not-a-token")]
    public async Task A_token_of_another_order_or_garbage_is_a_400(string token)
    {
        await SeedAsync("paging-bad", 3);
        var page = await trainer.SearchRunsAsync(new SearchRunsRequest(["paging-bad"], OrderBy: new RunOrder("metric", "auc"), PageSize: 1));
        var other = await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.SearchRunsAsync(new SearchRunsRequest(["paging-bad"], PageSize: 1, PageToken: page.NextPageToken)));
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        var bad = await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.SearchRunsAsync(new SearchRunsRequest(["paging-bad"], PageSize: 1, PageToken: token)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task History_pages_keep_every_point_of_the_last_step_and_thin_to_max_points()
    {
        await trainer.GetOrCreateExperimentAsync("paging-history");
        var run = await trainer.CreateRunAsync(new CreateRunRequest("paging-history"));
        // Steps 0-999 in two batches, step 500 logged twice (a retried batch).
        await trainer.LogMetricsAsync(run.Id, Enumerable.Range(500, 500).Select(i => new MetricPoint("loss", i, i)).ToList());
        await trainer.LogMetricsAsync(run.Id, Enumerable.Range(0, 501).Select(i => new MetricPoint("loss", i, i)).ToList());

        var walked = new List<MetricPoint>();
        long? after = null;
        while (true)
        {
            var page = await trainer.GetMetricHistoryAsync(run.Id, "loss", new MetricHistoryQuery(after, Limit: 100));
            walked.AddRange(page);
            if (page.Count < 100)
            {
                break;
            }
            after = page[^1].Step;
        }
        Assert.Equal(await trainer.GetMetricHistoryAsync(run.Id, "loss"), walked);
        Assert.Equal(1001, walked.Count);
        Assert.Equal(101, (await trainer.GetMetricHistoryAsync(run.Id, "loss", new MetricHistoryQuery(400, Limit: 100))).Count); // 401-500, 500 twice

        var thin = await trainer.GetMetricHistoryAsync(run.Id, "loss", new MetricHistoryQuery(MaxPoints: 50));
        Assert.InRange(thin.Count, 40, 50);
        Assert.Equal(0, thin[0].Step);
        Assert.Equal(999, thin[^1].Step);
        Assert.Equal(thin.OrderBy(p => p.Step), thin);
        Assert.Equal(9, (await trainer.GetMetricHistoryAsync(run.Id, "loss", new MetricHistoryQuery(990, MaxPoints: 20))).Count); // 991-999, not thinned
    }

    [Fact]
    public async Task History_pages_are_exact_over_many_interleaved_out_of_order_chunks()
    {
        await trainer.GetOrCreateExperimentAsync("paging-chunks");
        var run = await trainer.CreateRunAsync(new CreateRunRequest("paging-chunks"));
        // Chunks found by their step range must not make a page skip or repeat points: 30 batches whose ranges overlap
        // (even and odd steps in different batches), written in shuffled order, with duplicated and negative steps.
        var random = new Random(7);
        var batches = new List<List<MetricPoint>>();
        for (var b = 0; b < 30; b++)
        {
            var from = (b / 2) * 20 - 40;
            batches.Add(Enumerable.Range(0, 20).Select(i => from + 2 * i + b % 2).Where(_ => random.Next(10) > 0)
                .Select(step => new MetricPoint("loss", b, step)).ToList());
        }
        batches.Add([new MetricPoint("loss", 99, 3), new MetricPoint("loss", 99, 3), new MetricPoint("loss", 99, 250)]);
        foreach (var batch in batches.OrderBy(_ => random.Next()).Where(batch => batch.Count > 0))
            await trainer.LogMetricsAsync(run.Id, batch);
        var all = await trainer.GetMetricHistoryAsync(run.Id, "loss");
        Assert.Equal(batches.Sum(batch => batch.Count), all.Count);

        foreach (var limit in new[] { 1, 7, 50 })
        {
            var walked = new List<MetricPoint>();
            long? after = null;
            while (true)
            {
                var page = await trainer.GetMetricHistoryAsync(run.Id, "loss", new MetricHistoryQuery(after, Limit: limit));
                // The page is every point after `after` up to the limit-th smallest such step (all copies of it).
                var rest = all.Where(p => after is null || p.Step > after).ToList();
                var cut = rest.Select(p => p.Step).Order().Take(limit).DefaultIfEmpty(long.MinValue).Max();
                Assert.Equal(rest.Count(p => p.Step <= cut), page.Count);
                walked.AddRange(page);
                if (page.Count == 0) break;
                after = page[^1].Step;
            }
            Assert.Equal(all.Select(p => (p.Step, p.Value)).Order(), walked.Select(p => (p.Step, p.Value)).Order());
            Assert.Equal(walked.OrderBy(p => p.Step).Select(p => p.Step), walked.Select(p => p.Step));
        }
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("maxPoints=1")]
    [InlineData("limit=10&maxPoints=10")]
    [InlineData("limit=abc")]
    public async Task Bad_history_query_is_a_400(string query)
    {
        await trainer.GetOrCreateExperimentAsync("paging-history-bad");
        var run = await trainer.CreateRunAsync(new CreateRunRequest("paging-history-bad"));
        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        using var response = await http.GetAsync($"api/v1/runs/{run.Id}/metrics/loss?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
