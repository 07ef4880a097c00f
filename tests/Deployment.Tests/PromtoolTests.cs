using System.Diagnostics;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MlOps.Deployment.Tests;

/// <summary>
/// deploy/prometheus checked by Prometheus's own tool (Debian's prometheus package, installed by
/// scripts/install-prerequisites.sh): the rules load, and their unit tests in deploy/prometheus/tests pass.
/// </summary>
public sealed class PromtoolTests
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).IgnoreUnmatchedProperties().Build();

    [Fact]
    public async Task Alert_rules_pass_promtool_check_rules()
    {
        var (code, output) = await PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public async Task Alert_rule_unit_tests_pass_promtool_test_rules()
    {
        var (code, output) = await PromtoolAsync("test", "rules", Path.Combine("tests", "alerts.test.yml"));
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    /// <summary>Every alert has a unit test that sees it fire and one that sees it stay quiet.</summary>
    [Fact]
    public void Every_alert_has_a_firing_and_a_quiet_unit_test()
    {
        var alerts = MonitoringTests.LoadRules().Select(r => r.Alert).ToList();
        var cases = Yaml.Deserialize<TestFile>(RepoFiles.Read("deploy", "prometheus", "tests", "alerts.test.yml")).Tests.SelectMany(t => t.AlertRuleTest).ToList();
        foreach (var alert in new[] { "ServingHighErrorRate", "ServingHighP99Latency", "ServingFeatureDrift", "ServingNoModelLoaded", "TrainingJobsFailing", "TrainingQueueBacklog" })
            Assert.Contains(alert, alerts);
        Assert.All(alerts, alert =>
        {
            Assert.True(cases.Any(c => c.Alertname == alert && c.ExpAlerts.Count > 0), $"{alert}: no test where it fires");
            Assert.True(cases.Any(c => c.Alertname == alert && c.ExpAlerts.Count == 0), $"{alert}: no test where it stays quiet");
        });
    }

    private static async Task<(int Code, string Output)> PromtoolAsync(params string[] args)
    {
        var start = new ProcessStartInfo("promtool")
        {
            WorkingDirectory = RepoFiles.PathOf("deploy", "prometheus"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: run scripts/install-prerequisites.sh (Debian package prometheus)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
    }

    private sealed class TestFile
    {
        public List<TestGroup> Tests { get; set; } = [];
    }

    private sealed class TestGroup
    {
        public List<AlertCase> AlertRuleTest { get; set; } = [];
    }

    private sealed class AlertCase
    {
        public string Alertname { get; set; } = "";
        public List<object> ExpAlerts { get; set; } = [];
    }
}
