using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Models;

public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder routes, BodyLimitOptions limits)
    {
        var group = routes.MapGroup("/api/v1/models").WithTags("Models").RequireAuthorization(Policies.Read);
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.Train);
        group.MapGet("/", ListAsync);
        group.MapGet("/{name}", GetAsync);
        group.MapPost("/{name}/versions", RegisterVersionAsync).RequireAuthorization(Policies.Train)
            .WithMetadata(new BodyLimit(limits.ArtifactBytes + ModelVersionUpload.MaxMetadataBytes))
            .Accepts<ModelVersionMetadata>("multipart/form-data");
        group.MapGet("/{name}/versions", ListVersionsAsync);
        group.MapGet("/{name}/versions/{version}", GetVersionAsync);
        group.MapMethods("/{name}/versions/{version}/artifact", [HttpMethods.Get, HttpMethods.Head], GetArtifactAsync);
        return group;
    }

    private static async Task<Results<Created<RegisteredModel>, ProblemHttpResult>> CreateAsync(
        CreateModelRequest request, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(request.Name))
        {
            return Problems.InvalidName("Model name");
        }
        if (await db.Models.AnyAsync(m => m.Name == request.Name, ct))
        {
            return Problems.Conflict($"Model '{request.Name}' already exists.");
        }
        db.Models.Add(new ModelEntity { Id = Guid.CreateVersion7(), Name = request.Name, Description = request.Description, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/models/{request.Name}", (await ModelLookup.GetModelAsync(db, request.Name, ct))!);
    }

    private static async Task<Ok<List<RegisteredModel>>> ListAsync(RegistryDbContext db, CancellationToken ct)
    {
        var names = await db.Models.AsNoTracking().OrderBy(m => m.Name).Select(m => m.Name).Take(1000).ToListAsync(ct);
        var result = new List<RegisteredModel>(names.Count);
        foreach (var name in names)
        {
            result.Add((await ModelLookup.GetModelAsync(db, name, ct))!);
        }
        return TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<RegisteredModel>, ProblemHttpResult>> GetAsync(string name, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Model name");
        }
        return await ModelLookup.GetModelAsync(db, name, ct) is { } model ? TypedResults.Ok(model) : Problems.NotFound($"Model '{name}' does not exist.");
    }

    private static async Task<Results<Created<ModelVersion>, ProblemHttpResult>> RegisterVersionAsync(
        string name, HttpRequest request, RegistryDbContext db, IArtifactStore store, BodyLimitOptions limits, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Model name");
        }
        var (parts, error) = await ModelVersionUpload.ReadAsync(request, ct);
        if (parts is null)
        {
            return Problems.BadRequest(error!);
        }
        var meta = parts.Metadata;
        if (meta.RunId is { } runId && !await db.Runs.AnyAsync(r => r.Id == runId, ct))
        {
            return Problems.NotFound($"Run {runId} does not exist.");
        }
        if (meta.Dataset is { } ds && !await (from v in db.DatasetVersions join d in db.Datasets on v.DatasetId equals d.Id
                                               where d.Name == ds.Name && v.Version == ds.Version select v).AnyAsync(ct))
        {
            return Problems.NotFound($"Dataset '{ds.Name}' has no version {ds.Version}.");
        }

        // Bytes first, hashed as they stream: a row exists only for stored, verified bytes (a wrong sha256 -> 422, no row).
        await using var staged = await store.StageAsync(parts.Artifact.Body, limits.ArtifactBytes, meta.Sha256.ToLowerInvariant(), null, ct);
        var stored = staged.Stored;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var model = await ModelLookup.LockOrCreateAsync(db, name, null, ct);
        var next = (await db.ModelVersions.Where(v => v.ModelId == model.Id).MaxAsync(v => (int?)v.Version, ct) ?? 0) + 1;
        var entity = new ModelVersionEntity
        {
            Id = Guid.CreateVersion7(),
            ModelId = model.Id,
            Version = next,
            Status = ModelVersionStatuses.Ready,
            RunId = meta.RunId,
            DatasetName = meta.Dataset?.Name,
            DatasetVersion = meta.Dataset?.Version,
            Task = meta.Task,
            Label = meta.Label,
            InputSchemaJson = Json.Write(meta.InputSchema),
            MetricsJson = Json.Write(meta.Metrics),
            Sha256 = stored.Sha256,
            SizeBytes = stored.SizeBytes,
            Description = meta.Description,
            TagsJson = Json.Write(meta.Tags ?? new Dictionary<string, string>()),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.ModelVersions.Add(entity);
        await db.SaveChangesAsync(ct);
        await staged.PublishAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/models/{name}/versions/{next}", entity.ToContract(name));
    }

    private static async Task<Results<Ok<List<ModelVersion>>, ProblemHttpResult>> ListVersionsAsync(string name, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Model name");
        }
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == name, ct);
        if (model is null)
        {
            return Problems.NotFound($"Model '{name}' does not exist.");
        }
        var versions = await db.ModelVersions.AsNoTracking().Where(v => v.ModelId == model.Id).OrderBy(v => v.Version).ToListAsync(ct);
        return TypedResults.Ok(versions.Select(v => v.ToContract(name)).ToList());
    }

    private static async Task<Results<Ok<ModelVersion>, ProblemHttpResult>> GetVersionAsync(string name, string version, RegistryDbContext db, CancellationToken ct)
    {
        var (found, error) = await ModelLookup.FindVersionAsync(db, name, version, ct);
        return found is null ? error! : TypedResults.Ok(found.ToContract(name));
    }

    private static async Task<IResult> GetArtifactAsync(string name, string version, RegistryDbContext db, CancellationToken ct)
    {
        var (found, error) = await ModelLookup.FindVersionAsync(db, name, version, ct);
        return found is null ? error! : new BlobResult(found.Sha256, found.SizeBytes, "application/octet-stream", $"{name}-v{found.Version}.zip");
    }
}
