using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MlOps.PredictionLog;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Datasets;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.Registry.Api.PredictionLogs;

/// <summary>
/// Prediction log files sent by serving (the registry alone writes the bucket and PostgreSQL), their listing, and
/// the materialisation of a window of logged, labelled predictions as a dataset version.
/// </summary>
public static class PredictionLogsApi
{
    public const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapPredictionLogsApi(this IEndpointRouteBuilder routes, PredictionLogOptions options)
    {
        var group = routes.MapGroup("/api/v1/prediction-logs").WithTags("Prediction logs").RequireAuthorization(Policies.Read);
        group.MapPost("/{model}/files", UploadAsync).RequireAuthorization(Policies.Train)
            .WithMetadata(new BodyLimit(options.MaxFileBytes))
            .Accepts<Stream>(RegistryClient.ParquetMediaType, "application/octet-stream");
        group.MapGet("/{model}/files", ListAsync);
        group.MapGet("/{model}/files/{id:guid}", GetAsync);
        group.MapPost("/{model}/datasets", MaterializeAsync).RequireAuthorization(Policies.Train);
        return group;
    }

    private static async Task<Results<Created<PredictionLogFile>, ProblemHttpResult>> UploadAsync(
        string model, string? kind, int? version, string? date, HttpRequest request, RegistryDbContext db, IArtifactStore store,
        PredictionLogOptions options, CancellationToken ct)
    {
        if (!Names.IsValid(model))
        {
            return Problems.InvalidName("Model name");
        }
        if (!PredictionLogFileKinds.All.Contains(kind))
        {
            return Problems.BadRequest($"kind must be one of {string.Join(", ", PredictionLogFileKinds.All)}.");
        }
        if (kind == PredictionLogFileKinds.Predictions && version is not >= 1)
        {
            return Problems.BadRequest("version (the serving model version, a positive integer) is required for predictions.");
        }
        if (kind == PredictionLogFileKinds.Feedback && version is not null)
        {
            return Problems.BadRequest("version is for predictions files only: feedback is partitioned by the day it was received.");
        }
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return Problems.BadRequest("date is required, as yyyy-MM-dd (UTC).");
        }
        if (!await db.Models.AnyAsync(m => m.Name == model, ct))
        {
            return Problems.NotFound($"Model '{model}' does not exist.");
        }

        // Streamed to S3 (temporary key) and, in the same pass, to a local spill file the footer is read from: the
        // body is never held in memory, and a refused file is never published.
        await using var spill = LocalCopy.CreateTemp();
        await using var staged = await store.StageAsync(request.Body, options.MaxFileBytes, null, new SpillObserver(spill), ct);
        PredictionLogFileSummary summary;
        try
        {
            summary = await PredictionLogReader.SummarizeAsync(spill, kind!, ct);
        }
        catch (PredictionLogFormatException e)
        {
            return Problems.BadRequest(e.Message);
        }
        if (summary.Rows == 0)
        {
            return Problems.BadRequest($"The {kind} file holds no rows.");
        }

        var id = Guid.CreateVersion7();
        var file = new PredictionLogFileEntity
        {
            Id = id,
            Model = model,
            Kind = kind!,
            Version = version,
            Date = day,
            Key = PredictionLogFileMapping.KeyFor(model, kind!, version, day, id),
            Rows = summary.Rows,
            Bytes = staged.Stored.SizeBytes,
            MinTs = summary.MinTimestamp is { } min ? new DateTimeOffset(min, TimeSpan.Zero) : null,
            MaxTs = summary.MaxTimestamp is { } max ? new DateTimeOffset(max, TimeSpan.Zero) : null,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.PredictionLogFiles.Add(file);
        await db.SaveChangesAsync(ct);
        // Row first, object second, commit last: a refused row leaves no object, and a failed copy no row.
        await staged.PublishAsAsync(file.Key, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/prediction-logs/{model}/files/{id}", file.ToContract());
    }

    private static async Task<Results<Ok<PredictionLogFile>, ProblemHttpResult>> GetAsync(string model, Guid id, RegistryDbContext db, CancellationToken ct) =>
        await db.PredictionLogFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Model == model && f.Id == id, ct) is { } file
            ? TypedResults.Ok(file.ToContract())
            : Problems.NotFound($"Model '{model}' has no prediction log file {id}.");

    private static async Task<Results<Ok<PredictionLogFilePage>, ProblemHttpResult>> ListAsync(
        string model, string? kind, DateTimeOffset? from, DateTimeOffset? to, int? version, Guid? after, int? limit,
        RegistryDbContext db, CancellationToken ct)
    {
        if (!Names.IsValid(model))
        {
            return Problems.InvalidName("Model name");
        }
        if (kind is not null && !PredictionLogFileKinds.All.Contains(kind))
        {
            return Problems.BadRequest($"kind must be one of {string.Join(", ", PredictionLogFileKinds.All)}.");
        }
        if (from is not null && to is not null && from >= to)
        {
            return Problems.BadRequest("from must be before to.");
        }
        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.BadRequest($"limit must be 1-{MaxPageSize}.");
        }
        var take = limit ?? 100;
        var query = db.PredictionLogFiles.AsNoTracking().Where(f => f.Model == model);
        if (kind is not null) query = query.Where(f => f.Kind == kind);
        if (version is not null) query = query.Where(f => f.Version == version);
        // A file is in [from, to) when its rows' span overlaps it.
        if (from is not null) query = query.Where(f => f.MaxTs >= from);
        if (to is not null) query = query.Where(f => f.MinTs < to);
        if (after is not null) query = query.Where(f => f.Id > after);
        // Keyset paging on the UUIDv7 id: stable while files arrive, no OFFSET scans.
        var rows = await query.OrderBy(f => f.Id).Take(take + 1).ToListAsync(ct);
        var next = rows.Count > take ? rows[take - 1].Id : (Guid?)null;
        return TypedResults.Ok(new PredictionLogFilePage(rows.Take(take).Select(f => f.ToContract()).ToList(), next));
    }

    private static async Task<Results<Created<DatasetVersion>, Ok<DatasetVersion>, ProblemHttpResult>> MaterializeAsync(
        string model, MaterializeWindowRequest request, WindowMaterializer materializer, CancellationToken ct)
    {
        var outcome = await materializer.MaterializeAsync(model, request, ct);
        if (outcome.Problem is { } problem)
        {
            return problem;
        }
        var version = outcome.Version!;
        return outcome.Created
            ? TypedResults.Created($"/api/v1/datasets/{version.Dataset}/versions/{version.Version}", version)
            : TypedResults.Ok(version);
    }
}
