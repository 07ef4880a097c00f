using Microsoft.Extensions.Options;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// <c>Serving:PredictionLog</c> (docs/prediction-log.md): which share of requests is logged and how the buffer
/// between the request path and the uploader is bounded and flushed.
/// </summary>
public sealed class PredictionLogOptions
{
    public const string Section = "Serving:PredictionLog";

    /// <summary>Percent of requests (0-100, fractions allowed) whose rows are logged; 0 turns logging off.</summary>
    public double SamplePercent { get; set; }

    /// <summary>Rows the buffer holds before new ones are dropped (and counted).</summary>
    public int BufferRows { get; set; } = 50_000;

    /// <summary>Request bytes (bodies kept for off-thread serialisation) the buffer holds before dropping.</summary>
    public long BufferBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A (model, version, date) batch is written as one file once it has this many rows...</summary>
    public int FlushRows { get; set; } = 10_000;

    /// <summary>...or when its oldest row is this old.</summary>
    public double FlushSeconds { get; set; } = 60;

    /// <summary>Upload attempts per file (backoff 1 s, 2 s, 4 s, ... capped at 60 s) before its rows are given up.</summary>
    public int UploadAttempts { get; set; } = 5;

    /// <summary>Logged predictions remembered by this replica so that feedback can be matched (oldest forgotten first).</summary>
    public int IndexRows { get; set; } = 200_000;

    public bool Enabled => SamplePercent > 0;
}

/// <summary>Refuses a start with settings that cannot work, naming the key.</summary>
public sealed class PredictionLogOptionsValidator : IValidateOptions<PredictionLogOptions>
{
    public ValidateOptionsResult Validate(string? name, PredictionLogOptions o)
    {
        var errors = new List<string>();
        if (!(o.SamplePercent is >= 0 and <= 100)) errors.Add($"{PredictionLogOptions.Section}:SamplePercent must be 0-100 (got {o.SamplePercent}).");
        if (o.BufferRows < 1) errors.Add($"{PredictionLogOptions.Section}:BufferRows must be at least 1.");
        if (o.BufferBytes < 1024) errors.Add($"{PredictionLogOptions.Section}:BufferBytes must be at least 1024.");
        if (o.FlushRows < 1) errors.Add($"{PredictionLogOptions.Section}:FlushRows must be at least 1.");
        if (!(o.FlushSeconds is > 0 and <= 86_400)) errors.Add($"{PredictionLogOptions.Section}:FlushSeconds must be in (0, 86400].");
        if (o.UploadAttempts is < 1 or > 100) errors.Add($"{PredictionLogOptions.Section}:UploadAttempts must be 1-100.");
        if (o.IndexRows < 0) errors.Add($"{PredictionLogOptions.Section}:IndexRows must be 0 or more.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
