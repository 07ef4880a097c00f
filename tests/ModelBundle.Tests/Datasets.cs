namespace MlOps.ModelBundle.Tests;

/// <summary>The sample datasets the tests train on.</summary>
internal static class Datasets
{
    public static string Folder()
    {
        if (Environment.GetEnvironmentVariable("MLOPS_DATASETS") is { Length: > 0 } fromEnv) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "datasets");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("samples/datasets not found above " + AppContext.BaseDirectory);
    }
}
