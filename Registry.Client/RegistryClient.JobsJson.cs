using System.Text.Json.Nodes;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    /// <summary>
    /// Queues a job from a spec as JSON (e.g. typed in a UI's editor): the registry validates the spec itself, so
    /// its problem details name exactly what is wrong instead of a client-side deserializer's guess.
    /// </summary>
    public Task<TrainingJob> SubmitJobJsonAsync(JsonObject spec, string? idempotencyKey = null, CancellationToken ct = default) =>
        SendAsync<TrainingJob>(HttpMethod.Post, "jobs", new JsonObject { ["spec"] = spec.DeepClone(), ["idempotencyKey"] = idempotencyKey }, ct);
}
