using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.ModelBundle.Explaining;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.Explain;

/// <summary>
/// REST explain: <c>POST /v1/models/{name}/explain</c> takes predict's body and answers each row's prediction with
/// its TreeSHAP contributions (ML.NET's feature contributions for a bundle without tree covers; 409 when neither). Off the predict hot path: it allocates per row and costs far more than a prediction.
/// </summary>
public static class ExplainApi
{
    public static IEndpointRouteBuilder MapExplainApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/models").WithTags("Explain")
            .MapPost("/{name}/explain", ExplainAsync)
            .Accepts<PredictRequest>("application/json")
            .WithSummary("Per-feature contributions (exact TreeSHAP) to each row's raw scores, with the prediction.");
        return app;
    }

    private static async Task<Results<Ok<ExplainResponse>, ProblemHttpResult>> ExplainAsync(
        string name, HttpRequest request, ModelCatalog catalog, PredictionService predictions, CancellationToken ct)
    {
        if (catalog.Find(name) is not { } served) return ServingProblems.UnknownModel(name);
        // The primary version answers: an explanation should not depend on which side of a canary split it fell.
        if (served.Primary is not { } model) return ServingProblems.NotLoaded(name);
        var (explainer, fallback) = (model.Model.Explainer, model.Model.Contributions);
        if (explainer is null && fallback is null) return ExplainProblems.Unavailable(name, model.Version, model.Model.ExplainerUnavailableReason);

        var body = await RequestBody.ReadAsync(request, predictions.MaxBodyBytes, ct);
        if (body is not { } bytes) return ServingProblems.Invalid(InputError.BodyTooLarge(predictions.MaxBodyBytes));
        var scratch = model.RentScratch();
        try
        {
            using var activity = ServingTelemetry.Source.StartActivity("explain");
            activity?.SetTag("mlops.model", model.Name);
            activity?.SetTag("mlops.model.version", model.Version);
            if (!RowParser.TryParse(bytes, model.Schema, scratch, predictions.MaxExplainRows, out var error)) return ServingProblems.Invalid(error);
            activity?.SetTag("mlops.rows", scratch.Count);
            var rows = new RowExplanation[scratch.Count];
            for (var i = 0; i < rows.Length; i++)
                rows[i] = explainer is not null ? RowExplainer.Explain(model, explainer, scratch[i]) : RowExplainer.Explain(model, fallback!, scratch[i]);
            var method = explainer is not null ? TreeExplainer.Method : MlNetContributions.Method;
            activity?.SetTag("mlops.explain.method", method);
            return TypedResults.Ok(new ExplainResponse(model.Name, model.Version, model.Alias, method, rows));
        }
        finally
        {
            model.Return(scratch);
            request.BodyReader.AdvanceTo(bytes.End);
        }
    }
}
