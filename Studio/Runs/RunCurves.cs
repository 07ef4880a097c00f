using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Runs;
using MlOps.Studio.Components.Charts;

namespace MlOps.Studio.Runs;

public static class RunCurves
{
    /// <summary>The history of each key as a chart series (step on x), named "label key" when a label is given.</summary>
    public static async Task<List<ChartSeries>> LoadAsync(RegistryClient registry, Run run, IEnumerable<string> keys, string? label, CancellationToken ct = default)
    {
        var series = new List<ChartSeries>();
        foreach (var key in keys)
        {
            var history = await registry.GetMetricHistoryAsync(run.Id, key, ct);
            series.Add(new ChartSeries(label is null ? key : $"{label} {key}", history.Select(p => new ChartPoint(p.Step, p.Value)).ToList()));
        }
        return series;
    }
}

public static class Lineage
{
    /// <summary>
    /// Model versions registered from a run. The registry has no reverse index, so this reads each model's
    /// versions: fine for the tens of models a registry holds.
    /// </summary>
    public static async Task<List<(RegisteredModel Model, ModelVersion Version)>> VersionsFromRunAsync(RegistryClient registry, Guid runId, CancellationToken ct = default)
    {
        var found = new List<(RegisteredModel, ModelVersion)>();
        foreach (var model in await registry.ListModelsAsync(ct))
        {
            foreach (var v in await registry.ListModelVersionsAsync(model.Name, ct))
            {
                if (v.RunId == runId)
                {
                    found.Add((model, v));
                }
            }
        }
        return found;
    }
}
