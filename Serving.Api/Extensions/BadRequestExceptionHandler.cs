using Microsoft.AspNetCore.Diagnostics;

namespace MlOps.Serving.Api.Extensions;

/// <summary>
/// Kestrel and minimal-API binding signal client errors (oversized or unreadable bodies, bad route values) with
/// BadHttpRequestException; answer those with their own 4xx problem details instead of a 500.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad) return false;
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "Bad request", Detail = bad.Message },
        });
    }
}
