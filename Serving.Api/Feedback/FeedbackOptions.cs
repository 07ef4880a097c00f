using Microsoft.Extensions.Options;

namespace MlOps.Serving.Api.Feedback;

/// <summary><c>Serving:Feedback</c> (docs/prediction-log.md): batch limit and the live quality window.</summary>
public sealed class FeedbackOptions
{
    public const string Section = "Serving:Feedback";

    /// <summary>Items per feedback request.</summary>
    public int MaxItems { get; set; } = 1000;

    /// <summary>Live quality is computed over the last this-many labelled predictions of each model version.</summary>
    public int QualityWindow { get; set; } = 1000;

    /// <summary>How long a feedback request waits for predictions answered just before it to be indexed.</summary>
    public double CatchUpSeconds { get; set; } = 2;

    /// <summary>How long a key's role (asked of the registry) is remembered.</summary>
    public double AuthCacheSeconds { get; set; } = 60;
}

public sealed class FeedbackOptionsValidator : IValidateOptions<FeedbackOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedbackOptions o)
    {
        var errors = new List<string>();
        if (o.MaxItems is < 1 or > 100_000) errors.Add($"{FeedbackOptions.Section}:MaxItems must be 1-100000.");
        if (o.QualityWindow is < 1 or > 1_000_000) errors.Add($"{FeedbackOptions.Section}:QualityWindow must be 1-1000000.");
        if (!(o.CatchUpSeconds is >= 0 and <= 60)) errors.Add($"{FeedbackOptions.Section}:CatchUpSeconds must be 0-60.");
        if (!(o.AuthCacheSeconds is >= 0 and <= 3600)) errors.Add($"{FeedbackOptions.Section}:AuthCacheSeconds must be 0-3600.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
