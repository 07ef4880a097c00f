using System.Net;
using MlOps.Registry.Client.Experiments;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    public Task<Experiment> CreateExperimentAsync(CreateExperimentRequest request, CancellationToken ct = default) =>
        SendAsync<Experiment>(HttpMethod.Post, "experiments", request, ct);

    /// <summary>Null when absent.</summary>
    public Task<Experiment?> GetExperimentAsync(string name, CancellationToken ct = default) =>
        SendOrDefaultAsync<Experiment>(HttpMethod.Get, $"experiments/{Seg(name)}", null, ct);

    public Task<IReadOnlyList<Experiment>> ListExperimentsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<Experiment>>(HttpMethod.Get, "experiments", null, ct);

    /// <summary>Creates the experiment or returns the existing one (safe when several workers race).</summary>
    public async Task<Experiment> GetOrCreateExperimentAsync(string name, CancellationToken ct = default)
    {
        if (await GetExperimentAsync(name, ct).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        try
        {
            return await CreateExperimentAsync(new CreateExperimentRequest(name), ct).ConfigureAwait(false);
        }
        catch (RegistryApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return await GetExperimentAsync(name, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Experiment '{name}' conflicted but cannot be read.", e);
        }
    }
}
