using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Jobs;
using MlOps.Registry.Api.Models;
using MlOps.Registry.Api.PredictionLogs;
using MlOps.Registry.Api.Runs;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        // Aspire's Npgsql integration: one NpgsqlDataSource from ConnectionStrings:registrydb (EF Core and the
        // raw SQL paths share it), with its readiness health check, tracing (filtered: DatabaseTracing) and metrics.
        builder.AddNpgsqlDataSource("registrydb", configureDataSourceBuilder: b => b.ConfigureRegistryTracing());
        services.AddDbContext<RegistryDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddArtifactStore(configuration);
        services.AddApiKeyAuth(configuration);
        services.AddScoped<RunReader>();
        services.AddScoped<MetricHistory>();
        services.AddSingleton<MetricWriter>();
        services.AddSingleton<RunSearch>();
        services.AddSingleton<AliasSignal>();
        services.AddSingleton<JobQueue>();

        var limits = new BodyLimitOptions();
        configuration.GetSection("Limits").Bind(limits);
        services.AddSingleton(limits);
        var predictionLogs = new PredictionLogOptions();
        configuration.GetSection("Registry:PredictionLogs").Bind(predictionLogs);
        services.AddSingleton(predictionLogs);
        services.AddScoped<WindowMaterializer>();
        services.AddSingleton<PredictionLogRetention>();
        var longPoll = new LongPollOptions();
        configuration.GetSection("LongPoll").Bind(longPoll);
        services.AddSingleton(longPoll);

        services.AddProblemDetails();
        services.AddExceptionHandler<ClientErrorExceptionHandler>();
        services.AddExceptionHandler<DependencyOutageExceptionHandler>();
        // Bodies are read strictly (unknown fields, numbers as strings, NUL are 400s) and binding failures throw, so
        // that ClientErrorExceptionHandler can name the field and the expected type instead of a bare "Bad Request".
        services.ConfigureHttpJsonOptions(o => RegistryJson.MakeStrict(o.SerializerOptions));
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi(o => o.DescribeStrings());
        services.AddHostedService<RegistryInitializer>();
        services.AddHostedService<JobQueueMetrics>();
        services.AddHostedService<RegistryEvents>();
        // After RegistryInitializer, which migrates the database the sweep reads.
        services.AddHostedService<PredictionLogRetentionService>();
        services.AddHealthChecks().AddCheck<S3ReadinessCheck>("s3");
        return builder;
    }
}
