namespace MlOps.Registry.Client.Models;

/// <summary>Body of <c>POST /api/v1/models</c>. Registering a version also creates its model when missing.</summary>
public sealed record CreateModelRequest(string Name, string? Description = null);

public sealed record RegisteredModel(
    string Name,
    string? Description,
    /// <summary>0 when no version is registered yet.</summary>
    int LatestVersion,
    /// <summary>Alias -> version.</summary>
    IReadOnlyDictionary<string, int> Aliases,
    DateTimeOffset CreatedAt);

/// <summary>A dataset version a model was trained on.</summary>
public sealed record DatasetVersionRef(string Name, int Version);

/// <summary>An input column of a model. <see cref="Type"/>: <c>numeric</c> or <c>categorical</c> (see ColumnTypes).</summary>
public sealed record FeatureSchema(
    string Name,
    string Type,
    /// <summary>Known levels of a categorical column (training data), when useful to clients.</summary>
    IReadOnlyList<string>? Levels = null);

/// <summary>
/// The metadata part of <c>POST /api/v1/models/{name}/versions</c> (multipart: part <c>metadata</c> = this JSON,
/// then part <c>artifact</c> = the bytes). <see cref="Sha256"/> is the expected hex sha256 of the artifact: a
/// mismatch is a 422 and no version is created.
/// </summary>
public sealed record ModelVersionMetadata(
    Guid? RunId,
    DatasetVersionRef? Dataset,
    /// <summary><c>regression</c>, <c>binary</c> or <c>multiclass</c> (TrainingTasks).</summary>
    string Task,
    IReadOnlyList<FeatureSchema> InputSchema,
    IReadOnlyDictionary<string, double> Metrics,
    string Sha256,
    string? Label = null,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A registered version. Rows exist only once the artifact is stored and its sha256 checked, so Status is <c>ready</c>.</summary>
public sealed record ModelVersion(
    string Model,
    int Version,
    string Status,
    Guid? RunId,
    DatasetVersionRef? Dataset,
    string Task,
    string? Label,
    IReadOnlyList<FeatureSchema> InputSchema,
    IReadOnlyDictionary<string, double> Metrics,
    string Sha256,
    long SizeBytes,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset CreatedAt);

public static class ModelVersionStatuses
{
    public const string Ready = "ready";
}

/// <summary>What HEAD on an artifact tells: size and sha256 (the ETag, unquoted).</summary>
public sealed record ArtifactInfo(string Sha256, long SizeBytes);
