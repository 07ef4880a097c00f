using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Models;

/// <summary>Reading models and versions, shared by the model, alias and job endpoints.</summary>
public static class ModelLookup
{
    public static ModelVersion ToContract(this ModelVersionEntity v, string model) => new(
        model, v.Version, v.Status, v.RunId,
        v.DatasetName is null || v.DatasetVersion is null ? null : new DatasetVersionRef(v.DatasetName, v.DatasetVersion.Value),
        v.Task, v.Label, Json.Read<List<FeatureSchema>>(v.InputSchemaJson), Json.Read<Dictionary<string, double>>(v.MetricsJson),
        v.Sha256, v.SizeBytes, v.Description, Json.ReadStringMap(v.TagsJson), v.CreatedAt);

    public static async Task<RegisteredModel?> GetModelAsync(RegistryDbContext db, string name, CancellationToken ct)
    {
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == name, ct);
        if (model is null)
        {
            return null;
        }
        var latest = await db.ModelVersions.Where(v => v.ModelId == model.Id).MaxAsync(v => (int?)v.Version, ct) ?? 0;
        var aliases = await db.ModelAliases.AsNoTracking().Where(a => a.ModelId == model.Id).ToDictionaryAsync(a => a.Alias, a => a.Version, ct);
        return new RegisteredModel(model.Name, model.Description, latest, aliases, model.CreatedAt);
    }

    /// <summary>Finds a version by number or "latest"; the error is a ready 400/404.</summary>
    public static Task<(ModelVersionEntity? Found, ProblemHttpResult? Error)> FindVersionAsync(
        RegistryDbContext db, string model, string version, CancellationToken ct) =>
        VersionParam.FindAsync(
            from v in db.ModelVersions.AsNoTracking() join m in db.Models on v.ModelId equals m.Id where m.Name == model select v,
            "Model", model, version, ct);

    /// <summary>Creates the model row when missing and locks it: version numbers and alias moves are serialized per model.</summary>
    public static async Task<ModelEntity> LockOrCreateAsync(RegistryDbContext db, string name, string? description, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO models (id, name, description, created_at) VALUES ({Guid.CreateVersion7()}, {name}, {description}, {DateTimeOffset.UtcNow})
            ON CONFLICT (name) DO NOTHING
            """, ct);
        return await db.Models.FromSql($"SELECT * FROM models WHERE name = {name} FOR UPDATE").SingleAsync(ct);
    }
}
