using System.Globalization;
using System.Text;
using MlOps.Registry.Client.Runs;
using Npgsql;

namespace MlOps.Registry.Api.Runs;

/// <summary>
/// Translates a <see cref="SearchRunsRequest"/> into one parameterized SQL query returning a page of run ids.
/// Keys and values only ever travel as parameters; operators and kinds come from fixed lists.
/// </summary>
public sealed class RunSearch(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 1000;
    private static readonly Dictionary<string, string> Operators = new()
    {
        ["="] = "=", ["!="] = "<>", [">"] = ">", [">="] = ">=", ["<"] = "<", ["<="] = "<=",
    };
    private const string NumericPattern = @"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$";

    /// <summary>Checks the request; returns an error message for a 400, or null.</summary>
    public static string? Validate(SearchRunsRequest request)
    {
        if (request.PageSize is < 1 or > MaxPageSize)
        {
            return $"pageSize must be 1-{MaxPageSize}.";
        }
        var order = request.OrderBy ?? DefaultOrder;
        if (request.PageToken is not null)
        {
            var token = PageToken.Parse(request.PageToken);
            if (token is null || token is { Offset: null } && (token.Order != Signature(order) || token.Value is not null && !TryParseValue(token.Value, ValueType(order), out _)))
            {
                return "pageToken is not one this API returned for this order.";
            }
        }
        if (request.Status is not null && !RunStatuses.All.Contains(request.Status))
        {
            return $"status must be one of {string.Join(", ", RunStatuses.All)}.";
        }
        if (request.Experiments?.Any(e => e is null) == true || request.Filters?.Any(f => f is null) == true)
        {
            return "experiments and filters must not hold null.";
        }
        foreach (var f in request.Filters ?? [])
        {
            if (f.Kind is not (RunFilterKinds.Metric or RunFilterKinds.Param or RunFilterKinds.Tag))
            {
                return $"filter kind '{f.Kind}' must be metric, param or tag.";
            }
            if (f.Op is null || !Operators.ContainsKey(f.Op))
            {
                return $"filter op '{f.Op}' must be one of = != > >= < <=.";
            }
            if (string.IsNullOrEmpty(f.Key) || f.Value is null)
            {
                return "filter key and value are required.";
            }
            var numericOp = f.Kind == RunFilterKinds.Metric || f.Op is not ("=" or "!=");
            if (numericOp && !double.TryParse(f.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return $"filter value '{f.Value}' must be a number for {f.Kind} {f.Op}.";
            }
        }
        if (request.OrderBy is { } o)
        {
            var ok = o.Kind switch
            {
                RunFilterKinds.Attribute => o.Key is "startedAt" or "name",
                RunFilterKinds.Metric or RunFilterKinds.Param or RunFilterKinds.Tag => !string.IsNullOrEmpty(o.Key),
                _ => false,
            };
            if (!ok)
            {
                return "orderBy kind must be metric, param, tag or attribute (key startedAt or name).";
            }
        }
        return null;
    }

    /// <summary>The ids of one page and the token of the next (null on the last page).</summary>
    public async Task<(List<Guid> Ids, string? Next)> FindAsync(SearchRunsRequest request, CancellationToken ct)
    {
        var order = request.OrderBy ?? DefaultOrder;
        var token = request.PageToken is null ? null : PageToken.Parse(request.PageToken);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        Guid[]? experimentIds = null;
        if (request.Experiments is { Count: > 0 } exps)
        {
            // Ids first (a unique-index lookup): "experiment_id = @id" lets one experiment's newest-first page walk
            // the (experiment_id, started_at, id) index and stop after a page, where a join on the name sorted all its runs.
            experimentIds = await ExperimentIdsAsync(conn, exps, ct);
            if (experimentIds.Length == 0)
            {
                return ([], null);
            }
        }
        var orderTable = order.Kind switch
        {
            RunFilterKinds.Metric => "latest_metrics",
            RunFilterKinds.Param => "run_params",
            RunFilterKinds.Tag => "run_tags",
            _ => null,
        };
        var direction = order.Descending ? "DESC" : "ASC";
        var cmp = order.Descending ? "<" : ">";
        var want = request.PageSize + 1;
        var rows = new List<(Guid Id, object? Value)>(want);

        // Keyset paging: the next page starts after the last row's (sort value, id), so page 2,000 costs what page 1
        // does. Ties break on the id in the sort's direction, so one index (…, value, id) serves both directions.
        if (orderTable is null || token is { Offset: not null })
        {
            var q = new Query(conn);
            var orderExpr = orderTable is not null ? "o.value" : order.Key == "name" ? "r.name" : "r.started_at";
            q.Sql.Append($"SELECT r.id, {orderExpr} FROM runs r");
            if (orderTable is not null)
            {
                q.Sql.Append($" LEFT JOIN {orderTable} o ON o.run_id = r.id AND o.key = {q.Param(order.Key)}");
            }
            q.Sql.Append(" WHERE TRUE");
            AppendFilters(q, request, experimentIds);
            if (token is { Offset: null, Value: null })
            {
                q.Sql.Append($" AND {orderExpr} IS NULL AND r.id {cmp} {q.Param(token.Id)}");
            }
            else if (token is { Offset: null, Value: { } value })
            {
                var (v, id) = (q.Param(ParseValue(value, ValueType(order))), q.Param(token.Id));
                q.Sql.Append(ValueType(order) == SortValue.Time
                    ? $" AND ({orderExpr}, r.id) {cmp} ({v}, {id})"
                    : $" AND ({orderExpr} {cmp} {v} OR ({orderExpr} = {v} AND r.id {cmp} {id}) OR {orderExpr} IS NULL)");
            }
            // started_at is NOT NULL: no NULLS clause, so the (…, started_at, id) index scan matches the ORDER BY.
            var nulls = ValueType(order) == SortValue.Time ? "" : " NULLS LAST";
            q.Sql.Append($" ORDER BY {orderExpr} {direction}{nulls}, r.id {direction} LIMIT {q.Param(want)}");
            if (token is { Offset: > 0 and var offset })
            {
                q.Sql.Append($" OFFSET {q.Param(offset)}"); // a token from before keyset paging
            }
            await q.ReadAsync(rows, ct);
        }
        else
        {
            // Sorting by a metric/param/tag: first the runs that have the key, in (key, value, run_id) index order
            // (latest_metrics has that index, so a page is an index walk; params and tags sort their matching rows),
            // then, as the old LEFT JOIN ... NULLS LAST did, the runs without it by id.
            if (token is not { Value: null })
            {
                var q = new Query(conn);
                q.Sql.Append($"SELECT r.id, o.value FROM {orderTable} o JOIN runs r ON r.id = o.run_id WHERE o.key = {q.Param(order.Key)}");
                AppendFilters(q, request, experimentIds);
                if (token is { Value: { } value })
                {
                    q.Sql.Append($" AND (o.value, o.run_id) {cmp} ({q.Param(ParseValue(value, ValueType(order)))}, {q.Param(token.Id)})");
                }
                q.Sql.Append($" ORDER BY o.value {direction}, o.run_id {direction} LIMIT {q.Param(want)}");
                await q.ReadAsync(rows, ct);
            }
            if (rows.Count < want)
            {
                var q = new Query(conn);
                q.Sql.Append($"SELECT r.id, NULL FROM runs r WHERE NOT EXISTS (SELECT 1 FROM {orderTable} o WHERE o.run_id = r.id AND o.key = {q.Param(order.Key)})");
                AppendFilters(q, request, experimentIds);
                if (token is { Value: null })
                {
                    q.Sql.Append($" AND r.id {cmp} {q.Param(token.Id)}");
                }
                q.Sql.Append($" ORDER BY r.id {direction} LIMIT {q.Param(want - rows.Count)}");
                await q.ReadAsync(rows, ct);
            }
        }

        var ids = rows.Select(r => r.Id).ToList();
        if (ids.Count <= request.PageSize)
        {
            return (ids, null);
        }
        ids.RemoveAt(ids.Count - 1);
        var last = rows[request.PageSize - 1];
        var next = token is { Offset: { } o }
            ? (o + request.PageSize).ToString(CultureInfo.InvariantCulture)
            : new PageToken(Signature(order), last.Id, FormatValue(last.Value), null).ToString();
        return (ids, next);
    }

    private static void AppendFilters(Query q, SearchRunsRequest request, Guid[]? experimentIds)
    {
        if (experimentIds is not null)
        {
            q.Sql.Append(experimentIds.Length == 1
                ? $" AND r.experiment_id = {q.Param(experimentIds[0])}"
                : $" AND r.experiment_id = ANY({q.Param(experimentIds)})");
        }
        if (request.Status is not null)
        {
            q.Sql.Append(" AND r.status = ").Append(q.Param(request.Status));
        }
        foreach (var f in request.Filters ?? [])
        {
            var op = Operators[f.Op];
            var key = q.Param(f.Key);
            if (f.Kind == RunFilterKinds.Metric)
            {
                // A semi-join, not a scalar subquery compared per run: the planner can hash it, start from the
                // (key, value) index or probe the primary key. Same answer: runs without the metric never matched.
                q.Sql.Append($" AND EXISTS (SELECT 1 FROM latest_metrics x WHERE x.run_id = r.id AND x.key = {key} AND x.value {op} ")
                   .Append(q.Param(ParseDouble(f.Value))).Append(')');
                continue;
            }
            var table = f.Kind == RunFilterKinds.Param ? "run_params" : "run_tags";
            var compared = f.Op is "=" or "!="
                ? $"x.value {op} {q.Param(f.Value)}"
                : $"(CASE WHEN x.value ~ '{NumericPattern}' THEN x.value::double precision END) {op} {q.Param(ParseDouble(f.Value))}";
            q.Sql.Append($" AND EXISTS (SELECT 1 FROM {table} x WHERE x.run_id = r.id AND x.key = {key} AND {compared})");
        }
    }

    /// <summary>One parameterized statement returning (id, sort value) rows.</summary>
    private sealed class Query(NpgsqlConnection conn)
    {
        private readonly List<NpgsqlParameter> parameters = [];
        public readonly StringBuilder Sql = new();

        public string Param(object value)
        {
            var name = "p" + parameters.Count;
            parameters.Add(new NpgsqlParameter(name, value));
            return "@" + name;
        }

        public async Task ReadAsync(List<(Guid, object?)> rows, CancellationToken ct)
        {
            await using var cmd = new NpgsqlCommand(Sql.ToString(), conn);
            cmd.Parameters.AddRange(parameters.ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetValue(1)));
            }
        }
    }

    private static async Task<Guid[]> ExperimentIdsAsync(NpgsqlConnection conn, IReadOnlyList<string> names, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id FROM experiments WHERE name = ANY(@names)", conn);
        cmd.Parameters.Add(new NpgsqlParameter("names", names.ToArray()));
        var ids = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetGuid(0));
        }
        return [.. ids];
    }

    private static readonly RunOrder DefaultOrder = new(RunFilterKinds.Attribute, "startedAt");

    private enum SortValue { Time, Number, Text }

    private static SortValue ValueType(RunOrder order) => order.Kind switch
    {
        RunFilterKinds.Metric => SortValue.Number,
        RunFilterKinds.Attribute when order.Key != "name" => SortValue.Time,
        _ => SortValue.Text,
    };

    private static string Signature(RunOrder order) => $"{order.Kind}:{order.Key}:{(order.Descending ? 1 : 0)}";

    private static string? FormatValue(object? value) => value switch
    {
        null => null,
        DateTime t => t.Ticks.ToString(CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcTicks.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => (string)value,
    };

    private static object ParseValue(string s, SortValue type) => TryParseValue(s, type, out var value) ? value! : throw new FormatException();

    private static bool TryParseValue(string s, SortValue type, out object? value)
    {
        value = null;
        switch (type)
        {
            case SortValue.Time when long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTime.MaxValue.Ticks:
                value = new DateTime(ticks, DateTimeKind.Utc);
                return true;
            case SortValue.Number when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d):
                value = d;
                return true;
            case SortValue.Text:
                value = s;
                return true;
            default:
                return false;
        }
    }

    private static double ParseDouble(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
