using MlOps.Registry.Client.Runs;
using Npgsql;
using NpgsqlTypes;

namespace MlOps.Registry.Api.Runs;

/// <summary>
/// Batch metric ingestion through PostgreSQL binary COPY: one round trip per batch and no change tracking,
/// which is what makes 100k+ points/s possible (see bench/registry).
/// </summary>
public sealed class MetricWriter(NpgsqlDataSource dataSource)
{
    public async Task<int> WriteAsync(Guid runId, IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var importer = await conn.BeginBinaryImportAsync(
            "COPY metrics (run_id, key, value, step, timestamp) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var p in points)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(runId, NpgsqlDbType.Uuid, ct);
            await importer.WriteAsync(p.Key, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(p.Value, NpgsqlDbType.Double, ct);
            await importer.WriteAsync(p.Step, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync((p.Timestamp ?? now).UtcDateTime, NpgsqlDbType.TimestampTz, ct);
        }
        await importer.CompleteAsync(ct);
        return points.Count;
    }
}
