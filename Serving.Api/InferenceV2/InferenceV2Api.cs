using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.ModelBundle.Features;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.Predict;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.InferenceV2;

/// <summary>Open Inference Protocol V2 (KServe v2 REST): health, model metadata and readiness, infer.</summary>
public static class InferenceV2Api
{
    public const string Platform = "mlnet_lightgbm";

    public static IEndpointRouteBuilder MapInferenceV2Api(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol V2");
        v2.MapGet("/health/live", () => TypedResults.Ok(new V2LiveResponse(true)));
        v2.MapGet("/health/ready", (ModelCatalog catalog) => Ready(catalog.AllLoaded));
        v2.MapGet("/models/{name}", Metadata);
        v2.MapGet("/models/{name}/ready", (string name, ModelCatalog catalog) =>
            catalog.Find(name) is { } model ? Ready(model.IsLoaded) : (IResult)ServingProblems.UnknownModel(name));
        v2.MapPost("/models/{name}/infer", InferAsync).Accepts<V2InferRequest>("application/json");
        return app;
    }

    private static JsonHttpResult<V2ReadyResponse> Ready(bool ready) =>
        TypedResults.Json(new V2ReadyResponse(ready), statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);

    private static Results<Ok<V2ModelMetadata>, ProblemHttpResult> Metadata(string name, ModelCatalog catalog)
    {
        if (catalog.Find(name) is not { } served) return ServingProblems.UnknownModel(name);
        if (served.Primary is not { } model) return ServingProblems.NotLoaded(name);
        var manifest = model.Model.Manifest;
        var inputs = manifest.Features
            .Select(f => new V2TensorMetadata(f.Name, f.Kind == FeatureKind.Numeric ? V2Datatypes.Fp64 : V2Datatypes.Bytes, [-1]))
            .ToList();
        List<V2TensorMetadata> outputs = manifest.Classes is not { } classes
            ? [new("predict", V2Datatypes.Fp64, [-1])]
            : [new("predict", V2Datatypes.Bytes, [-1]), new("probability", V2Datatypes.Fp64, [-1]),
               .. classes.Select(c => new V2TensorMetadata(ClassTensor(c), V2Datatypes.Fp64, [-1]))];
        outputs.Add(new(PredictionIdTensor, V2Datatypes.Bytes, [-1]));
        var versions = new List<string> { model.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (served.Secondary is { } second) versions.Add(second.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return TypedResults.Ok(new V2ModelMetadata(name, versions, Platform, inputs, outputs));
    }

    // The body is read here rather than bound, so that malformed JSON is a 400 naming the problem in every environment.
    private static async Task<Results<Ok<V2InferResponse>, ProblemHttpResult>> InferAsync(
        string name, HttpRequest http, ModelCatalog catalog, PredictionService predictions, CancellationToken ct)
    {
        // Read with the predict path's body limit (after any decompression), then parsed from the buffer.
        if (await RequestBody.ReadAsync(http, predictions.MaxBodyBytes, ct) is not { } bytes)
            return ServingProblems.Invalid(InputError.BodyTooLarge(predictions.MaxBodyBytes));
        V2InferRequest? request;
        try
        {
            var reader = new Utf8JsonReader(bytes);
            // Strict, as the registry's bodies: an unknown or misspelt field is named, not ignored.
            request = bytes.IsEmpty ? null : JsonSerializer.Deserialize<V2InferRequest>(ref reader, RegistryJson.Strict);
        }
        catch (JsonException e)
        {
            return ServingProblems.Invalid(new InputError(
                $"The body is not a valid V2 infer request: {Registry.Client.Json.JsonProblem.Describe(e, typeof(V2InferRequest), RegistryJson.Strict)}"));
        }
        finally
        {
            http.BodyReader.AdvanceTo(bytes.End);
        }
        return request is null
            ? ServingProblems.Invalid(new InputError("The body is empty: send {\"inputs\": [...]}."))
            : Infer(name, request, catalog, predictions);
    }

    private static Results<Ok<V2InferResponse>, ProblemHttpResult> Infer(
        string name, V2InferRequest request, ModelCatalog catalog, PredictionService predictions)
    {
        var started = Stopwatch.GetTimestamp();
        if (catalog.Find(name) is not { } served) return ServingProblems.UnknownModel(name);
        var (model, shadow) = served.Route();
        if (model is null) return ServingProblems.NotLoaded(name);
        var scratch = model.RentScratch();
        try
        {
            using var activity = PredictionService.StartActivity(model);
            if (!TryEncode(request, model, scratch, predictions.MaxRows, out var error))
                return predictions.Refuse(model, error, activity);
            var results = predictions.Score(model, scratch, activity);
            if (shadow is not null)
                predictions.Shadow(served, model, shadow, results, (s, target) => TensorEncoder.TryEncode(request, s.Schema, target, predictions.MaxRows, out _));
            var ids = PredictionIds.New(results.Length);
            var response = new V2InferResponse(model.Name, model.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), [.. Outputs(model, results), IdTensor(ids)], request.Id);
            predictions.Log.Log(served, model, started, ids, results, request);
            predictions.Record(model, scratch.Count, started);
            return TypedResults.Ok(response);
        }
        finally
        {
            model.Return(scratch);
        }
    }

    private static bool TryEncode(V2InferRequest request, LoadedModel model, PredictScratch scratch, int maxRows, out InputError error)
    {
        try
        {
            return TensorEncoder.TryEncode(request, model.Schema, scratch, maxRows, out error);
        }
        catch (InvalidOperationException e) when (e.InnerException is null or System.Text.DecoderFallbackException)
        {
            // A string tensor value that is not text (a lone surrogate escape): the client's input, not a server fault.
            error = new InputError($"A string in the request is not valid text: {e.Message}");
            return false;
        }
    }

    private static List<V2Tensor> Outputs(LoadedModel model, ReadOnlySpan<Prediction> results)
    {
        long[] shape = [results.Length];
        if (model.Model.Manifest.Classes is null)
        {
            var values = new double?[results.Length];
            for (var i = 0; i < results.Length; i++) values[i] = results[i].Value;
            return [new V2Tensor("predict", shape, V2Datatypes.Fp64, JsonSerializer.SerializeToElement(values))];
        }
        var classes = model.Model.Manifest.Classes;
        var labels = new string?[results.Length];
        var probabilities = new double?[results.Length];
        var perClass = new double?[classes.Count][];
        for (var k = 0; k < classes.Count; k++) perClass[k] = new double?[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            labels[i] = results[i].Label;
            probabilities[i] = results[i].Probability;
            for (var k = 0; k < classes.Count; k++) perClass[k][i] = results[i].ProbabilityOf(classes[k]);
        }
        // "probability" is the predicted label's, as in REST; "probability_<class>" names each class's (binary:
        // probability_<positive class> is what auc and log_loss were computed on).
        return
        [
            new V2Tensor("predict", shape, V2Datatypes.Bytes, JsonSerializer.SerializeToElement(labels)),
            new V2Tensor("probability", shape, V2Datatypes.Fp64, JsonSerializer.SerializeToElement(probabilities)),
            .. classes.Select((c, k) => new V2Tensor(ClassTensor(c), shape, V2Datatypes.Fp64, JsonSerializer.SerializeToElement(perClass[k]))),
        ];
    }

    /// <summary>The V2 output tensor of prediction ids, one per row in row order (feedback names them).</summary>
    public const string PredictionIdTensor = "prediction_id";

    private static V2Tensor IdTensor(Guid[] ids) =>
        new(PredictionIdTensor, [ids.Length], V2Datatypes.Bytes, JsonSerializer.SerializeToElement(ids));

    /// <summary>The V2 output tensor holding one class's probability.</summary>
    public static string ClassTensor(string className) => "probability_" + className;
}
