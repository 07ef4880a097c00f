using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// PostgreSQL or the object store being unreachable is not the client's fault nor a bug: 503 problem details
/// with Retry-After, so clients and load balancers retry instead of reporting a server error.
/// </summary>
public sealed class DependencyOutageExceptionHandler(IProblemDetailsService problems, ILogger<DependencyOutageExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var dependency = Classify(exception);
        if (dependency is null) return false;
        logger.LogWarning(exception, "{Dependency} unavailable during {Method} {Path}", dependency, context.Request.Method, context.Request.Path);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return true;
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = $"{dependency} unavailable",
                Detail = $"The registry cannot reach its {dependency.ToLowerInvariant()}; nothing was stored. Retry later.",
            },
        });
    }

    private static string? Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException { IsTransient: true }:
                    return "Database";
                case Amazon.Runtime.AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError }:
                case Amazon.Runtime.AmazonClientException:
                case HttpRequestException:
                    return "Object store";
            }
        }
        return null;
    }
}
