namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>Where the repository and the built services are, seen from the test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the services are started from the same configuration the tests were built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ServiceDll(string project) =>
        Path.Combine(Root, project, "bin", Configuration, "net10.0", $"MlOps.{project}.dll");

    public static string Samples(string file) => Path.Combine(Root, "samples", file);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
    }
}
