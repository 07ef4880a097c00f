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
        // Chunks wholly at or before afterStep are skipped on their steps array alone (an array operator, no unnest),
        // before values and timestamps (TOASTed for large batches) are read.
        var after = afterStep is null ? "" : " AND @after < ANY(c.steps) AND p.step > @after";
        var where = "WHERE c.run_id = @id AND c.key = @key" + after;
        var sql = limit is not null
            // A page: the limit-th smallest step after afterStep (a bounded top-N over the steps arrays alone) is the
            // page's last step; the page is every point up to it, so "afterStep = last step" loses none of a step
            // logged twice, and only the chunks holding such steps are unnested in full.
            ? $"""
              WITH cut AS (
                SELECT max(step) AS last FROM (
                  SELECT p.step FROM metric_chunks c, unnest(c.steps) AS p(step) {where}
                  ORDER BY p.step LIMIT @n) t)
              SELECT p.step AS "Step", p.value AS "Value", p.ts AS "Timestamp" {points}, cut
              {where} AND cut.last >= ANY(c.steps) AND p.step <= cut.last
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
