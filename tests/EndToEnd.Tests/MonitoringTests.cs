using System.Text.RegularExpressions;
using MlOps.EndToEnd.Tests.Infrastructure;
using MlOps.Registry.Client.Jobs;

namespace MlOps.EndToEnd.Tests;

[Collection(LiveSystemCollection.Name)]
public sealed class MonitoringTests(LiveSystem system)
{
    /// <summary>Drift: rows far outside the training distribution push that feature's PSI over the threshold.</summary>
    [Fact]
    public async Task Shifted_inputs_push_the_drift_score_of_the_shifted_feature_over_its_threshold()
    {
        var model = await system.EnsureProductionModelAsync();
        var replica = system.Serving[1];
        using var http = LiveSystem.Http(replica.BaseAddress);
        await ServingProbe.WaitForVersionAsync(http, LiveSystem.ModelName, (await system.RegistryClient(LiveSystem.ReaderKey).GetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias))!.Version, TimeSpan.FromSeconds(30));

        var rows = SampleData.ReadRows(100).Select(r => SampleData.ToJson(r, model.InputSchema)).ToList();
        foreach (var row in rows)
        {
            // Houses four times bigger than any in the training data.
            row["Gr_Liv_Area"] = row["Gr_Liv_Area"]!.GetValue<double>() * 4 + 10_000;
        }
        for (var i = 0; i < 40; i++) await ServingProbe.PredictAsync(http, LiveSystem.ModelName, rows);

        var psi = await WaitForPsiAsync(http, "Gr_Liv_Area", threshold: 0.25);
        Assert.True(psi > 0.25, $"PSI {psi}");

        // That replica has drift retraining on: one job for the drifted version, queued once.
        var reader = system.RegistryClient(LiveSystem.ReaderKey);
        TrainingJob? retraining = null;
        for (var i = 0; i < 100 && retraining is null; i++)
        {
            retraining = (await reader.ListJobsAsync()).SingleOrDefault(j => j.IdempotencyKey?.StartsWith($"drift:{LiveSystem.ModelName}:", StringComparison.Ordinal) == true);
            if (retraining is null) await Task.Delay(100);
        }
        Figures.Record("drift", $"PSI of Gr_Liv_Area after 4000 shifted rows: {psi:F2} (threshold 0.25); retraining job queued: {retraining?.Id.ToString() ?? "none"}");
        Assert.NotNull(retraining);
        Assert.Equal(SampleData.AmesDatasetName, retraining.Spec.Dataset.Name);
    }

    /// <summary>Every metric docs/conventions.md promises is really on the services' /metrics.</summary>
    [Fact]
    public async Task Every_metric_name_in_the_conventions_is_exported_by_its_service()
    {
        var model = await system.EnsureProductionModelAsync();
        using var serving = LiveSystem.Http(system.Serving[0].BaseAddress);
        await ServingProbe.WaitForVersionAsync(serving, LiveSystem.ModelName, (await system.RegistryClient(LiveSystem.ReaderKey).GetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias))!.Version, TimeSpan.FromSeconds(30));
        // Enough rows for the drift window to report (it samples one row in four and needs 200).
        var rows = SampleData.ReadRows(100).Select(r => SampleData.ToJson(r, model.InputSchema)).ToList();
        for (var i = 0; i < 12; i++) await ServingProbe.PredictAsync(serving, LiveSystem.ModelName, rows);

        var scrapes = new Dictionary<string, string>
        {
            ["serving"] = await serving.GetStringAsync("metrics"),
            ["worker"] = string.Join('\n', await Task.WhenAll(system.Workers.Where(w => w.ProcessId is not null).Select(w => LiveSystem.Http(w.BaseAddress).GetStringAsync("metrics")))),
            ["registry"] = await LiveSystem.Http(system.Registry.BaseAddress).GetStringAsync("metrics"),
        };
        var missing = new List<string>();
        foreach (var (service, name) in ConventionMetrics())
        {
            if (!Regex.IsMatch(scrapes[service], $@"^{Regex.Escape(name)}[{{ ]", RegexOptions.Multiline)) missing.Add($"{service}: {name}");
        }
        Assert.True(missing.Count == 0, "not exported: " + string.Join(", ", missing));
    }

    /// <summary>(service, Prometheus name) rows of the metric table in docs/conventions.md.</summary>
    private static IEnumerable<(string Service, string Name)> ConventionMetrics()
    {
        var doc = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "conventions.md"));
        foreach (var line in doc.SkipWhile(l => !l.StartsWith("## Metric names", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || !cells[^2].StartsWith('`')) continue;
            // "`mlops_x_bucket/_sum/_count`" or "`mlops_x_bucket/...`": check the first name given.
            var name = cells[^2].Trim('`').Split('/')[0].TrimEnd('`');
            yield return (cells[1], name);
        }
    }

    private static async Task<double> WaitForPsiAsync(HttpClient http, string feature, double threshold)
    {
        var best = 0.0;
        for (var i = 0; i < 50; i++)
        {
            var samples = await ServingProbe.ScrapeAsync(http, "mlops_serving_drift_psi");
            best = samples.Where(s => s.Key.Contains($"feature=\"{feature}\"", StringComparison.Ordinal)).Select(s => s.Value).DefaultIfEmpty(0).Max();
            if (best > threshold) return best;
            await Task.Delay(200);
        }
        return best;
    }
}
