using Microsoft.Extensions.Options;
using MlOps.Serving.Api.Feedback;
using MlOps.Serving.Api.Monitoring;

namespace MlOps.Serving.Api.PredictionLog;

public static class PredictionLogServiceCollectionExtensions
{
    /// <summary>Prediction ids, the prediction log, feedback and live quality (docs/prediction-log.md).</summary>
    public static IServiceCollection AddPredictionLog(this IServiceCollection services)
    {
        services.AddOptions<PredictionLogOptions>().BindConfiguration(PredictionLogOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PredictionLogOptions>, PredictionLogOptionsValidator>();
        services.AddOptions<FeedbackOptions>().BindConfiguration(FeedbackOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedbackOptions>, FeedbackOptionsValidator>();
        services.AddSingleton<PredictionLogTelemetry>();
        services.AddSingleton<PredictionLogger>();
        services.AddSingleton<PredictionIndex>();
        services.AddSingleton<LiveQuality>();
        services.AddSingleton<FeedbackAuthorizer>();
        services.AddSingleton<PredictionLogStore>();
        services.AddHostedService<PredictionLogService>();
        services.AddHostedService<LiveQualityGauges>();
        return services;
    }
}
