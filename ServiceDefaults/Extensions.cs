using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MlOps.ServiceDefaults;

/// <summary>
/// What Aspire's ServiceDefaults template gives, without Aspire packages: OpenTelemetry, health
/// endpoints, service discovery and resilient HttpClients, plus a Prometheus scrape endpoint.
/// </summary>
public static class Extensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";
    public const string MetricsPath = "/metrics";

    /// <summary>Meter and ActivitySource names starting with this prefix are exported.</summary>
    public const string TelemetryPrefix = "MlOps.";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Outside the AppHost nobody sets OTEL_SERVICE_NAME: name the service after its project rather than
        // "unknown_service:dotnet". When the variable is set it wins (a resource added here would override it).
        var otel = builder.Services.AddOpenTelemetry();
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
        {
            otel.ConfigureResource(r => r.AddService(ServiceName.FromApplicationName(builder.Environment.ApplicationName)));
        }

        otel.WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter(TelemetryPrefix + "*")
            .AddPrometheusExporter());

        // OTLP only when a collector is configured (the Aspire dashboard sets this variable). Spans are recorded without
        // one too (in-process listeners, e.g. the tests, see them), unless the service sets
        // Telemetry:SpansWithoutExporter=false: Serving.Api does, since recording and tagging spans that nothing reads
        // was a sixth of its predict path (bench/serving/README.md). OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG set
        // the sampler (the production overlay samples serving's predictions; docs/capacity.md). Metrics stay on either way.
        var exporter = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (exporter || builder.Configuration.GetValue("Telemetry:SpansWithoutExporter", true))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                .AddSource("Npgsql")
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsInfrastructurePath(ctx.Request.Path)
                    && !PlumbingRequests.IsPlumbing(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value))
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => !PlumbingRequests.IsPlumbing(request)));
        }
        if (exporter) otel.UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps /health (every check: readiness), /alive (live-tagged checks only) and /metrics.
    /// Mapped in every environment: Kubernetes probes and Prometheus need them in production.
    /// Degraded means "not ready yet" (e.g. no model loaded): 503 like Unhealthy, but the health-check service
    /// logs it as a warning with its reason rather than as an error every time a probe asks.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath, new HealthCheckOptions
        {
            ResponseWriter = HealthResponse.WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    private static bool IsInfrastructurePath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath) || path.StartsWithSegments(MetricsPath);
}
