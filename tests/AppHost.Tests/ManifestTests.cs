using System.Diagnostics;

namespace MlOps.AppHost.Tests;

/// <summary>aspire-manifest.json is what the AppHost publishes, byte for byte: deploy/ and aspirate start from it.</summary>
public sealed class ManifestTests
{
    public const string RefreshCommand =
        "dotnet run --project AppHost -- --publisher manifest --output-path \"$PWD/aspire-manifest.json\"  (at the repository root)";

    [Fact]
    public async Task Committed_manifest_is_what_the_AppHost_publishes()
    {
        var output = Directory.CreateTempSubdirectory("mlops-manifest-");
        try
        {
            var published = Path.Combine(output.FullName, "aspire-manifest.json");
            var (exitCode, log) = await PublishAsync(published);
            Assert.True(exitCode == 0, $"the manifest publisher failed ({exitCode}):\n{log}");

            // The publisher writes project paths relative to the manifest's folder: as if written at the root.
            var fromOutputToRoot = Path.GetRelativePath(output.FullName, RepoPaths.Root).Replace('\\', '/') + "/";
            var actual = File.ReadAllText(published).Replace($"\"path\": \"{fromOutputToRoot}", "\"path\": \"");
            var committed = File.ReadAllText(Path.Combine(RepoPaths.Root, "aspire-manifest.json"));
            Assert.True(committed == actual,
                $"aspire-manifest.json differs from what the AppHost publishes. Refresh it with:\n  {RefreshCommand}\n" +
                $"and review the diff. Published:\n{actual}");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    // The AppHost built beside this test assembly, run as `dotnet run` would run it.
    private static async Task<(int ExitCode, string Log)> PublishAsync(string outputPath)
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, "AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [appHost, "--publisher", "manifest", "--output-path", outputPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(RepoPaths.Root, "AppHost"),
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
