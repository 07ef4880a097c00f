using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Experiments;

namespace MlOps.Registry.Api.Experiments;

public static class ExperimentsApi
{
    public static RouteGroupBuilder MapExperimentsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/experiments").WithTags("Experiments").RequireAuthorization(Policies.Read);
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.Train);
        group.MapGet("/", ListAsync);
        group.MapGet("/{name}", GetAsync);
        return group;
    }

    internal static Experiment ToContract(this ExperimentEntity e) =>
        new(e.Id, e.Name, e.Description, Json.ReadStringMap(e.TagsJson), e.CreatedAt);

    private static async Task<Results<Created<Experiment>, ProblemHttpResult>> CreateAsync(
        CreateExperimentRequest request, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(request.Name))
        {
            return Problems.InvalidName("Experiment name");
        }
        if (request.Tags?.Any(kv => !Names.IsValidKey(kv.Key) || kv.Value is null || kv.Value.Length > 4000) == true)
        {
            return Problems.BadRequest("Tag keys must be 1-250 ASCII letters, digits, -_./: or space; values at most 4000 characters.");
        }
        if (await db.Experiments.AnyAsync(x => x.Name == request.Name, ct))
        {
            return Problems.Conflict($"Experiment '{request.Name}' already exists.");
        }
        var entity = new ExperimentEntity
        {
            Id = Guid.CreateVersion7(),
            Name = request.Name,
            Description = request.Description,
            TagsJson = Json.Write(request.Tags ?? new Dictionary<string, string>()),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Experiments.Add(entity);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/experiments/{Uri.EscapeDataString(entity.Name)}", entity.ToContract());
    }

    private static async Task<Ok<List<Experiment>>> ListAsync(RegistryDbContext db, CancellationToken ct)
    {
        var rows = await db.Experiments.AsNoTracking().OrderBy(x => x.Name).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(x => x.ToContract()).ToList());
    }

    private static async Task<Results<Ok<Experiment>, ProblemHttpResult>> GetAsync(string name, RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(name))
        {
            return Problems.InvalidName("Experiment name");
        }
        var entity = await db.Experiments.AsNoTracking().FirstOrDefaultAsync(x => x.Name == name, ct);
        return entity is null ? Problems.NotFound($"Experiment '{name}' does not exist.") : TypedResults.Ok(entity.ToContract());
    }
}
