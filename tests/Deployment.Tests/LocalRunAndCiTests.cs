using System.Diagnostics;
using YamlDotNet.Serialization;

namespace MlOps.Deployment.Tests;

/// <summary>The no-Docker runner and the users' GitHub workflow stay in step with the manifest and .ci/run.</summary>
public sealed class LocalRunAndCiTests
{
    [Theory]
    [MemberData(nameof(ManifestTests.RequiredKeys), MemberType = typeof(ManifestTests))]
    public void Run_local_supplies_the_keys_the_AppHost_supplies(string resource, string[] keys)
    {
        var script = RepoFiles.Read("scripts", "run-local.sh");
        Assert.Matches($"start \"?{System.Text.RegularExpressions.Regex.Escape(resource)}", script);
        foreach (var key in keys)
        {
            Assert.Contains(key.Replace(":", "__") + "=", script);
        }
    }

    [Fact]
    public async Task Run_local_is_valid_bash()
    {
        var start = new ProcessStartInfo("bash", ["-n", RepoFiles.PathOf("scripts", "run-local.sh")]) { RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0, errors);
    }

    [Fact]
    public void Workflow_sets_up_dotnet_from_global_json_and_runs_the_ci_entry_point()
    {
        var workflow = new DeserializerBuilder().Build()
            .Deserialize<Dictionary<string, object>>(RepoFiles.Read(".github", "workflows", "ci.yml"));
        var steps = ((Dictionary<object, object>)((Dictionary<object, object>)workflow["jobs"])["build-and-test"])["steps"];
        var text = string.Join('\n', ((List<object>)steps).Cast<Dictionary<object, object>>()
            .Select(s => $"{s.GetValueOrDefault("uses")} {s.GetValueOrDefault("run")}"));

        Assert.Contains("actions/setup-dotnet@", text);
        Assert.Contains("apt-get install -y -q postgresql nodejs npm", text);
        Assert.Contains("bash .ci/run", text);
        Assert.Contains("\"10.", RepoFiles.Read("global.json"));
    }
}
