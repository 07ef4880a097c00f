using System.Collections.Concurrent;

namespace MlOps.Registry.Api.Models;

/// <summary>
/// Wakes long-polls of this replica the moment an alias moves here; moves made by other replicas are seen by
/// the long-poll's short database poll, so the answer never depends on which replica took the PUT.
/// </summary>
public sealed class AliasSignal
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiters = new(StringComparer.Ordinal);

    private static string Key(string model, string alias) => model + "\n" + alias;

    public Task WaitAsync(string model, string alias) =>
        waiters.GetOrAdd(Key(model, alias), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(string model, string alias)
    {
        if (waiters.TryRemove(Key(model, alias), out var tcs))
        {
            tcs.TrySetResult();
        }
    }
}
