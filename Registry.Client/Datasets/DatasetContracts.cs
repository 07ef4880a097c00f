namespace MlOps.Registry.Client.Datasets;

public sealed record Dataset(
    string Name,
    string? Description,
    int LatestVersion,
    DateTimeOffset CreatedAt);

/// <summary>
/// A content-addressed dataset version: uploading identical bytes again returns this same version.
/// Schema and stats are computed by the registry in the upload's single pass.
/// </summary>
public sealed record DatasetVersion(
    string Dataset,
    int Version,
    string Sha256,
    long SizeBytes,
    long Rows,
    IReadOnlyList<DatasetColumn> Columns,
    DateTimeOffset CreatedAt,
    /// <summary>Set when the version was materialised from a prediction log window (docs/registry-api.md).</summary>
    MlOps.Registry.Client.PredictionLogs.DatasetLineage? Lineage = null);

/// <summary>
/// A CSV column. <see cref="Type"/> is <c>numeric</c> when every non-missing value parses as a number
/// (invariant culture), else <c>categorical</c>. Empty cells and NA/NaN/null count as missing.
/// </summary>
public sealed record DatasetColumn(
    string Name,
    string Type,
    long Missing,
    NumericStats? Numeric,
    CategoricalStats? Categorical);

public sealed record NumericStats(double Min, double Max, double Mean, double Std);

/// <summary>Level counts, capped: when <see cref="Truncated"/>, only the most frequent levels are listed.</summary>
public sealed record CategoricalStats(long Distinct, IReadOnlyDictionary<string, long> Levels, bool Truncated);

/// <summary>What an upload returned: <see cref="Created"/> is false when identical bytes already had a version.</summary>
public sealed record DatasetUploadResult(DatasetVersion Version, bool Created);

public static class ColumnTypes
{
    public const string Numeric = "numeric";
    public const string Categorical = "categorical";
}
