using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client.Json;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// Turns exceptions caused by the client's input into 4xx problem details, so that bad input never yields a
/// 500: malformed or oversized bodies (a JSON body's problem names the field and the expected type), a wrong
/// sha256, a name taken by a concurrent request, text PostgreSQL cannot store that slipped past the checks.
/// </summary>
public sealed class ClientErrorExceptionHandler(IProblemDetailsService problems, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        (int Status, string Title, string Detail)? mapped = exception switch
        {
            BadHttpRequestException { InnerException: JsonException e } => (400, "Invalid JSON body", DescribeJson(context, e)),
            BadHttpRequestException e => (e.StatusCode, e.StatusCode == 413 ? "Payload too large" : "Bad request", e.Message),
            PayloadTooLargeException e => (413, "Payload too large", e.Message),
            HashMismatchException e => (422, "sha256 mismatch", e.Message),
            JsonException e => (400, "Invalid JSON body", DescribeJson(context, e)),
            // Backstop: every text input is checked for U+0000 before it gets here; should one slip through, the
            // transaction rolled back and the client still gets a 400, not a 500.
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UntranslatableCharacter or PostgresErrorCodes.CharacterNotInRepertoire } }
                or PostgresException { SqlState: PostgresErrorCodes.UntranslatableCharacter or PostgresErrorCodes.CharacterNotInRepertoire } =>
                (400, "Invalid text", "The request holds text the database cannot store (U+0000 or invalid UTF-8); nothing was stored."),
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

    private string DescribeJson(HttpContext context, JsonException e) =>
        // The exception handler clears the endpoint; its feature keeps the one that failed, whose body type we walk.
        JsonProblem.Describe(e, context.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType,
            json.Value.SerializerOptions);
}
