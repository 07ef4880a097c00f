using Microsoft.AspNetCore.Http.HttpResults;

namespace MlOps.Serving.Api.Predict;

/// <summary>RFC 9457 answers of the serving API.</summary>
public static class ServingProblems
{
    public static ProblemHttpResult UnknownModel(string name) =>
        TypedResults.Problem($"No model named '{name}' is served here.", statusCode: StatusCodes.Status404NotFound, title: "Unknown model");

    public static ProblemHttpResult NoDefaultModel() =>
        TypedResults.Problem("No model is configured (Serving:Models).", statusCode: StatusCodes.Status404NotFound, title: "Unknown model");

    public static ProblemHttpResult NotLoaded(string name) =>
        TypedResults.Problem($"Model '{name}' is not loaded yet.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Model not loaded");

    public static ProblemHttpResult Invalid(InputError error)
    {
        var extensions = new Dictionary<string, object?>();
        if (error.Row is { } row) extensions["row"] = row;
        if (error.Column is { } column) extensions["column"] = column;
        return TypedResults.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest, title: "Invalid prediction input", extensions: extensions);
    }
}
