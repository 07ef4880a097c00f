namespace MlOps.Deployment.Tests;

/// <summary>Paths in the repository, found from the test assembly's folder (bin/...) upwards.</summary>
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

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
