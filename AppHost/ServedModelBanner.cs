using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlOps.AppHost;

/// <summary>F5's last word on the console: the model is served, and how to ask it for a prediction.</summary>
public static class ServedModelBanner
{
    public static IResourceBuilder<ProjectResource> WithServedModelBanner(this IResourceBuilder<ProjectResource> serving,
        string model, string alias, string samplePrediction)
    {
        var announced = 0;
        return serving.OnResourceReady((resource, e, _) =>
        {
            // Ready = healthy = a model loaded; once for all replicas.
            if (Interlocked.Exchange(ref announced, 1) == 0)
            {
                var url = resource.GetEndpoint("http").Url;
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MlOps.AppHost").LogInformation(
                    "Model {Model}@{Alias} is served at {Url}. Try:\n  curl -s -X POST {Url}/v1/models/{Model}/predict -H 'content-type: application/json' -d '{Body}'\n" +
                    "API keys: dotnet user-secrets list --project AppHost (Parameters:registry-*-key)",
                    model, alias, url, url, model, samplePrediction);
            }
            return Task.CompletedTask;
        });
    }
}
