using MlOps.Serving.Api.Hosting;
using OpenTelemetry.Metrics;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Cardinality limits sized to what each metric stream can hold. OpenTelemetry allocates every stream's points up
/// front at its limit (default 2,000 points of ~72 bytes: a 144 KB array per stream, on the large object heap), so
/// the ~50 streams of a replica held ~7.5 MB whatever the traffic (bench/serving/README.md, "RSS").
/// </summary>
public static class MetricStreamLimits
{
    /// <summary>Framework streams (runtime, ASP.NET Core, Kestrel, HttpClient): tagged by method, route, status,
    /// protocol and the like, a few dozen series at most; 500 points stay below the large object heap.</summary>
    public const int Framework = 500;

    /// <summary>Serving streams per configured model: versions (primary, canary and earlier ones since start) times
    /// outcome, alias or kind.</summary>
    public const int PerModel = 64;

    /// <summary>OpenTelemetry's default: the serving streams' ceiling and the drift stream's floor.</summary>
    public const int Default = 2000;

    /// <summary>Drift PSI has one series per model and input column: room for this many columns per configured model
    /// (the default 2,000 alone, with the Ames bundle's 73 baseline features, folded every model past the 27th into the
    /// overflow series).</summary>
    public const int DriftColumnsPerModel = 256;

    public static IServiceCollection AddMetricStreamLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var models = configuration.GetSection($"{ServingOptions.Section}:{nameof(ServingOptions.Models)}").GetChildren().Count();
        var serving = Math.Clamp(models * PerModel, 200, Default);
        var drift = Math.Max(Default, models * DriftColumnsPerModel);
        return services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddView(instrument => new MetricStreamConfiguration
        {
            CardinalityLimit = instrument.Name == ModelGauges.DriftInstrument ? drift
                : instrument.Meter.Name.StartsWith(ServiceDefaults.Extensions.TelemetryPrefix, StringComparison.Ordinal) ? serving
                : Framework,
        }));
    }
}
