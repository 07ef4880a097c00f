namespace MlOps.Registry.Client.Runs;

/// <summary>Body of <c>POST /api/v1/runs/search</c>. Filters are AND-ed.</summary>
public sealed record SearchRunsRequest(
    /// <summary>Experiment names; null or empty means all experiments.</summary>
    IReadOnlyList<string>? Experiments = null,
    IReadOnlyList<RunFilter>? Filters = null,
    string? Status = null,
    RunOrder? OrderBy = null,
    int PageSize = 50,
    /// <summary>The previous page's <see cref="RunPage.NextPageToken"/>.</summary>
    string? PageToken = null);

/// <summary>
/// <see cref="Kind"/>: <c>metric</c> (the run's latest value), <c>param</c> or <c>tag</c>. <see cref="Op"/>: one of
/// <c>= != &gt; &gt;= &lt; &lt;=</c>. Metrics compare as numbers; params and tags compare as strings for = and !=,
/// and as numbers for the others (a non-numeric stored value never matches).
/// </summary>
public sealed record RunFilter(string Kind, string Key, string Op, string Value);

/// <summary><see cref="Kind"/>: <c>metric</c>, <c>param</c>, <c>tag</c> or <c>attribute</c> (Key = <c>startedAt</c> or <c>name</c>).</summary>
public sealed record RunOrder(string Kind, string Key, bool Descending = true);

public sealed record RunPage(IReadOnlyList<Run> Runs, string? NextPageToken);

public static class RunFilterKinds
{
    public const string Metric = "metric";
    public const string Param = "param";
    public const string Tag = "tag";
    public const string Attribute = "attribute";
}
