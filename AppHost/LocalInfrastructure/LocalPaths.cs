namespace MlOps.AppHost.LocalInfrastructure;

/// <summary>Where the local processes keep their data and find their launch scripts.</summary>
public static class LocalPaths
{
    /// <summary><c>LocalInfrastructure:DataPath</c>, default <c>.local/apphost</c> at the repository root.</summary>
    public static string DataRoot(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["LocalInfrastructure:DataPath"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(RepositoryRoot(builder), ".local", "apphost")
            : configured);
    }

    public static string RepositoryRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    public static string Script(IDistributedApplicationBuilder builder, string name) =>
        Path.Combine(builder.AppHostDirectory, "LocalInfrastructure", name);
}
