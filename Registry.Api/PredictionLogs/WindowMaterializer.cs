using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MlOps.PredictionLog;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Api.Datasets;
using MlOps.Registry.Api.Storage;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.Registry.Api.PredictionLogs;

/// <summary>A materialised window, or the problem that stopped it (nothing is stored then).</summary>
public sealed record MaterializeOutcome(DatasetVersion? Version, bool Created, ProblemHttpResult? Problem)
{
    public static MaterializeOutcome Failed(ProblemHttpResult problem) => new(null, false, problem);
}

/// <summary>
/// Turns the predictions a model served in [from, to) that received a truth into a CSV dataset version: the logged
/// inputs' columns plus the model's training label column holding the truth (latest feedback wins), one row per
/// prediction id in id (= time) order, so the same rows give the same bytes and hence the same version.
/// </summary>
public sealed class WindowMaterializer(RegistryDbContext db, IArtifactStore store, PredictionLogOptions options, BodyLimitOptions limits)
{
    /// <summary>Arm of the rows a shadow version scored: the same request rows as the primary's, so never dataset rows.</summary>
    public const string ShadowArm = "shadow";

    public async Task<MaterializeOutcome> MaterializeAsync(string model, MaterializeWindowRequest request, CancellationToken ct)
    {
        if (!Names.IsValid(model))
        {
            return MaterializeOutcome.Failed(Problems.InvalidName("Model name"));
        }
        if (!Names.IsValid(request.Dataset))
        {
            return MaterializeOutcome.Failed(Problems.InvalidName("dataset"));
        }
        if (request.From >= request.To)
        {
            return MaterializeOutcome.Failed(Problems.BadRequest($"from ({Iso(request.From)}) must be before to ({Iso(request.To)})."));
        }
        if (request.Versions is { } wanted && (wanted.Count == 0 || wanted.Any(v => v < 1)))
        {
            return MaterializeOutcome.Failed(Problems.BadRequest("versions must list positive model versions (leave it out for every version)."));
        }
        var modelRow = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == model, ct);
        if (modelRow is null)
        {
            return MaterializeOutcome.Failed(Problems.NotFound($"Model '{model}' does not exist."));
        }
        var labels = await db.ModelVersions.AsNoTracking().Where(v => v.ModelId == modelRow.Id).ToDictionaryAsync(v => v.Version, v => v.Label, ct);
        if (request.Versions?.Where(v => !labels.ContainsKey(v)).ToList() is { Count: > 0 } unknown)
        {
            return MaterializeOutcome.Failed(Problems.NotFound($"Model '{model}' has no version {string.Join(", ", unknown)}."));
        }
        var versions = request.Versions?.ToHashSet();

