namespace MlOps.AppHost.Tests;

/// <summary>The repository root, found from the test assembly's folder (bin/...) upwards.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"MlOps.sln not found above {AppContext.BaseDirectory}");
    }
}
