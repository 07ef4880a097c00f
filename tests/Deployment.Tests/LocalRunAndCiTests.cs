using System.Diagnostics;
using YamlDotNet.Serialization;

namespace MlOps.Deployment.Tests;

/// <summary>The no-Docker runner starts the AppHost; the users' GitHub workflow runs .ci/run.</summary>
public sealed class LocalRunAndCiTests
{
    [Fact]
    public void Run_local_installs_the_prerequisites_and_runs_the_AppHost()
    {
        // One topology, written once: the no-Docker command starts the AppHost, it does not repeat its resources.
        var script = RepoFiles.Read("scripts", "run-local.sh");
        Assert.Contains("bash scripts/install-prerequisites.sh", script);
        Assert.Matches(@"exec dotnet run --project AppHost\b", script);
        Assert.DoesNotContain("ConnectionStrings__", script);
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
