using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;

namespace MlOps.Serving.Api.Hosting;

/// <summary>
/// Loads every configured model and keeps it current: per alias, a long-poll on the registry that returns when
/// the alias moves, then a load and an atomic swap. A version that fails to load is retried a few times, then
/// skipped until the alias moves again; the previous version serves throughout.
/// </summary>
public sealed class ModelWatcher(
    ModelCatalog catalog,
    ModelLoader loader,
    RegistryClient registry,
    IOptions<ServingOptions> options,
    ILogger<ModelWatcher> logger) : BackgroundService
{
    private const int AttemptsPerVersion = 3;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        foreach (var model in catalog.Models)
        {
            if (model.Options.BundlePath is { Length: > 0 } path)
            {
                loops.Add(LoadFileAsync(model, path, stoppingToken));
                continue;
            }
            loops.Add(WatchAsync(model, model.Options.Alias, secondary: false, stoppingToken));
            if (model.Canary is { } canary) loops.Add(WatchAsync(model, canary.Alias, secondary: true, stoppingToken));
        }
        return Task.WhenAll(loops);
    }

    private async Task LoadFileAsync(ServedModel model, string path, CancellationToken ct)
    {
        var delay = RetryDelay;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                model.Publish(await loader.LoadFromFileAsync(model.Name, path, model.Options.BundleVersion, ct), secondary: false);
                return;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                delay = await BackOffAsync(delay, ct);
            }
        }
    }

    private async Task WatchAsync(ServedModel model, string alias, bool secondary, CancellationToken ct)
    {
        int? known = null;      // the version we serve for this alias
        int? skipped = null;    // a version that failed AttemptsPerVersion times: ignored until the alias moves
        int? failed = null;
        var failures = 0;
        var delay = RetryDelay;
        var wait = TimeSpan.FromSeconds(Math.Clamp(options.Value.WatchSeconds, 1, 60));
        while (!ct.IsCancellationRequested)
        {
            ModelAlias? current;
            try
            {
                // Answers at once when the alias points elsewhere than the version named, else after the wait.
                current = await registry.WaitForAliasAsync(model.Name, alias, skipped ?? known, wait, ct);
                delay = RetryDelay;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Watching {Model} {Alias} failed; retrying in {Delay}", model.Name, alias, delay);
                delay = await BackOffAsync(delay, ct);
                continue;
            }
            if (current is null)
            {
                // No such alias (yet): the registry may answer that without waiting, so pace the next ask.
                await BackOffAsync(RetryDelay, ct);
                continue;
            }
            if (current.Version == known)
            {
                skipped = null;
                continue;
            }
            if (current.Version == skipped) continue;
            try
            {
                var loaded = await loader.LoadFromRegistryAsync(model.Name, alias, current.Version, ct);
                model.Publish(loaded, secondary);
                if (known is { } old) logger.LogInformation("{Model} {Alias}: swapped v{Old} -> v{New}", model.Name, alias, old, current.Version);
                known = current.Version;
                skipped = failed = null;
                failures = 0;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // The loader logged and counted it. Transient (network) or permanent (corrupt, unreadable):
                // retry a few times, then wait for the alias to move.
                failures = failed == current.Version ? failures + 1 : 1;
                failed = current.Version;
                if (failures >= AttemptsPerVersion)
                {
                    logger.LogError("{Model} {Alias} v{Version} failed to load {Failures} times; serving v{Known} until the alias moves",
                        model.Name, alias, current.Version, failures, known);
                    skipped = current.Version;
                }
                else
                {
                    delay = await BackOffAsync(delay, ct);
                }
            }
        }
    }

    private TimeSpan RetryDelay => TimeSpan.FromSeconds(Math.Max(0.05, options.Value.RetrySeconds));

    private static async Task<TimeSpan> BackOffAsync(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct); }
        catch (OperationCanceledException) { }
        return TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
    }
}
