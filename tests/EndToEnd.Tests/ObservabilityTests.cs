using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlOps.EndToEnd.Tests.Infrastructure;

namespace MlOps.EndToEnd.Tests;

/// <summary>
/// docs/observability.md on real processes: a clean first start writes no error, services name themselves and say
/// what they are doing in /health, and a real Prometheus scraping them answers every Grafana panel's query.
/// </summary>
[Collection(ObservedSystemCollection.Name)]
public sealed partial class ObservabilityTests(ObservedSystem system)
{
    [Fact]
    public void A_clean_start_the_sample_job_a_promotion_and_predictions_log_no_error()
    {
        Assert.True(system.HealthPolls > 20, $"health polled {system.HealthPolls} times");
        var errors = system.Processes.SelectMany(p => ErrorLine().Matches(p.Log).Select(m => $"{p.Name}: {ErrorEntry(p.Log, m.Index)}")).ToList();
        Assert.True(errors.Count == 0, "error-level entries on a clean start:\n" + string.Join("\n", errors));

        // The race and the wait are still visible, at their true level: the first start had to wait for a model.
        Assert.Contains("No model loaded yet", system.Serving.Log, StringComparison.Ordinal);
        // Nor does PostgreSQL log an error (the duplicate key of the bootstrap race, the missing history table).
        var pgLog = File.ReadAllText(system.Backing.PostgresLogPath);
        Assert.DoesNotMatch("(ERROR|FATAL):", pgLog);
    }

    [Fact]
    public async Task A_service_started_without_OTEL_SERVICE_NAME_reports_its_own_name()
    {
        using var http = LiveSystem.Http(system.Registry.BaseAddress);
        var metrics = await http.GetStringAsync("metrics");
        Assert.DoesNotContain("unknown_service", metrics);
        Assert.Matches("target_info\\{[^}]*service_name=\"registry-api\"", metrics);
        var up = await system.Prometheus.QueryAsync("target_info{job=\"registry-api\"}");
        Assert.Equal("registry-api", Assert.Single(up.GetProperty("result").EnumerateArray()).GetProperty("metric").GetProperty("service_name").GetString());
    }

    [Fact]
    public async Task Health_says_which_version_serving_serves_and_that_the_workers_are_idle_after_the_jobs()
    {
        using var serving = LiveSystem.Http(system.Serving.BaseAddress);
        Assert.Equal($"{ObservedSystem.Model} v{system.FinalVersion} (production)", await DescriptionAsync(serving, "models"));
        var workers = new List<string>();
        foreach (var worker in system.Workers)
        {
            using var http = LiveSystem.Http(worker.BaseAddress);
            workers.Add(await DescriptionAsync(http, "training"));
        }
        Assert.All(workers, d => Assert.StartsWith("Idle: waiting for a job", d));
        Assert.Equal(ObservedSystem.Jobs, workers.Sum(d => int.Parse(HandledCount().Match(d).Groups[1].Value, CultureInfo.InvariantCulture)));
    }

    /// <summary>Every query of deploy/grafana's dashboards, with Grafana's variables filled in, returns numbers.</summary>
    [Fact]
    public async Task Every_Grafana_panel_query_returns_data_from_the_real_services()
    {
        var failures = new List<string>();
        var checkedQueries = 0;
        foreach (var (panel, expr) in DashboardQueries())
        {
            // $model: the "All" value; $__rate_interval: a window holding many 1 s scrapes and the predictions.
            var query = expr.Replace("$model", ".*").Replace("$__rate_interval", "1m");
            var data = await system.Prometheus.QueryAsync(query);
            var values = data.GetProperty("result").EnumerateArray().Select(r => r.GetProperty("value")[1].GetString()!).ToList();
            checkedQueries++;
            if (values.Count == 0) failures.Add($"{panel}: `{query}` returned no series");
            else if (values.All(v => v is "NaN" or "+Inf" or "-Inf")) failures.Add($"{panel}: `{query}` returned only {string.Join(",", values.Distinct())}");
        }
        Assert.True(checkedQueries >= 15, $"{checkedQueries} queries");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The alert rules load into the real Prometheus and evaluate without errors on the real series.</summary>
    [Fact]
    public async Task Alert_rules_evaluate_cleanly_against_the_real_series()
    {
        var groups = (await system.Prometheus.GetAsync("api/v1/rules")).GetProperty("data").GetProperty("groups").EnumerateArray().ToList();
        var rules = groups.SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
        Assert.True(rules.Count >= 8, $"{rules.Count} rules loaded");
        Assert.All(rules, r => Assert.True(r.GetProperty("health").GetString() == "ok", $"{r.GetProperty("name")}: {r}"));
        // A healthy system: nothing fires (no model missing, no failed job, no errors).
        var firing = rules.Where(r => r.GetProperty("state").GetString() == "firing").Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.True(firing.Count == 0, "firing: " + string.Join(", ", firing));
    }

    private static async Task<string> DescriptionAsync(HttpClient http, string check)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("health"));
        return doc.RootElement.GetProperty("checks").GetProperty(check).GetProperty("description").GetString()!;
    }

    private static IEnumerable<(string Panel, string Expr)> DashboardQueries()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "grafana"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in doc.RootElement.GetProperty("panels").EnumerateArray())
            {
                if (!panel.TryGetProperty("targets", out var targets)) continue;
                foreach (var target in targets.EnumerateArray())
                    yield return ($"{Path.GetFileName(file)} '{panel.GetProperty("title").GetString()}'", target.GetProperty("expr").GetString()!);
            }
            foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            {
                // label_values(metric, label): the metric must have series.
                if (variable.TryGetProperty("definition", out var definition) && LabelValues().Match(definition.GetString()!) is { Success: true } m)
                    yield return ($"{Path.GetFileName(file)} variable '{variable.GetProperty("name").GetString()}'", $"count by ({m.Groups[2].Value}) ({m.Groups[1].Value})");
            }
        }
    }

    /// <summary>The whole entry (first line + indented continuation lines) of a console log match.</summary>
    private static string ErrorEntry(string log, int index)
    {
        var lines = log[index..].Split('\n');
        return string.Join("\n", lines.Take(1).Concat(lines.Skip(1).TakeWhile(l => l.StartsWith(' ')).Take(8)));
    }

    [GeneratedRegex("^(fail|crit): ", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"\((\d+) handled")]
    private static partial Regex HandledCount();

    [GeneratedRegex(@"label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)")]
    private static partial Regex LabelValues();
}
