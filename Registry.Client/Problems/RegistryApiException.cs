using System.Net;

namespace MlOps.Registry.Client.Problems;

/// <summary>A non-success answer of the registry, with its status and problem details (null when the body was not one).</summary>
public sealed class RegistryApiException(HttpStatusCode statusCode, ApiProblem? problem, string? rawBody = null)
    : Exception(BuildMessage(statusCode, problem, rawBody))
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public ApiProblem? Problem { get; } = problem;

    private static string BuildMessage(HttpStatusCode status, ApiProblem? problem, string? rawBody) =>
        $"Registry answered {(int)status} {status}: {problem?.Title ?? "no problem details"}"
        + (problem?.Detail is { } d ? $" ({d})" : rawBody is { Length: > 0 } ? $" ({Truncate(rawBody)})" : "");

    private static string Truncate(string s) => s.Length <= 500 ? s : s[..500] + "...";
}
