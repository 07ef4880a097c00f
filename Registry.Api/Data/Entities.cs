namespace MlOps.Registry.Api.Data;

// Persistence shapes only; the API speaks the Registry.Client records. JSON-valued columns are jsonb text
// written and read by the feature code, so EF needs no converters or comparers for them.

public sealed class ExperimentEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string TagsJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class RunEntity
{
    public Guid Id { get; set; }
    public Guid ExperimentId { get; set; }
    public string? Name { get; set; }
    public Guid? ParentRunId { get; set; }
    public required string Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}

public sealed class RunParamEntity
{
    public Guid RunId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

public sealed class RunTagEntity
{
    public Guid RunId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

/// <summary>
/// One ingested batch of one metric key, as parallel arrays (steps[i], values[i], timestamps[i]): a 100k-point batch
/// is a handful of rows, which is what makes 100k+ points/s possible (see bench/registry). History unnests them.
/// </summary>
public sealed class MetricChunkEntity
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public required string Key { get; set; }
    public required long[] Steps { get; set; }
    public required double[] Values { get; set; }
    public required DateTime[] Timestamps { get; set; }

    /// <summary>Smallest and largest of <see cref="Steps"/>: a history page finds its chunks by range, not by reading every chunk's steps.</summary>
    public long MinStep { get; set; }
    public long MaxStep { get; set; }
}

/// <summary>Per run and key, the point at the highest step (latest timestamp on ties): what runs show and search filters on.</summary>
public sealed class LatestMetricEntity
{
    public Guid RunId { get; set; }
    public required string Key { get; set; }
    public double Value { get; set; }
    public long Step { get; set; }
    public DateTime Timestamp { get; set; }
}

public sealed class DatasetEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class DatasetVersionEntity : IVersionedEntity
{
    public Guid Id { get; set; }
    public Guid DatasetId { get; set; }
    public int Version { get; set; }
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public long Rows { get; set; }
    public string ColumnsJson { get; set; } = "[]";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ModelEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ModelVersionEntity : IVersionedEntity
{
    public Guid Id { get; set; }
    public Guid ModelId { get; set; }
    public int Version { get; set; }
    public required string Status { get; set; }
    public Guid? RunId { get; set; }
    public string? DatasetName { get; set; }
    public int? DatasetVersion { get; set; }
    public required string Task { get; set; }
    public string? Label { get; set; }
    public string InputSchemaJson { get; set; } = "[]";
    public string MetricsJson { get; set; } = "{}";
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public string? Description { get; set; }
    public string TagsJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ModelAliasEntity
{
    public Guid ModelId { get; set; }
    public required string Alias { get; set; }
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>Append-only: rows are inserted, never updated or deleted.</summary>
public sealed class AliasHistoryEntity
{
    public long Id { get; set; }
    public Guid ModelId { get; set; }
    public required string Alias { get; set; }
    public int Version { get; set; }
    public int? PreviousVersion { get; set; }
    public required string Actor { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset At { get; set; }
}

public sealed class JobEntity
{
    public Guid Id { get; set; }
    public required string SpecJson { get; set; }
    public required string Status { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public Guid? RunId { get; set; }
    public int? ModelVersion { get; set; }
    public bool? Promoted { get; set; }
    public string? Message { get; set; }
    public string? Error { get; set; }
    public string? IdempotencyKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A numbered version of a named thing (dataset or model): what "{version}" routes look up.</summary>
public interface IVersionedEntity
{
    int Version { get; }
}

/// <summary>A prediction log file (Parquet) in the bucket under <see cref="Key"/>; retention deletes object and row together.</summary>
public sealed class PredictionLogFileEntity
{
    public Guid Id { get; set; }
    public required string Model { get; set; }
    public required string Kind { get; set; }
    public int? Version { get; set; }
    public DateOnly Date { get; set; }
    public required string Key { get; set; }
    public long Rows { get; set; }
    public long Bytes { get; set; }
    public DateTimeOffset? MinTs { get; set; }
    public DateTimeOffset? MaxTs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Where a dataset version materialised from a prediction log window came from (DatasetLineage as jsonb).</summary>
public sealed class DatasetVersionLineageEntity
{
    public Guid DatasetVersionId { get; set; }
    public string LineageJson { get; set; } = "{}";
}
