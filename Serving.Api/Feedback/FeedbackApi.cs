using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MlOps.PredictionLog;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.PredictionLog;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.Feedback;

/// <summary>
/// <c>POST /v1/models/{name}/feedback</c> (ground truth for served predictions, trainer key) and
/// <c>GET /v1/models/{name}/quality</c> (live quality next to the training metrics). docs/prediction-log.md.
/// </summary>
public static class FeedbackApi
{
    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1/models").WithTags("Feedback");
        models.MapPost("/{name}/feedback", PostAsync)
            .Accepts<FeedbackRequest>("application/json")
            .WithSummary("Ground truth for predictions (by prediction id); needs a registry trainer key.");
        models.MapGet("/{name}/quality", GetQuality)
            .WithSummary("Live quality per version over the last labelled predictions, next to the training metrics.");
        return app;
    }

    private static async Task<Results<Ok<FeedbackResponse>, ProblemHttpResult>> PostAsync(
        string name, HttpRequest http, ModelCatalog catalog, FeedbackAuthorizer auth, PredictionLogger logger,
        PredictionIndex index, LiveQuality quality, PredictionLogStore store, PredictionLogTelemetry telemetry,
        IOptions<FeedbackOptions> options, ILogger<FeedbackRequest> log, CancellationToken ct)
    {
        var source = "";
        if (await auth.AuthorizeAsync(http, s => source = s, ct) is { } denied)
        {
            if (denied.StatusCode == StatusCodes.Status401Unauthorized) http.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return denied;
        }
        if (catalog.Find(name) is not { } served) return ServingProblems.UnknownModel(name);
        if (served.Primary is not { } primary) return ServingProblems.NotLoaded(name);

        FeedbackRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<FeedbackRequest>(http.Body, RegistryJson.Strict, ct);
        }
        catch (JsonException e)
        {
            return Invalid($"The body is not a valid feedback request: {Registry.Client.Json.JsonProblem.Describe(e, typeof(FeedbackRequest), RegistryJson.Strict)}");
        }
        var max = options.Value.MaxItems;
        if (request is null || request.Items.Count == 0) return Invalid("Send at least one item: {\"items\": [{\"predictionId\": \"...\", \"truth\": ...}]}.");
        if (request.Items.Count > max) return Invalid($"The batch has {request.Items.Count} items; at most {max} are accepted per request.");

        var task = primary.Model.Manifest.Task;
        var classes = (primary.Model.Manifest.Classes ?? []).Concat(served.Secondary?.Model.Manifest.Classes ?? []).ToHashSet(StringComparer.Ordinal);
        var items = new (Guid Id, string Truth)[request.Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            if (Validate(request.Items[i], i, task, classes) is { } problem) return Invalid(problem, i);
            items[i] = (Guid.Parse(request.Items[i].PredictionId), Truth(request.Items[i].Truth, task));
        }

        // Predictions answered just before this request may still be on their way to the index.
        await logger.CatchUpAsync(TimeSpan.FromSeconds(options.Value.CatchUpSeconds), ct);

        var received = DateTime.UtcNow;
        var rows = items.Select(x => new FeedbackRow(PredictionIds.Format(x.Id), name, x.Truth, received, source)).ToList();
        try
        {
            using var buffer = new MemoryStream();
            await PredictionLogWriter.WriteFeedbackAsync(rows, buffer, ct);
            await store.StoreAsync(new LogFileUpload(name, PredictionLogKinds.Feedback, null, DateOnly.FromDateTime(received), buffer.ToArray(), rows.Count), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Feedback for {Model}: storing {Items} items failed", name, rows.Count);
            telemetry.UploadFailure(name, PredictionLogKinds.Feedback);
            return TypedResults.Problem("The registry did not store the feedback; nothing was recorded. Retry the same request.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Feedback not stored");
        }
        telemetry.Uploaded(name, PredictionLogKinds.Feedback, rows.Count);

        var unmatched = new List<string>();
        foreach (var (id, truth) in items)
        {
            if (index.Find(id) is { } prediction && prediction.Model == name) quality.Add(id, prediction, truth);
            else unmatched.Add(PredictionIds.Format(id));
        }
        telemetry.Feedback(name, items.Length - unmatched.Count, unmatched.Count);
        return TypedResults.Ok(new FeedbackResponse(name, items.Length, items.Length - unmatched.Count, unmatched.Count, unmatched));
    }

    private static string? Validate(FeedbackItem? item, int i, string task, HashSet<string> classes)
    {
        // The serializer leaves a null list element as it is.
        if (item is null) return $"Item {i}: must be an object {{\"predictionId\": \"...\", \"truth\": ...}}, not null.";
        if (!PredictionIds.TryParse(item.PredictionId, out _))
            return $"Item {i}: predictionId '{item.PredictionId}' is not a prediction id (a UUID as the predict answer gave it).";
        var truth = item.Truth;
        if (task == TrainingTasks.Regression)
        {
            return truth.ValueKind == JsonValueKind.Number && truth.TryGetDouble(out var v) && double.IsFinite(v)
                ? null
                : $"Item {i}: truth must be a finite number for a regression model, got {Describe(truth)}.";
        }
        if (truth.ValueKind != JsonValueKind.String)
            return $"Item {i}: truth must be the class as a string for a {task} model, got {Describe(truth)}.";
        var label = truth.GetString()!;
        return classes.Contains(label)
            ? null
            : $"Item {i}: truth '{label}' is not a class of this model ({string.Join(", ", classes.Order(StringComparer.Ordinal))}).";
    }

    // Regression truth as invariant round-trip text, so the registry's join and the live window read the same number.
    private static string Truth(JsonElement truth, string task) =>
        task == TrainingTasks.Regression ? truth.GetDouble().ToString("R", CultureInfo.InvariantCulture) : truth.GetString()!;

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static ProblemHttpResult Invalid(string detail, int? item = null) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid feedback",
            extensions: item is { } i ? new Dictionary<string, object?> { ["item"] = i } : null);

    private static Results<Ok<ModelQuality>, ProblemHttpResult> GetQuality(string name, ModelCatalog catalog, LiveQuality quality, IOptions<FeedbackOptions> options)
    {
        if (catalog.Find(name) is not { } served) return ServingProblems.UnknownModel(name);
        if (served.Primary is not { } primary) return ServingProblems.NotLoaded(name);
        var live = quality.Snapshot(name).ToDictionary(s => s.Version);
        var loaded = new[] { served.Primary, served.Secondary }.OfType<LoadedModel>().ToDictionary(m => m.Version);
        var versions = live.Keys.Union(loaded.Keys).Order().Select(v =>
        {
            var model = loaded.GetValueOrDefault(v);
            var training = model is null
                ? new Dictionary<string, double>()
                : QualityMetrics.For(model.Model.Manifest.Task)
                    .Where(model.Model.Manifest.Metrics.ContainsKey)
                    .ToDictionary(m => m, m => model.Model.Manifest.Metrics[m]);
            return new VersionQuality(v, model?.Alias, model is null ? null : Arms.Of(served, model),
                live.GetValueOrDefault(v)?.Rows ?? 0, live.GetValueOrDefault(v)?.Metrics ?? new Dictionary<string, double>(), training);
        }).ToList();
        return TypedResults.Ok(new ModelQuality(name, primary.Model.Manifest.Task, options.Value.QualityWindow, versions));
    }
}
