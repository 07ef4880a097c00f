using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Runs;
using Npgsql;

namespace MlOps.Registry.Api.Runs;

/// <summary>
/// One run's history of one metric key, unnested from its metric_chunks rows. A long training can log millions of
/// points for one key (2,000,000 points is ~200 MB of JSON and seconds to send), so callers may ask for a page
/// (<c>afterStep</c> + <c>limit</c>) or an evenly thinned series for a chart (<c>maxPoints</c>); without them the
/// answer is the whole history, as before.
/// </summary>
public sealed class MetricHistory(RegistryDbContext db)
{
    public const int MaxLimit = 100_000;

    public static string? Validate(long? afterStep, int? limit, int? maxPoints) =>
        limit is < 1 or > MaxLimit ? $"limit must be 1-{MaxLimit}."
        : maxPoints is < 2 or > MaxLimit ? $"maxPoints must be 2-{MaxLimit}."
        : limit is not null && maxPoints is not null ? "limit (a page) and maxPoints (a thinned series) do not combine."
        : null;

    public async Task<List<MetricPoint>> ReadAsync(Guid id, string key, long? afterStep, int? limit, int? maxPoints, CancellationToken ct)
    {
        const string points = "FROM metric_chunks c, unnest(c.steps, c.values, c.timestamps) WITH ORDINALITY AS p(step, value, ts, n)";
        // Chunks wholly at or before afterStep are skipped on their step range (max_step), before any array is read.
        var chunksAfter = afterStep is null ? "" : " AND c.max_step > @after";
        var stepAfter = afterStep is null ? "" : " AND p.step > @after";
        var chunks = "WHERE c.run_id = @id AND c.key = @key" + chunksAfter;
        var where = chunks + stepAfter;
        var pointsAfter = $"(SELECT count(*) FROM unnest(c.steps) AS p(step) WHERE true{stepAfter})";
        var sql = limit is not null
            // A page: every point up to the limit-th smallest step after afterStep (so "afterStep = last step" loses
            // none of a step logged twice), read without touching the rest of the key's history:
            // 1. walk the key's chunks in min_step order (one index probe each) until they hold `limit` points;
            // 2. the limit-th smallest step among those bounds the page's last step from above;
            // 3. the page's last step is the limit-th smallest among the chunks that start at or before that bound
            //    (chunks may overlap or arrive out of step order: every point <= the bound is in one of them);
            // 4. the page is those chunks' points up to it.
            ? $"""
              WITH RECURSIVE walk AS (
                (SELECT c.id, c.min_step, {pointsAfter} AS total
                 FROM metric_chunks c {chunks} ORDER BY c.min_step, c.id LIMIT 1)
                UNION ALL
                SELECT n.id, n.min_step, w.total + n.points FROM walk w
                CROSS JOIN LATERAL (
                  SELECT c.id, c.min_step, {pointsAfter} AS points
                  FROM metric_chunks c {chunks} AND (c.min_step, c.id) > (w.min_step, w.id)
                  ORDER BY c.min_step, c.id LIMIT 1) n
                WHERE w.total < @n),
              bound AS (
                SELECT COALESCE((
                  SELECT p.step FROM metric_chunks c, unnest(c.steps) AS p(step)
                  WHERE c.id IN (SELECT id FROM walk){stepAfter} ORDER BY p.step OFFSET @n - 1 LIMIT 1), 9223372036854775807) AS b),
              cut AS (
                SELECT max(step) AS last FROM (
                  SELECT p.step FROM metric_chunks c, unnest(c.steps) AS p(step), bound
                  {where} AND c.min_step <= bound.b ORDER BY p.step LIMIT @n) t)
              SELECT p.step AS "Step", p.value AS "Value", p.ts AS "Timestamp" {points}, cut
              {where} AND c.min_step <= cut.last AND p.step <= cut.last
              ORDER BY p.step, p.ts, c.id, p.n
              """
            : maxPoints is not null
            // Every k-th point in history order plus the last, k chosen so that at most maxPoints come back.
            ? $"""
              SELECT step AS "Step", value AS "Value", ts AS "Timestamp" FROM (
                SELECT p.step, p.value, p.ts, row_number() OVER (ORDER BY p.step, p.ts, c.id, p.n) AS rn, count(*) OVER () AS total
                {points} {where}) x
              WHERE total <= @n OR (rn - 1) % ceil(total / (@n - 1.0))::bigint = 0 OR rn = total
              ORDER BY rn
              """
            : $"""
              SELECT p.step AS "Step", p.value AS "Value", p.ts AS "Timestamp" {points} {where}
              ORDER BY p.step, p.ts, c.id, p.n
              """;
        object[] parameters =
        [
            new NpgsqlParameter("id", id), new NpgsqlParameter("key", key),
            new NpgsqlParameter("after", afterStep ?? 0L), new NpgsqlParameter("n", limit ?? maxPoints ?? 0),
        ];
        var rows = await db.Database.SqlQueryRaw<Row>(sql, parameters).ToListAsync(ct);
        return rows.Select(r => new MetricPoint(key, r.Value, r.Step, new DateTimeOffset(r.Timestamp, TimeSpan.Zero))).ToList();
    }

    private sealed class Row
    {
        public long Step { get; init; }
        public double Value { get; init; }
        public DateTime Timestamp { get; init; }
    }
}
