using System.Diagnostics;
using Npgsql;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// Which PostgreSQL commands become spans, and their names. Only commands run on behalf of a traced operation
/// (an API request) are traced: the background ones (queue-length gauge, LISTEN for events, migrations at start)
/// have no ambient activity and would each start a trace of their own every few seconds.
/// </summary>
public static class DatabaseTracing
{
    public static NpgsqlDataSourceBuilder ConfigureRegistryTracing(this NpgsqlDataSourceBuilder builder) =>
        builder.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => InTracedOperation)
            .ConfigureBatchFilter(_ => InTracedOperation)
            // Connection opens are pool plumbing, not work.
            .EnablePhysicalOpenTracing(false)
            .ConfigureCommandSpanNameProvider(command => SpanName(command.CommandText))
            .ConfigureBatchSpanNameProvider(batch => SpanName(batch.BatchCommands.Count > 0 ? batch.BatchCommands[0].CommandText : "")));

    // Recorded, not just present: a request the ASP.NET Core filter drops (a lease or alias long-poll) still has an
    // Activity, unrecorded; under an always-on sampler (Aspire sets OTEL_TRACES_SAMPLER=always_on) its commands would
    // otherwise become root spans of traces of their own.
    private static bool InTracedOperation => Activity.Current is { Recorded: true };

    /// <summary>"postgresql SELECT", "postgresql UPDATE", ...: the statement's verb, low-cardinality.</summary>
    public static string SpanName(string sql)
    {
        var verb = sql.TrimStart().Split((char[])[' ', '\n', '\r', '\t'], 2)[0].ToUpperInvariant();
        return verb.Length is > 0 and <= 12 && verb.All(char.IsAsciiLetter) ? "postgresql " + verb : "postgresql";
    }
}
