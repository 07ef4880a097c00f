namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Figures the suite measures (swap times, fault outcomes), appended to TestResults/e2e-figures.md so a run
/// leaves them to quote; the assertions, not this file, decide pass or fail.
/// </summary>
public static class Figures
{
    private static readonly object Gate = new();

    public static string FilePath => Path.Combine(RepoPaths.Root, "TestResults", "e2e-figures.md");

    public static void Record(string topic, string text)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, $"- {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z {topic}: {text}\n");
        }
    }
}
