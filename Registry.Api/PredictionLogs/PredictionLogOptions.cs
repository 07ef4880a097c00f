namespace MlOps.Registry.Api.PredictionLogs;

/// <summary><c>Registry:PredictionLogs:*</c> (docs/registry-api.md).</summary>
public sealed class PredictionLogOptions
{
    /// <summary>Files whose newest row is older than this many days are deleted (object and row).</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often the retention sweep runs.</summary>
    public int RetentionCheckMinutes { get; set; } = 60;

    /// <summary>Largest prediction log file accepted, in bytes.</summary>
    public long MaxFileBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most logged rows (predictions, and separately feedback) one materialisation reads: rows are held in memory
    /// while joined, so a bigger window is refused with a problem asking for a narrower one.
    /// </summary>
    public long MaxWindowRows { get; set; } = 1_000_000;
}
