using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Api.Runs;

public static class RunsApi
{
    /// <summary>Points per batch request; larger batches should be split by the client.</summary>
    public const int MaxBatchPoints = 100_000;

    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder routes, BodyLimitOptions limits)
    {
        var group = routes.MapGroup("/api/v1/runs").WithTags("Runs").RequireAuthorization(Policies.Read);
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.Train);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPatch("/{id:guid}", UpdateAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/params", LogParamsAsync).RequireAuthorization(Policies.Train);
        group.MapPost("/{id:guid}/metrics", LogMetricsAsync).RequireAuthorization(Policies.Train)
            .WithMetadata(new BodyLimit(limits.MetricsBatchBytes));
        group.MapGet("/{id:guid}/metrics/{**key}", GetMetricHistoryAsync);
        // Search is a read, even though it is a POST (the filter does not fit a query string).
        group.MapPost("/search", SearchAsync);
        return group;
    }

    private static string? CheckMap(IReadOnlyDictionary<string, string>? map, string what) =>
        map?.FirstOrDefault(kv => !Names.IsValidKey(kv.Key) || kv.Value is null || kv.Value.Length > 4000) is { Key: not null } bad
            ? $"{what} '{bad.Key}': keys are 1-250 ASCII letters, digits, -_./: or space; values at most 4000 characters."
            : null;

    private static async Task<Results<Created<Run>, ProblemHttpResult>> CreateAsync(
        CreateRunRequest request, RegistryDbContext db, RunReader reader, CancellationToken ct)
    {
        if (!Names.IsValid(request.Experiment))
        {
            return Problems.InvalidName("Experiment name");
        }
        if (request.Name is not null && !Names.IsValidKey(request.Name))
        {
            return Problems.BadRequest("Run name: 1-250 ASCII letters, digits, -_./: or space.");
        }
        if ((CheckMap(request.Params, "param") ?? CheckMap(request.Tags, "tag")) is { } error)
        {
            return Problems.BadRequest(error);
        }
        var experiment = await db.Experiments.FirstOrDefaultAsync(x => x.Name == request.Experiment, ct);
        if (experiment is null)
        {
            return Problems.NotFound($"Experiment '{request.Experiment}' does not exist.");
        }
        if (request.ParentRunId is { } parent && !await db.Runs.AnyAsync(r => r.Id == parent, ct))
        {
            return Problems.NotFound($"Parent run {parent} does not exist.");
        }
        var run = new RunEntity
        {
            Id = Guid.CreateVersion7(),
            ExperimentId = experiment.Id,
            Name = request.Name,
            ParentRunId = request.ParentRunId,
            Status = RunStatuses.Running,
            StartedAt = DateTimeOffset.UtcNow,
        };
        db.Runs.Add(run);
        db.RunParams.AddRange((request.Params ?? new Dictionary<string, string>()).Select(kv => new RunParamEntity { RunId = run.Id, Key = kv.Key, Value = kv.Value }));
        db.RunTags.AddRange((request.Tags ?? new Dictionary<string, string>()).Select(kv => new RunTagEntity { RunId = run.Id, Key = kv.Key, Value = kv.Value }));
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/runs/{run.Id}", (await reader.GetAsync(run.Id, ct))!);
    }

    private static async Task<Results<Ok<Run>, ProblemHttpResult>> GetAsync(Guid id, RunReader reader, CancellationToken ct) =>
        await reader.GetAsync(id, ct) is { } run ? TypedResults.Ok(run) : Problems.NotFound($"Run {id} does not exist.");

    private static async Task<Results<Ok<Run>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateRunRequest request, RegistryDbContext db, RunReader reader, CancellationToken ct)
    {
        if (request.Status is not null && !RunStatuses.All.Contains(request.Status))
        {
            return Problems.BadRequest($"status must be one of {string.Join(", ", RunStatuses.All)}.");
        }
        if (CheckMap(request.Tags, "tag") is { } error)
        {
            return Problems.BadRequest(error);
        }
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
        {
            return Problems.NotFound($"Run {id} does not exist.");
        }
        if (request.Status is { } status && status != run.Status)
        {
            if (RunStatuses.IsTerminal(run.Status))
            {
                return Problems.Conflict($"Run {id} is already {run.Status}.");
            }
            run.Status = status;
            run.EndedAt = RunStatuses.IsTerminal(status) ? DateTimeOffset.UtcNow : null;
        }
        if (request.Tags is { Count: > 0 } tags)
        {
            var keys = tags.Keys.ToArray();
            var existing = await db.RunTags.Where(t => t.RunId == id && keys.Contains(t.Key)).ToDictionaryAsync(t => t.Key, ct);
            foreach (var (key, value) in tags)
            {
                if (existing.TryGetValue(key, out var tag))
                {
                    tag.Value = value;
                }
                else
                {
                    db.RunTags.Add(new RunTagEntity { RunId = id, Key = key, Value = value });
                }
            }
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await reader.GetAsync(id, ct))!);
    }

    private static async Task<Results<Ok<Run>, ProblemHttpResult>> LogParamsAsync(
        Guid id, LogParamsRequest request, RegistryDbContext db, RunReader reader, CancellationToken ct)
    {
        if ((request.Params is null ? "params is required." : CheckMap(request.Params, "param")) is { } error)
        {
            return Problems.BadRequest(error);
        }
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return Problems.NotFound($"Run {id} does not exist.");
        }
        var keys = request.Params!.Keys.ToArray();
        var existing = await db.RunParams.AsNoTracking().Where(p => p.RunId == id && keys.Contains(p.Key)).ToDictionaryAsync(p => p.Key, p => p.Value, ct);
        foreach (var (key, value) in request.Params!)
        {
            if (existing.TryGetValue(key, out var old))
            {
                if (old != value)
                {
                    return Problems.Conflict($"Param '{key}' is already '{old}'; params are immutable.");
                }
                continue;
            }
            db.RunParams.Add(new RunParamEntity { RunId = id, Key = key, Value = value });
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await reader.GetAsync(id, ct))!);
    }

    private static async Task<Results<Ok<LogMetricsResponse>, ProblemHttpResult>> LogMetricsAsync(
        Guid id, LogMetricsRequest request, RegistryDbContext db, MetricWriter writer, CancellationToken ct)
    {
        if (request.Metrics is null || request.Metrics.Count > MaxBatchPoints)
        {
            return Problems.BadRequest($"metrics is required and holds at most {MaxBatchPoints} points per request.");
        }
        // Batches repeat a handful of keys: validate each distinct key once.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in request.Metrics)
        {
            if (p is null || (!seen.Contains(p.Key) && !(Names.IsValidKey(p.Key) && seen.Add(p.Key))))
            {
                return Problems.BadRequest($"Metric key '{p?.Key}': 1-250 ASCII letters, digits, -_./: or space.");
            }
            if (!double.IsFinite(p.Value))
            {
                return Problems.BadRequest($"Metric '{p.Key}' value must be finite.");
            }
        }
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return Problems.NotFound($"Run {id} does not exist.");
        }
        return TypedResults.Ok(new LogMetricsResponse(await writer.WriteAsync(id, request.Metrics, ct)));
    }

    private static async Task<Results<Ok<List<MetricPoint>>, ProblemHttpResult>> GetMetricHistoryAsync(
        Guid id, string key, long? afterStep, int? limit, int? maxPoints, RegistryDbContext db, MetricHistory history, CancellationToken ct)
    {
        // '/' in a key arrives as %2F, which routing leaves encoded; '%' is not a valid key character, so this is safe.
        key = Uri.UnescapeDataString(key);
        if (!Names.IsValidKey(key))
        {
            return Problems.BadRequest("Metric key: 1-250 ASCII letters, digits, -_./: or space.");
        }
        if (MetricHistory.Validate(afterStep, limit, maxPoints) is { } error)
        {
            return Problems.BadRequest(error);
        }
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return Problems.NotFound($"Run {id} does not exist.");
        }
        return TypedResults.Ok(await history.ReadAsync(id, key, afterStep, limit, maxPoints, ct));
    }

    private static async Task<Results<Ok<RunPage>, ProblemHttpResult>> SearchAsync(
        SearchRunsRequest request, RunSearch search, RunReader reader, CancellationToken ct)
    {
        if (RunSearch.Validate(request) is { } error)
        {
            return Problems.BadRequest(error);
        }
        var (ids, next) = await search.FindAsync(request, ct);
        return TypedResults.Ok(new RunPage(await reader.LoadAsync(ids, ct), next));
    }
}
