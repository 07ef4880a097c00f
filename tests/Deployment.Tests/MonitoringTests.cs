using System.Text.Json;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MlOps.Deployment.Tests;

/// <summary>deploy/prometheus and deploy/grafana: valid files that query only metrics the services export.</summary>
public sealed class MonitoringTests
{
    /// <summary>
    /// ASP.NET Core and .NET runtime metrics (OTel instrumentation, Prometheus exporter names) the assets
    /// may use besides docs/conventions.md's table, plus Prometheus's own <c>up</c>.
    /// </summary>
    private static readonly HashSet<string> PlatformMetrics =
    [
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_sum",
        "http_server_request_duration_seconds_count",
        "dotnet_process_memory_working_set_bytes",
        "dotnet_gc_collections_total",
        "up",
    ];

    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    [Fact]
    public void Alert_rules_are_valid_and_cover_errors_latency_drift_and_a_missing_model()
    {
        var rules = LoadRules();

        Assert.Superset(new HashSet<string> { "ServingHighErrorRate", "ServingHighP99Latency", "ServingFeatureDrift", "ServingNoModelLoaded" },
            rules.Select(r => r.Alert).ToHashSet());
        Assert.Equal(rules.Count, rules.Select(r => r.Alert).Distinct().Count());
        foreach (var rule in rules)
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.Expr), rule.Alert);
            Assert.Contains(rule.Labels["severity"], new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(rule.Annotations["summary"]), rule.Alert);
            Assert.True(rule.For is null || System.Text.RegularExpressions.Regex.IsMatch(rule.For, "^[0-9]+[smhdwy]$"), $"{rule.Alert}: for '{rule.For}'");
            Assert.Equal(rule.Expr.Count(c => c == '('), rule.Expr.Count(c => c == ')'));
        }
        Assert.Contains("mlops_serving_latency_seconds_bucket", Single(rules, "ServingHighP99Latency"));
        Assert.Contains("histogram_quantile(0.99", Single(rules, "ServingHighP99Latency"));
        Assert.Contains("mlops_serving_drift_psi", Single(rules, "ServingFeatureDrift"));
        Assert.Contains("outcome=\"error\"", Single(rules, "ServingHighErrorRate"));
        Assert.Contains("mlops_serving_active_version", Single(rules, "ServingNoModelLoaded"));
    }

    [Fact]
    public void Scrape_config_loads_the_rules_and_keeps_the_annotated_pods()
    {
        var config = Yaml.Deserialize<Dictionary<string, object>>(RepoFiles.Read("deploy", "prometheus", "prometheus.yml"));
        foreach (var file in (List<object>)config["rule_files"])
        {
            Assert.True(File.Exists(RepoFiles.PathOf("deploy", "prometheus", (string)file)), $"rule file {file}");
        }
        var jobs = ((List<object>)config["scrape_configs"]).Cast<Dictionary<object, object>>().ToList();
        var pods = Assert.Single(jobs, j => j.ContainsKey("kubernetes_sd_configs"));
        var relabel = JsonSerializer.Serialize(pods["relabel_configs"]);
        Assert.Contains("__meta_kubernetes_pod_annotation_prometheus_io_scrape", relabel);
        Assert.Contains("__meta_kubernetes_pod_label_app", relabel);
    }

    [Fact]
    public void Dashboard_and_rules_query_only_exported_metric_names()
    {
        var allowed = ConventionsDoc.MetricNames().Concat(PlatformMetrics).ToHashSet();
        var queries = DashboardQueries().Concat(LoadRules().Select(r => r.Expr)).ToList();
        Assert.NotEmpty(queries);
        foreach (var query in queries)
        {
            var names = PromQl.MetricNames(query);
            Assert.NotEmpty(names);
            Assert.All(names, n => Assert.True(allowed.Contains(n), $"'{n}' in `{query}` is not an exported metric"));
        }
    }

    [Fact]
    public void Dashboard_shows_every_serving_training_and_registry_metric()
    {
        var used = DashboardQueries().SelectMany(PromQl.MetricNames).ToHashSet();
        var families = ConventionsDoc.MetricNames()
            .GroupBy(n => n.EndsWith("_bucket") || n.EndsWith("_sum") || n.EndsWith("_count") ? n[..n.LastIndexOf('_')] : n);
        Assert.All(families, f => Assert.True(f.Any(used.Contains), $"no panel shows {f.Key}"));
    }

    [Fact]
    public void PromQl_metric_extraction_ignores_functions_labels_and_ranges()
    {
        Assert.Equal(new HashSet<string> { "a_total", "b_bucket" },
            PromQl.MetricNames("sum by (model, le) (rate(a_total{outcome=\"error\", x=~\"5..\"}[5m])) / histogram_quantile(0.99, rate(b_bucket[$__rate_interval])) > 0.25"));
        Assert.Equal(new HashSet<string> { "up", "c" }, PromQl.MetricNames("up{job=\"s\"} == 1 unless on (job, pod) c"));
    }

    private static string Single(List<Rule> rules, string alert) => Assert.Single(rules, r => r.Alert == alert).Expr;

    internal static List<Rule> LoadRules() =>
        Yaml.Deserialize<RuleFile>(RepoFiles.Read("deploy", "prometheus", "alerts.yml")).Groups.SelectMany(g => g.Rules).ToList();

    private static IEnumerable<string> DashboardQueries()
    {
        using var doc = JsonDocument.Parse(RepoFiles.Read("deploy", "grafana", "mlops-dashboard.json"));
        var panels = doc.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.NotEmpty(panels);
        var queries = new List<string>();
        foreach (var panel in panels)
        {
            var targets = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.NotEmpty(targets);
            queries.AddRange(targets);
        }
        foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.TryGetProperty("definition", out var definition))
            {
                // label_values(metric, label): the metric part is a query too.
                queries.Add(definition.GetString()!.Replace("label_values(", "(").Split(',')[0] + ")");
            }
        }
        return queries;
    }

    private sealed class RuleFile
    {
        public List<RuleGroup> Groups { get; set; } = [];
    }

    private sealed class RuleGroup
    {
        public string Name { get; set; } = "";
        public List<Rule> Rules { get; set; } = [];
    }

    internal sealed class Rule
    {
        public string Alert { get; set; } = "";
        public string Expr { get; set; } = "";
        public string? For { get; set; }
        public Dictionary<string, string> Labels { get; set; } = [];
        public Dictionary<string, string> Annotations { get; set; } = [];
    }
}
