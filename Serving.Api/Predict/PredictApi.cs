using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Predict;

/// <summary>REST predict and model info: per model under <c>/v1/models/{name}</c>, and for the default model.</summary>
public static class PredictApi
{
    public static IEndpointRouteBuilder MapPredictApi(this IEndpointRouteBuilder app)
    {
        // The predict handlers take the singletons captured here rather than as parameters: a parameter bound from
        // services makes every request create (and dispose) a DI scope for nothing (bench/serving, profile).
        var catalog = app.ServiceProvider.GetRequiredService<ModelCatalog>();
        var predictions = app.ServiceProvider.GetRequiredService<PredictionService>();
        var models = app.MapGroup("/v1/models").WithTags("Predict");
        models.MapPost("/{name}/predict", (string name, HttpRequest request, CancellationToken ct) =>
                predictions.PredictAsync(catalog.Find(name), name, request, ct))
            .Accepts<PredictRequest>("application/json")
            .WithSummary("Predicts one row (features) or a batch (instances).");
        models.MapGet("/{name}", GetInfo).WithSummary("The served version, its input schema and metrics.");

        var defaults = app.MapGroup("").WithTags("Predict");
        defaults.MapPost("/predict", (HttpRequest request, CancellationToken ct) =>
                predictions.PredictAsync(catalog.Default, catalog.Default?.Name ?? "", request, ct))
            .Accepts<PredictRequest>("application/json")
            .WithSummary("Predicts with the default (first configured) model.");
        defaults.MapGet("/model/info", GetDefaultInfo).WithSummary("Info of the default model.");
        return app;
    }

    private static Results<Ok<ServedModelInfo>, ProblemHttpResult> GetInfo(string name, ModelCatalog catalog) =>
        Info(catalog.Find(name), name);

    private static Results<Ok<ServedModelInfo>, ProblemHttpResult> GetDefaultInfo(ModelCatalog catalog) =>
        catalog.Default is { } model ? Info(model, model.Name) : ServingProblems.NoDefaultModel();

    private static Results<Ok<ServedModelInfo>, ProblemHttpResult> Info(ServedModel? served, string name)
    {
        if (served is null) return ServingProblems.UnknownModel(name);
        if (served.Primary is not { } primary) return ServingProblems.NotLoaded(name);
        var manifest = primary.Model.Manifest;
        var schema = manifest.Features
            .Select(f => new FeatureSchema(f.Name, f.Kind == ModelBundle.Features.FeatureKind.Numeric ? Registry.Client.Datasets.ColumnTypes.Numeric : Registry.Client.Datasets.ColumnTypes.Categorical, f.Levels))
            .ToList();
        ServedCanary? canary = served.Canary is { } c
            ? new ServedCanary(served.IsShadow ? CanaryModes.Shadow : CanaryModes.Canary, served.IsShadow ? 0 : c.Weight, served.Secondary is { } s ? VersionOf(s) : null)
            : null;
        var positive = manifest.Task == Registry.Client.Jobs.TrainingTasks.Binary ? manifest.Classes?[1] : null;
        return TypedResults.Ok(new ServedModelInfo(name, manifest.Task, manifest.Label, VersionOf(primary), schema, manifest.Classes, manifest.Metrics, canary, positive));
    }

    private static ServedVersion VersionOf(LoadedModel model) =>
        new(model.Version, model.Alias, model.Sha256, model.LoadedAt, model.LoadSeconds,
            model.Model.UsesTreeEvaluator ? "tree-evaluator" : "prediction-engine", model.Model.MlNetLoadReason);
}
