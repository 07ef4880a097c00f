using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.Registry.Api.Datasets;

public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder routes, BodyLimitOptions limits)
    {
        var group = routes.MapGroup("/api/v1/datasets").WithTags("Datasets").RequireAuthorization(Policies.Read);
        group.MapPut("/{name}", UploadAsync).RequireAuthorization(Policies.Train)
            .WithMetadata(new BodyLimit(limits.DatasetBytes))
            .Accepts<Stream>("text/csv", "text/plain", "application/octet-stream");
        group.MapGet("/", ListAsync);
        group.MapGet("/{name}", GetAsync);
        group.MapGet("/{name}/versions", ListVersionsAsync);
        group.MapGet("/{name}/versions/{version}", GetVersionAsync);
        group.MapMethods("/{name}/versions/{version}/content", [HttpMethods.Get, HttpMethods.Head], GetContentAsync);
        return group;
    }

    internal static DatasetVersion ToContract(this DatasetVersionEntity v, string dataset, string? lineageJson = null) =>
        new(dataset, v.Version, v.Sha256, v.SizeBytes, v.Rows, Json.Read<List<DatasetColumn>>(v.ColumnsJson), v.CreatedAt,
            lineageJson is null ? null : Json.Read<DatasetLineage>(lineageJson));

    private static Task<Dictionary<Guid, string>> LineageAsync(RegistryDbContext db, IReadOnlyCollection<Guid> versionIds, CancellationToken ct) =>
        db.DatasetVersionLineage.AsNoTracking().Where(l => versionIds.Contains(l.DatasetVersionId))
            .ToDictionaryAsync(l => l.DatasetVersionId, l => l.LineageJson, ct);

    private static async Task<Results<Created<DatasetVersion>, Ok<DatasetVersion>, ProblemHttpResult>> UploadAsync(
        string name, string? description, HttpRequest request, RegistryDbContext db, IArtifactStore store, BodyLimitOptions limits, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Dataset name");
        }
        if (description is { Length: > 1000 })
        {
            return Problems.BadRequest("description is at most 1000 characters.");
        }
        if (description is not null && MlOps.Registry.Client.Json.StorableStringConverter.Unstorable(description) is { } unstorable)
        {
            return Problems.BadRequest($"description {unstorable}.");
        }
        try
        {
            var (version, created) = await DatasetVersionWriter.WriteAsync(db, store, name, description, request.Body, limits.DatasetBytes, null, ct);
            return created
                ? TypedResults.Created($"/api/v1/datasets/{name}/versions/{version.Version}", version.ToContract(name))
                : TypedResults.Ok(version.ToContract(name));
        }
        catch (CsvFormatException e)
        {
            return Problems.BadRequest("Not a usable CSV: " + e.Message);
        }
    }

    private static async Task<Ok<List<Dataset>>> ListAsync(RegistryDbContext db, CancellationToken ct)
    {
        var rows = await db.Datasets.AsNoTracking().OrderBy(d => d.Name)
            .Select(d => new Dataset(d.Name, d.Description, db.DatasetVersions.Where(v => v.DatasetId == d.Id).Max(v => (int?)v.Version) ?? 0, d.CreatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(rows);
    }

    private static async Task<Results<Ok<Dataset>, ProblemHttpResult>> GetAsync(string name, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Dataset name");
        }
        var dataset = await db.Datasets.AsNoTracking().Where(d => d.Name == name)
            .Select(d => new Dataset(d.Name, d.Description, db.DatasetVersions.Where(v => v.DatasetId == d.Id).Max(v => (int?)v.Version) ?? 0, d.CreatedAt))
            .FirstOrDefaultAsync(ct);
        return dataset is null ? Problems.NotFound($"Dataset '{name}' does not exist.") : TypedResults.Ok(dataset);
    }

    private static async Task<Results<Ok<List<DatasetVersion>>, ProblemHttpResult>> ListVersionsAsync(string name, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Dataset name");
        }
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Name == name, ct);
        if (dataset is null)
        {
            return Problems.NotFound($"Dataset '{name}' does not exist.");
        }
        var versions = await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == dataset.Id).OrderBy(v => v.Version).ToListAsync(ct);
        var lineage = await LineageAsync(db, versions.Select(v => v.Id).ToList(), ct);
        return TypedResults.Ok(versions.Select(v => v.ToContract(name, lineage.GetValueOrDefault(v.Id))).ToList());
    }

    /// <summary>Finds a version by number or "latest"; the error is a ready 400/404.</summary>
    internal static Task<(DatasetVersionEntity? Found, ProblemHttpResult? Error)> FindVersionAsync(
        RegistryDbContext db, string name, string version, CancellationToken ct) =>
        VersionParam.FindAsync(
            from v in db.DatasetVersions.AsNoTracking() join d in db.Datasets on v.DatasetId equals d.Id where d.Name == name select v,
            "Dataset", name, version, ct);

    private static async Task<Results<Ok<DatasetVersion>, ProblemHttpResult>> GetVersionAsync(string name, string version, RegistryDbContext db, CancellationToken ct)
    {
        var (found, error) = await FindVersionAsync(db, name, version, ct);
        if (found is null)
        {
            return error!;
        }
        var lineage = await LineageAsync(db, [found.Id], ct);
        return TypedResults.Ok(found.ToContract(name, lineage.GetValueOrDefault(found.Id)));
    }

    private static async Task<IResult> GetContentAsync(string name, string version, RegistryDbContext db, CancellationToken ct)
    {
        var (found, error) = await FindVersionAsync(db, name, version, ct);
        return found is null ? error! : new BlobResult(found.Sha256, found.SizeBytes, "text/csv", $"{name}-v{found.Version}.csv");
    }
}
