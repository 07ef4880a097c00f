using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MlOps.TestInfrastructure;

/// <summary>
/// The real PostgreSQL and S3 server the tests use: taken from PG_CS / S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY
/// (what scripts/testinfra/services.sh start prints, as scripts/test.sh exports), or, when PG_CS is absent,
/// started here once per test process with that same script and stopped when the process exits, so that
/// `dotnet test tests/X` works on its own.
/// </summary>
public static partial class TestServices
{
    private static readonly Lazy<Endpoints> Current = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    public sealed record Endpoints(string PostgresConnectionString, string S3Endpoint, string S3AccessKey, string S3SecretKey)
    {
        /// <summary>S3 endpoint as a URL (the script prints host:port).</summary>
        public string S3ServiceUrl => S3Endpoint.Contains("://", StringComparison.Ordinal) ? S3Endpoint : "http://" + S3Endpoint;

        /// <summary>The CommunityToolkit MinIO connection string form the registry reads from ConnectionStrings:minio.</summary>
        public string MinioConnectionString => $"Endpoint={S3ServiceUrl};AccessKey={S3AccessKey};SecretKey={S3SecretKey}";
    }

    public static Endpoints Get() => Current.Value;

    /// <summary>The repository root: the nearest folder above the test binaries holding MlOps.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
    }

    private static Endpoints Resolve()
    {
        var env = new Dictionary<string, string>();
        foreach (var name in new[] { "PG_CS", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY" })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                env[name] = value;
            }
        }
        if (!env.ContainsKey("PG_CS"))
        {
            env = StartServices();
        }
        return new Endpoints(env["PG_CS"], env["S3_ENDPOINT"], env.GetValueOrDefault("S3_ACCESS_KEY", "S3RVER"), env.GetValueOrDefault("S3_SECRET_KEY", "S3RVER"));
    }

    private static Dictionary<string, string> StartServices()
    {
        var root = RepoRoot();
        var svcRoot = Path.Combine(Path.GetTempPath(), $"mlops-test-services-{Environment.ProcessId}");
        var output = RunScript(root, svcRoot, "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunScript(root, svcRoot, "stop");
        var values = new Dictionary<string, string>();
        foreach (Match m in ExportPair().Matches(output))
        {
            values[m.Groups[1].Value] = m.Groups[2].Value;
        }
        if (!values.ContainsKey("PG_CS") || !values.ContainsKey("S3_ENDPOINT"))
        {
            throw new InvalidOperationException("services.sh start printed no PG_CS/S3_ENDPOINT:\n" + output);
        }
        return values;
    }

    private static string RunScript(string repoRoot, string svcRoot, string verb)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(repoRoot, "scripts", "testinfra", "services.sh"), verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repoRoot,
        };
        psi.Environment["SVC_ROOT"] = svcRoot;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start bash");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {verb} failed ({process.ExitCode}): {stderr}");
        }
        return stdout;
    }

    [GeneratedRegex(@"([A-Z0-9_]+)='([^']*)'")]
    private static partial Regex ExportPair();
}
