using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Infrastructure;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Models;

/// <summary>
/// Moves an alias inside the caller's transaction: the model row is locked, the alias upserted and one history
/// row appended with the actor. Used by PUT alias (admin) and by job completion (promotion gate).
/// </summary>
public static class AliasMover
{
    public sealed record Outcome(ModelAlias? Alias, string? NotFound);

    public static async Task<Outcome> MoveAsync(RegistryDbContext db, string model, string alias, int version, string actor, string? reason, CancellationToken ct)
    {
        var modelRow = await db.Models.FromSql($"SELECT * FROM models WHERE name = {model} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (modelRow is null)
        {
            return new Outcome(null, $"Model '{model}' does not exist.");
        }
        if (!await db.ModelVersions.AnyAsync(v => v.ModelId == modelRow.Id && v.Version == version && v.Status == ModelVersionStatuses.Ready, ct))
        {
            return new Outcome(null, $"Model '{model}' has no ready version {version}.");
        }
        var now = DateTimeOffset.UtcNow;
        var current = await db.ModelAliases.FirstOrDefaultAsync(a => a.ModelId == modelRow.Id && a.Alias == alias, ct);
        if (current is { } same && same.Version == version)
        {
            return new Outcome(new ModelAlias(model, alias, same.Version, same.UpdatedAt, same.UpdatedBy), null);
        }
        var previous = current?.Version;
        if (current is null)
        {
            current = new ModelAliasEntity { ModelId = modelRow.Id, Alias = alias, Version = version, UpdatedAt = now, UpdatedBy = actor };
            db.ModelAliases.Add(current);
        }
        else
        {
            current.Version = version;
            current.UpdatedAt = now;
            current.UpdatedBy = actor;
        }
        db.AliasHistory.Add(new AliasHistoryEntity
        {
            ModelId = modelRow.Id, Alias = alias, Version = version, PreviousVersion = previous, Actor = actor, Reason = reason, At = now,
        });
        await db.SaveChangesAsync(ct);
        await RegistryEvents.PublishAliasMovedAsync(db, model, alias, ct);
        return new Outcome(new ModelAlias(model, alias, version, now, actor), null);
    }
}
