namespace MlOps.Registry.Client.Experiments;

/// <summary>Body of <c>POST /api/v1/experiments</c>. A duplicate name is a 409.</summary>
public sealed record CreateExperimentRequest(
    string Name,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Tags = null);

public sealed record Experiment(
    Guid Id,
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset CreatedAt);
