using MlOps.Registry.Client.Serving;

namespace MlOps.Serving.Api.Hosting;

/// <summary>The <c>Serving</c> configuration section (keys in docs/conventions.md and docs/serving-api.md).</summary>
public sealed class ServingOptions
{
    public const string Section = "Serving";

    /// <summary>Models served; the first is the default for <c>/predict</c> and <c>/model/info</c>.</summary>
    public List<ServedModelOptions> Models { get; set; } = [];

    public DriftOptions Drift { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    /// <summary>Long-poll length when watching an alias (the registry caps it at 60 s).</summary>
    public int WatchSeconds { get; set; } = 30;

    /// <summary>Wait after a failed registry call or load before trying again (doubles up to 30 s).</summary>
    public double RetrySeconds { get; set; } = 1;
}

public sealed class ServedModelOptions
{
    public string Name { get; set; } = "";

    public string Alias { get; set; } = Registry.Client.Models.WellKnownAliases.Production;

    /// <summary>
    /// Offline serving: load this bundle file instead of the registry (no alias watch). Its version is
    /// <see cref="BundleVersion"/>. Meant for benchmarks and air-gapped runs.
    /// </summary>
    public string? BundlePath { get; set; }

    public int BundleVersion { get; set; } = 1;

    public CanaryOptions? Canary { get; set; }
}

public sealed class CanaryOptions
{
    public string Alias { get; set; } = Registry.Client.Models.WellKnownAliases.Staging;

    /// <summary>Percent of requests (0-100) the canary answers; ignored in shadow mode.</summary>
    public int Weight { get; set; }

    /// <summary><c>canary</c> or <c>shadow</c> (score both, answer with the primary, count disagreements).</summary>
    public string Mode { get; set; } = CanaryModes.Canary;

    /// <summary>Shadow: two scores closer than this (absolute) agree.</summary>
    public double Tolerance { get; set; } = 1e-6;
}

public sealed class DriftOptions
{
    /// <summary>Sampled rows kept per model (sliding window) for PSI.</summary>
    public int WindowRows { get; set; } = 2000;

    /// <summary>One row in this many goes into the window: keeps the hot path cheap.</summary>
    public int SampleEvery { get; set; } = 4;

    /// <summary>PSI at or above which a feature counts as drifted (logged; retraining when enabled).</summary>
    public double Threshold { get; set; } = 0.25;

    /// <summary>Rows the window must hold before PSI is reported.</summary>
    public int MinRows { get; set; } = 200;

    public RetrainOptions Retrain { get; set; } = new();
}

/// <summary>
/// Optional (off by default): when a served version's drift crosses the threshold, queue one training job on the
/// latest version of the dataset it was trained on. Needs a trainer key in <c>Registry:ApiKey</c>.
/// </summary>
public sealed class RetrainOptions
{
    public bool Enabled { get; set; }

    /// <summary>How often drift is checked.</summary>
    public double CheckSeconds { get; set; } = 60;

    /// <summary>Experiment of the queued job; default <c>{model}-drift</c>.</summary>
    public string? Experiment { get; set; }
}

public sealed class LimitOptions
{
    public int MaxBatchRows { get; set; } = 1000;

    /// <summary>
    /// Rows per explain request: an explanation costs 100-350x a prediction per row (docs/serving-api.md), so a
    /// predict-sized batch could hold a core for seconds.
    /// </summary>
    public int MaxExplainRows { get; set; } = 100;

    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;
}
