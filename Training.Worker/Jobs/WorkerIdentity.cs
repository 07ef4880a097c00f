using Microsoft.Extensions.Options;

namespace MlOps.Training.Worker.Jobs;

/// <summary>This process's lease owner name: <c>Worker:Name</c>, or <c>host:pid:random</c>.</summary>
public sealed class WorkerIdentity(IOptions<WorkerOptions> options)
{
    public string Name { get; } = options.Value.Name is { Length: > 0 } name
        ? name
        : $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
}
