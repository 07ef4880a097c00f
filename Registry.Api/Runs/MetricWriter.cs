using MlOps.Registry.Client.Runs;
using Npgsql;
using NpgsqlTypes;

namespace MlOps.Registry.Api.Runs;

/// <summary>
/// Batch metric ingestion: the batch is split by key into parallel arrays, written as one metric_chunks row per
/// key (binary array parameters, no change tracking), and each key's latest point is upserted, all in one
/// transaction and two statements. That is what makes 100k+ points/s possible (see bench/registry).
/// </summary>
public sealed class MetricWriter(NpgsqlDataSource dataSource)
{
    private sealed class Columns(int capacity)
    {
        public readonly List<long> Steps = new(capacity);
        public readonly List<double> Values = new(capacity);
        public readonly List<DateTime> Timestamps = new(capacity);
        public int Latest = -1;
    }

    public async Task<int> WriteAsync(Guid runId, IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        if (points.Count == 0)
        {
            return 0;
        }
        var now = DateTime.UtcNow;
        var byKey = new Dictionary<string, Columns>(StringComparer.Ordinal);
        foreach (var p in points)
        {
            if (!byKey.TryGetValue(p.Key, out var c))
            {
                byKey[p.Key] = c = new Columns(points.Count / 4 + 1);
            }
            var ts = p.Timestamp?.UtcDateTime ?? now;
            c.Steps.Add(p.Step);
            c.Values.Add(p.Value);
            c.Timestamps.Add(ts);
            var i = c.Steps.Count - 1;
            if (c.Latest < 0 || p.Step > c.Steps[c.Latest] || (p.Step == c.Steps[c.Latest] && ts >= c.Timestamps[c.Latest]))
            {
                c.Latest = i;
            }
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var (key, c) in byKey)
        {
            var insert = new NpgsqlBatchCommand(
                "INSERT INTO metric_chunks (run_id, key, steps, values, timestamps, min_step, max_step) VALUES ($1, $2, $3, $4, $5, $6, $7)");
            insert.Parameters.Add(new NpgsqlParameter { Value = runId, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = c.Steps.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = c.Values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
            insert.Parameters.Add(new NpgsqlParameter { Value = c.Timestamps.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = c.Steps.Min(), NpgsqlDbType = NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = c.Steps.Max(), NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(insert);

            var latest = new NpgsqlBatchCommand("""
                INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
                WHERE (excluded.step, excluded.timestamp) >= (latest_metrics.step, latest_metrics.timestamp)
                """);
            latest.Parameters.Add(new NpgsqlParameter { Value = runId, NpgsqlDbType = NpgsqlDbType.Uuid });
            latest.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            latest.Parameters.Add(new NpgsqlParameter { Value = c.Values[c.Latest], NpgsqlDbType = NpgsqlDbType.Double });
            latest.Parameters.Add(new NpgsqlParameter { Value = c.Steps[c.Latest], NpgsqlDbType = NpgsqlDbType.Bigint });
            latest.Parameters.Add(new NpgsqlParameter { Value = c.Timestamps[c.Latest], NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(latest);
        }
        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return points.Count;
    }
}
