using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Models;

public static class AliasesApi
{
    public const int MaxWaitSeconds = 60;

    public static RouteGroupBuilder MapAliasesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/models/{name}/aliases").WithTags("Aliases").RequireAuthorization(Policies.Read);
        group.MapPut("/{alias}", SetAsync).RequireAuthorization(Policies.Admin);
        group.MapGet("/{alias}", GetAsync);
        group.MapGet("/{alias}/history", HistoryAsync);
        return group;
    }

    private static ProblemHttpResult? CheckNames(string name, string alias) =>
        !Names.IsValid(name) ? Problems.InvalidName("Model name") : !Names.IsValid(alias) ? Problems.InvalidName("Alias") : null;

    private static async Task<Results<Ok<ModelAlias>, ProblemHttpResult>> SetAsync(
        string name, string alias, SetAliasRequest request, HttpContext http, RegistryDbContext db, AliasSignal signal, CancellationToken ct)
    {
        if (CheckNames(name, alias) is { } invalid)
        {
            return invalid;
        }
        if (request.Reason is { Length: > 1000 })
        {
            return Problems.BadRequest("reason is at most 1000 characters.");
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var outcome = await AliasMover.MoveAsync(db, name, alias, request.Version, http.Actor(), request.Reason, ct);
        if (outcome.Alias is null)
        {
            return Problems.NotFound(outcome.NotFound!);
        }
        await tx.CommitAsync(ct);
        signal.Notify(name, alias);
        return TypedResults.Ok(outcome.Alias);
    }

    private static async Task<ModelAlias?> ReadAsync(RegistryDbContext db, string name, string alias, CancellationToken ct) =>
        await (from a in db.ModelAliases.AsNoTracking()
               join m in db.Models on a.ModelId equals m.Id
               where m.Name == name && a.Alias == alias
               select new ModelAlias(name, alias, a.Version, a.UpdatedAt, a.UpdatedBy)).FirstOrDefaultAsync(ct);

    /// <summary>
    /// Without <paramref name="knownVersion"/>: the alias now. With it: waits up to <paramref name="waitSeconds"/> for the
    /// alias to point elsewhere (0 = until it exists), then answers with the current state (404 if it still does not exist).
    /// </summary>
    private static async Task<Results<Ok<ModelAlias>, ProblemHttpResult>> GetAsync(
        string name, string alias, int? knownVersion, int? waitSeconds, RegistryDbContext db, AliasSignal signal, LongPollOptions poll, CancellationToken ct)
    {
        if (CheckNames(name, alias) is { } invalid)
        {
            return invalid;
        }
        if (waitSeconds is < 0 or > MaxWaitSeconds)
        {
            return Problems.BadRequest($"waitSeconds must be 0-{MaxWaitSeconds}.");
        }
        var deadline = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(knownVersion is null ? 0 : waitSeconds ?? 0);
        while (true)
        {
            // Subscribe before reading, so a move between the read and the wait is not missed.
            var changed = signal.WaitAsync(name, alias);
            var current = await ReadAsync(db, name, alias, ct);
            if (current is not null && (knownVersion is null || current.Version != knownVersion))
            {
                return TypedResults.Ok(current);
            }
            var left = wait - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return current is not null ? TypedResults.Ok(current) : Problems.NotFound($"Model '{name}' has no alias '{alias}'.");
            }
            try
            {
                await changed.WaitAsync(left < poll.FallbackInterval ? left : poll.FallbackInterval, ct);
            }
            catch (TimeoutException)
            {
                // No event (moves on other replicas arrive by LISTEN/NOTIFY): read the database again anyway.
            }
        }
    }

    private static async Task<Results<Ok<List<AliasHistoryEntry>>, ProblemHttpResult>> HistoryAsync(
        string name, string alias, RegistryDbContext db, CancellationToken ct)
    {
        if (CheckNames(name, alias) is { } invalid)
        {
            return invalid;
        }
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == name, ct);
        if (model is null)
        {
            return Problems.NotFound($"Model '{name}' does not exist.");
        }
        var entries = await db.AliasHistory.AsNoTracking().Where(h => h.ModelId == model.Id && h.Alias == alias).OrderBy(h => h.Id)
            .Select(h => new AliasHistoryEntry(h.Alias, h.Version, h.PreviousVersion, h.Actor, h.Reason, h.At)).ToListAsync(ct);
        return TypedResults.Ok(entries);
    }
}
