using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Storage;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// Turns exceptions caused by the client's input into 4xx problem details, so that bad input never yields a
/// 500: malformed or oversized bodies, a wrong sha256, a name taken by a concurrent request.
/// </summary>
public sealed class ClientErrorExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        (int Status, string Title, string Detail)? mapped = exception switch
        {
            BadHttpRequestException e => (e.StatusCode, e.StatusCode == 413 ? "Payload too large" : "Bad request", e.Message),
            PayloadTooLargeException e => (413, "Payload too large", e.Message),
            HashMismatchException e => (422, "sha256 mismatch", e.Message),
            JsonException e => (400, "Malformed JSON", e.Message),
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } } =>
                (409, "Conflict", "A concurrent request created the same name or version; retry."),
            PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } =>
                (409, "Conflict", "A concurrent request created the same name or version; retry."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested =>
                (499, "Client closed request", "The client went away."),
            _ => null,
        };
        if (mapped is not { } m)
        {
            return false;
        }
        if (context.Response.HasStarted)
        {
            // Nothing sensible can be written any more; the connection is dropped.
            context.Abort();
            return true;
        }
        context.Response.StatusCode = m.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = m.Status, Title = m.Title, Detail = m.Detail },
        });
    }
}
