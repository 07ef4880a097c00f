using Microsoft.AspNetCore.Http.HttpResults;

namespace MlOps.Serving.Api.Explain;

/// <summary>RFC 9457 answers particular to explain (the rest are predict's <see cref="Predict.ServingProblems"/>).</summary>
public static class ExplainProblems
{
    /// <summary>409: the served version cannot be explained (no tree covers and no ML.NET calculator: an old multiclass bundle); retraining fixes it.</summary>
    public static ProblemHttpResult Unavailable(string name, int version, string? reason) =>
        TypedResults.Problem($"Model '{name}' version {version} cannot be explained: {reason}.",
            statusCode: StatusCodes.Status409Conflict, title: "Explanations unavailable",
            extensions: new Dictionary<string, object?> { ["version"] = version });
}
