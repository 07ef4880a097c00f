using System.Globalization;

namespace MlOps.Training.Worker.Promotion;

/// <summary>
/// What the promotion gate decided and why. <see cref="Mode"/>: <c>no-holder</c>, <c>same-split</c> (the holder
/// was scored on this job's test split), <c>recorded-metric</c> (the holder's registered metric was used, since it
/// was trained on another dataset version or could not be scored here), or <c>no-alias</c>.
/// </summary>
public sealed record GateDecision(
    bool Promote,
    string Mode,
    string Metric,
    double? Candidate,
    double? Incumbent,
    int? HolderVersion,
    string Reason)
{
    public const string NoAlias = "no-alias";
    public const string NoHolder = "no-holder";
    public const string SameSplit = "same-split";
    public const string RecordedMetric = "recorded-metric";

    /// <summary>Run tags that record the decision.</summary>
    public IReadOnlyDictionary<string, string> ToTags()
    {
        var tags = new Dictionary<string, string>
        {
            ["gate.decision"] = Promote ? "promoted" : "not-promoted",
            ["gate.mode"] = Mode,
            ["gate.metric"] = Metric,
            ["gate.reason"] = Reason,
        };
        if (Candidate is { } c) tags["gate.candidate"] = c.ToString("R", CultureInfo.InvariantCulture);
        if (Incumbent is { } i) tags["gate.incumbent"] = i.ToString("R", CultureInfo.InvariantCulture);
        if (HolderVersion is { } v) tags["gate.holder_version"] = v.ToString(CultureInfo.InvariantCulture);
        return tags;
    }
}
