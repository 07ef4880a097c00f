namespace MlOps.Registry.Client.Runs;

/// <summary>Body of <c>POST /api/v1/runs</c>. The experiment must exist (see RegistryClient.GetOrCreateExperimentAsync).</summary>
public sealed record CreateRunRequest(
    string Experiment,
    string? Name = null,
    /// <summary>Set for sweep trials: the parent run that registers the best trial.</summary>
    Guid? ParentRunId = null,
    IReadOnlyDictionary<string, string>? Params = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Body of <c>PATCH /api/v1/runs/{id}</c>: status change and/or tags to set (merged, not replaced).</summary>
public sealed record UpdateRunRequest(
    string? Status = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Body of <c>POST /api/v1/runs/{id}/params</c>. Params are immutable: a new key is added, the same
/// key with the same value is accepted, the same key with another value is a 409.</summary>
public sealed record LogParamsRequest(IReadOnlyDictionary<string, string> Params);

public sealed record Run(
    Guid Id,
    Guid ExperimentId,
    string Experiment,
    string? Name,
    Guid? ParentRunId,
    string Status,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    /// <summary>Per key, the value at the highest step (latest timestamp on ties).</summary>
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt);

public static class RunStatuses
{
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Failed = "failed";
    public const string Killed = "killed";
    public static readonly IReadOnlyList<string> All = [Running, Finished, Failed, Killed];
    public static bool IsTerminal(string status) => status is Finished or Failed or Killed;
}
