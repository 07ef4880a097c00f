using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Storage;

namespace MlOps.Registry.Api.Datasets;

/// <summary>
/// The one path that creates dataset versions (CSV upload and prediction log materialisation): the bytes are
/// profiled and hashed in one pass, and identical bytes give the existing version.
/// </summary>
public static class DatasetVersionWriter
{
    /// <summary>
    /// Stores <paramref name="csv"/> as the next version of <paramref name="name"/> unless identical bytes already
    /// have one. <paramref name="lineageJson"/>, when given, is stored with the version (kept if one is already there).
    /// Throws <see cref="CsvFormatException"/> for bytes that are not a usable CSV; nothing is kept then.
    /// </summary>
    public static async Task<(DatasetVersionEntity Version, bool Created)> WriteAsync(
        RegistryDbContext db, IArtifactStore store, string name, string? description, Stream csv, long maxBytes,
        string? lineageJson, CancellationToken ct)
    {
        var profiler = new CsvProfiler();
        await using var staged = await store.StageAsync(csv, maxBytes, null, profiler, ct);
        var stored = staged.Stored;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Serialize version numbering per dataset: create the row if needed, then lock it.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO datasets (id, name, description, created_at) VALUES ({Guid.CreateVersion7()}, {name}, {description}, {DateTimeOffset.UtcNow})
            ON CONFLICT (name) DO NOTHING
            """, ct);
        var dataset = await db.Datasets.FromSql($"SELECT * FROM datasets WHERE name = {name} FOR UPDATE").SingleAsync(ct);
        var existing = await db.DatasetVersions.AsNoTracking().FirstOrDefaultAsync(v => v.DatasetId == dataset.Id && v.Sha256 == stored.Sha256, ct);
        if (existing is not null)
        {
            await AddLineageAsync(db, existing.Id, lineageJson, ct);
            await tx.CommitAsync(ct);
            return (existing, false);
        }
        var next = (await db.DatasetVersions.Where(v => v.DatasetId == dataset.Id).MaxAsync(v => (int?)v.Version, ct) ?? 0) + 1;
        var version = new DatasetVersionEntity
        {
            Id = Guid.CreateVersion7(),
            DatasetId = dataset.Id,
            Version = next,
            Sha256 = stored.Sha256,
            SizeBytes = stored.SizeBytes,
            Rows = profiler.Rows,
            ColumnsJson = Json.Write(profiler.Columns()),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        if (description is not null)
        {
            dataset.Description = description;
        }
        db.DatasetVersions.Add(version);
        await db.SaveChangesAsync(ct);
        await AddLineageAsync(db, version.Id, lineageJson, ct);
        // Bytes reach their content address only once the rows are written: a refused write leaves no object.
        await staged.PublishAsync(ct);
        await tx.CommitAsync(ct);
        return (version, true);
    }

    // The first lineage stays: the same bytes from a later, identical window add nothing new.
    private static async Task AddLineageAsync(RegistryDbContext db, Guid versionId, string? lineageJson, CancellationToken ct)
    {
        if (lineageJson is not null)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO dataset_version_lineage (dataset_version_id, lineage_json) VALUES ({versionId}, {lineageJson}::jsonb)
                ON CONFLICT (dataset_version_id) DO NOTHING
                """, ct);
        }
    }
}
