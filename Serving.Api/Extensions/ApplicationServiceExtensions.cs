using Microsoft.AspNetCore.Server.Kestrel.Core;
using MlOps.Registry.Client;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.Feedback;
using MlOps.Serving.Api.Predict;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ServingOptions>().BindConfiguration(ServingOptions.Section);
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddOpenApi();
        services.AddRequestPipeline();

        // Aspire's WithReference(registry-api) injects services:registry-api:http:0; Registry:BaseAddress overrides it.
        services.AddRegistryClient(builder.Configuration);

        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<ServingTelemetry>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<PredictionService>();
        services.AddHostedService<ModelWatcher>();
        services.AddHostedService<ModelGauges>();
        services.AddHostedService<DriftRetrainer>();
        services.AddPredictionLog();
        services.AddMetricStreamLimits(builder.Configuration);
        services.AddHealthChecks().AddCheck<ModelReadinessCheck>("models");

        // Bodies over Serving:Limits:MaxBodyBytes are refused by the predict path itself (a 400 naming the limit);
        // Kestrel's own cap only has to sit above it.
        var maxBody = builder.Configuration.GetValue<long?>($"{ServingOptions.Section}:Limits:MaxBodyBytes") ?? new LimitOptions().MaxBodyBytes;
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(maxBody + 1024 * 1024, 30_000_000);
        });
        return builder;
    }
}