        var predictionFiles = await Files(model, PredictionLogFileKinds.Predictions, request.From)
            .Where(f => f.MinTs < request.To && (versions == null || versions.Contains(f.Version!.Value)))
            .OrderBy(f => f.Id).ToListAsync(ct);
        if (predictionFiles.Count == 0)
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable($"No predictions of '{model}' were logged in [{Iso(request.From)}, {Iso(request.To)})."));
        }
        if (TooLarge(predictionFiles, "predictions") is { } tooManyPredictions)
        {
            return MaterializeOutcome.Failed(tooManyPredictions);
        }

        var logged = new Dictionary<string, PredictionLogRow>(StringComparer.Ordinal);
        foreach (var file in predictionFiles)
        {
            await using var stream = await LocalCopy.DownloadAsync(store, file.Key, file.Bytes, ct);
            foreach (var row in await PredictionLogReader.ReadPredictionsAsync(stream, ct))
            {
                var at = new DateTimeOffset(row.Timestamp, TimeSpan.Zero);
                // A file uploaded twice (a retried upload) repeats ids: the first copy counts.
                if (at >= request.From && at < request.To && row.Arm != ShadowArm && (versions is null || versions.Contains(row.Version)))
                {
                    logged.TryAdd(row.PredictionId, row);
                }
            }
        }
        if (logged.Count == 0)
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable($"No predictions of '{model}' were logged in [{Iso(request.From)}, {Iso(request.To)})."));
        }

        // Truth can arrive long after the window, but not before its first prediction.
        var feedbackFiles = await Files(model, PredictionLogFileKinds.Feedback, request.From).OrderBy(f => f.Id).ToListAsync(ct);
        if (TooLarge(feedbackFiles, "feedback") is { } tooMuchFeedback)
        {
            return MaterializeOutcome.Failed(tooMuchFeedback);
        }
        var truths = new Dictionary<string, (string Truth, DateTime At, Guid File)>(StringComparer.Ordinal);
        foreach (var file in feedbackFiles)
        {
            await using var stream = await LocalCopy.DownloadAsync(store, file.Key, file.Bytes, ct);
            foreach (var row in await PredictionLogReader.ReadFeedbackAsync(stream, ct))
            {
                // Latest truth wins; files are read in arrival order, so on equal times the later one does.
                if (logged.ContainsKey(row.PredictionId)
                    && (!truths.TryGetValue(row.PredictionId, out var seen) || row.ReceivedAt >= seen.At))
                {
                    truths[row.PredictionId] = (row.Truth, row.ReceivedAt, file.Id);
                }
            }
        }
        var labelled = logged.Values.Where(r => truths.ContainsKey(r.PredictionId))
            .OrderBy(r => r.PredictionId, StringComparer.Ordinal).ToList();
        if (labelled.Count == 0)
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable(
                $"{logged.Count} prediction(s) of '{model}' were logged in [{Iso(request.From)}, {Iso(request.To)}) but none has feedback yet: nothing to train on."));
        }

        var served = labelled.Select(r => r.Version).Distinct().Order().ToList();
        var servedLabels = served.Select(v => labels.GetValueOrDefault(v)).Distinct().ToList();
        if (servedLabels is not [{ } label])
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable(servedLabels.Contains(null)
                ? $"Version(s) {string.Join(", ", served)} of '{model}' record no training label, so the label column cannot be named."
                : $"Versions {string.Join(", ", served)} of '{model}' were trained on different labels ({string.Join(", ", servedLabels)}): pick versions with one label."));
        }

        var lineage = new DatasetLineage(model, served, request.From, request.To, label,
            predictionFiles.Select(f => f.Id).ToList(),
            truths.Values.Select(t => t.File).Distinct().Order().ToList(),
            logged.Count, labelled.Count);
        await using var csv = LocalCopy.CreateTemp();
        if (!await WriteCsvAsync(csv, labelled, truths, label, ct))
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable($"A logged row of '{model}' holds inputs that are not a JSON object."));
        }
        csv.Position = 0;
        try
        {
            var (version, created) = await DatasetVersionWriter.WriteAsync(
                db, store, request.Dataset, null, csv, limits.DatasetBytes, Json.Write(lineage), ct);
            return new MaterializeOutcome(version.ToContract(request.Dataset, Json.Write(lineage)), created, null);
        }
        catch (CsvFormatException e)
        {
            return MaterializeOutcome.Failed(Problems.Unprocessable("The logged rows do not make a usable CSV: " + e.Message));
        }
    }

    private IQueryable<PredictionLogFileEntity> Files(string model, string kind, DateTimeOffset from) =>
        db.PredictionLogFiles.AsNoTracking().Where(f => f.Model == model && f.Kind == kind && f.MaxTs >= from);

    private ProblemHttpResult? TooLarge(List<PredictionLogFileEntity> files, string what)
    {
        var rows = files.Sum(f => f.Rows);
        return rows <= options.MaxWindowRows ? null : Problems.Unprocessable(
            $"The window spans {rows} logged {what} rows; at most {options.MaxWindowRows} are read at once "
            + "(Registry:PredictionLogs:MaxWindowRows): narrow from/to or pick versions.");
    }

    /// <summary>Header = every input key in order of first appearance, then the label; false when an inputs cell is not a JSON object.</summary>
    private static async Task<bool> WriteCsvAsync(
        Stream output, List<PredictionLogRow> rows, Dictionary<string, (string Truth, DateTime At, Guid File)> truths, string label, CancellationToken ct)
    {
        var columns = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal) { label };
        var cells = new List<Dictionary<string, string>>(rows.Count);
        foreach (var row in rows)
        {
            Dictionary<string, string> values;
            try
            {
                values = Cells(row.Inputs);
            }
            catch (JsonException)
            {
                return false;
            }
            foreach (var key in values.Keys)
            {
                if (known.Add(key))
                {
                    columns.Add(key);
                }
            }
            cells.Add(values);
        }
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 65536, leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(string.Join(',', columns.Append(label).Select(Quote)).AsMemory(), ct);
        var line = new StringBuilder();
        for (var i = 0; i < rows.Count; i++)
        {
            line.Clear();
            foreach (var column in columns)
            {
                line.Append(Quote(cells[i].GetValueOrDefault(column) ?? "")).Append(',');
            }
            line.Append(Quote(truths[rows[i].PredictionId].Truth));
            await writer.WriteLineAsync(line, ct);
        }
        await writer.FlushAsync(ct);
        return true;
    }

    private static Dictionary<string, string> Cells(string inputs)
    {
        using var document = JsonDocument.Parse(inputs);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("not an object");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Null => "",
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                // Numbers keep their JSON text: invariant, exactly as served.
                _ => property.Value.GetRawText(),
            };
        }
        return values;
    }

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '))
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
