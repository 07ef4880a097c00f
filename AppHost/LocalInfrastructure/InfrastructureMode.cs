using System.Diagnostics;

namespace MlOps.AppHost.LocalInfrastructure;

/// <summary>
/// How PostgreSQL and the object store run under F5: as the manifest's containers, or as local processes
/// when no container runtime answers. Switch: <c>LocalInfrastructure:Mode</c> = <c>auto</c> (default),
/// <c>containers</c> or <c>processes</c> (env <c>LocalInfrastructure__Mode</c>). Publish mode always writes
/// the containers.
/// </summary>
public static class InfrastructureMode
{
    public static bool UseLocalProcesses(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return false;
        }
        var mode = builder.Configuration["LocalInfrastructure:Mode"]?.Trim().ToLowerInvariant() ?? "auto";
        return mode switch
        {
            "containers" => false,
            "processes" => true,
            "auto" or "" => !AnyContainerRuntimeAnswers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]),
            _ => throw new InvalidOperationException(
                $"LocalInfrastructure:Mode is '{mode}': use auto, containers or processes."),
        };
    }

    // The runtimes DCP would use; a runtime "answers" when `<runtime> info` succeeds within a few seconds
    // (a docker client without a daemon fails at once).
    private static bool AnyContainerRuntimeAnswers(string? configured)
    {
        var candidates = string.IsNullOrWhiteSpace(configured) ? ["docker", "podman"] : new[] { configured };
        return candidates.Any(Answers);
    }

    private static bool Answers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
