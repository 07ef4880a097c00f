using MlOps.Registry.Client.Serving;

namespace MlOps.Serving.Api.Hosting;

/// <summary>
/// One configured model: the primary version (its alias) and an optional canary or shadow version. Swaps are
/// single reference writes, so a request routes to a complete model or the previous one, never a mix.
/// </summary>
public sealed class ServedModel(ServedModelOptions options)
{
    private LoadedModel? _primary;
    private LoadedModel? _secondary;
    private long _requests;

    public string Name => Options.Name;

    public ServedModelOptions Options { get; } = options;

    public CanaryOptions? Canary => Options.Canary;

    public bool IsShadow => string.Equals(Canary?.Mode, CanaryModes.Shadow, StringComparison.OrdinalIgnoreCase);

    public LoadedModel? Primary => Volatile.Read(ref _primary);

    public LoadedModel? Secondary => Volatile.Read(ref _secondary);

    /// <summary>Ready when the primary is loaded (and the canary, when one is configured).</summary>
    public bool IsLoaded => Primary is not null && (Canary is null || Secondary is not null);

    public void Publish(LoadedModel model, bool secondary)
    {
        if (secondary) Volatile.Write(ref _secondary, model);
        else Volatile.Write(ref _primary, model);
    }

    /// <summary>
    /// Which version answers this request, and which one shadows it. Canary routing is deterministic: over any
    /// 100 consecutive requests the canary answers exactly Weight of them, spread evenly.
    /// </summary>
    public (LoadedModel? Answer, LoadedModel? Shadow) Route()
    {
        var primary = Primary;
        if (Canary is not { } canary || Secondary is not { } secondary || primary is null) return (primary, null);
        if (IsShadow) return (primary, secondary);
        var n = Interlocked.Increment(ref _requests);
        return (n * canary.Weight % 100 < canary.Weight ? secondary : primary, null);
    }
}
