using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Api.Runs;

/// <summary>Assembles <see cref="Run"/> records for a set of ids in few queries (search pages load 50 at a time).</summary>
public sealed class RunReader(RegistryDbContext db)
{
    public async Task<Run?> GetAsync(Guid id, CancellationToken ct) => (await LoadAsync([id], ct)).FirstOrDefault();

    /// <summary>The runs in the order of <paramref name="ids"/>; unknown ids are left out.</summary>
    public async Task<List<Run>> LoadAsync(IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var idArray = ids.ToArray();
        var runs = await (from r in db.Runs.AsNoTracking()
                          join e in db.Experiments.AsNoTracking() on r.ExperimentId equals e.Id
                          where idArray.Contains(r.Id)
                          select new { Run = r, Experiment = e.Name }).ToListAsync(ct);
        var parameters = (await db.RunParams.AsNoTracking().Where(p => idArray.Contains(p.RunId)).ToListAsync(ct)).ToLookup(p => p.RunId);
        var tags = (await db.RunTags.AsNoTracking().Where(t => idArray.Contains(t.RunId)).ToListAsync(ct)).ToLookup(t => t.RunId);
        var metrics = (await db.LatestMetrics.AsNoTracking().Where(m => idArray.Contains(m.RunId)).ToListAsync(ct)).ToLookup(m => m.RunId);

        var byId = runs.ToDictionary(x => x.Run.Id);
        var result = new List<Run>(ids.Count);
        foreach (var id in ids)
        {
            if (!byId.TryGetValue(id, out var x))
            {
                continue;
            }
            result.Add(new Run(
                x.Run.Id, x.Run.ExperimentId, x.Experiment, x.Run.Name, x.Run.ParentRunId, x.Run.Status,
                parameters[id].ToDictionary(p => p.Key, p => p.Value),
                tags[id].ToDictionary(t => t.Key, t => t.Value),
                metrics[id].ToDictionary(m => m.Key, m => m.Value),
                x.Run.StartedAt, x.Run.EndedAt));
        }
        return result;
    }
}
