using Microsoft.Extensions.DependencyInjection.Extensions;
using MlOps.Registry.Client;
using MlOps.Training.Worker.Bootstrap;
using MlOps.Training.Worker.Jobs;
using MlOps.Training.Worker.Promotion;
using MlOps.Training.Worker.Telemetry;

namespace MlOps.Training.Worker.Infrastructure;

public static class ApplicationServiceExtensions
{
    /// <summary>The registry client, the job loop and what it uses (options under <c>Worker</c>).</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection(WorkerOptions.Section))
            .Validate(o => o.LeaseSeconds is >= 5 and <= 3600, "Worker:LeaseSeconds must be 5-3600 (the registry's range).")
            .Validate(o => o.PollSeconds is >= 0 and <= 30, "Worker:PollSeconds must be 0-30.")
            .Validate(o => o.Threads >= 1, "Worker:Threads must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddRegistryClient(builder.Configuration);
        builder.Services.AddSingleton<TrainingMetrics>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<JobProgress>();
        builder.Services.AddHealthChecks().AddCheck<JobProgressCheck>("training");
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<PromotionGate>();
        builder.Services.AddSingleton<JobRunner>();
        builder.Services.AddSingleton<BootstrapSubmitter>();
        builder.Services.AddHostedService<JobLoop>();
        return builder;
    }
}
