using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// The predict path shared by the REST and V2 endpoints: route to a version, encode, score, shadow-compare,
/// record metrics and drift. Synchronous between reading the body and writing the answer.
/// </summary>
public sealed class PredictionService(ServingTelemetry telemetry, IOptions<ServingOptions> options, ILogger<PredictionService> logger, PredictionLogger log)
{
    private readonly LimitOptions _limits = options.Value.Limits;

    public int MaxRows => _limits.MaxBatchRows;

    public int MaxExplainRows => _limits.MaxExplainRows;

    public long MaxBodyBytes => _limits.MaxBodyBytes;

    /// <summary>REST predict: <c>{"features"}</c> or <c>{"instances"}</c> in, <see cref="PredictResponse"/> JSON out.</summary>
    public async Task<Results<PredictionResult, ProblemHttpResult>> PredictAsync(ServedModel? served, string name, HttpRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (served is null) return ServingProblems.UnknownModel(name);
        var (model, shadow) = served.Route();
        if (model is null) return ServingProblems.NotLoaded(name);

        var body = await RequestBody.ReadAsync(request, _limits.MaxBodyBytes, ct);
        if (body is not { } bytes)
        {
            telemetry.Requests.Add(1, model.OutcomeTags(Outcome.Invalid));
            return ServingProblems.Invalid(InputError.BodyTooLarge(_limits.MaxBodyBytes));
        }
        var scratch = model.RentScratch();
        try
        {
            using var activity = StartActivity(model);
            if (!RowParser.TryParse(bytes, model.Schema, scratch, _limits.MaxBatchRows, out var error))
            {
                model.Return(scratch);
                return Refuse(model, error, activity);
            }
            var predictions = Score(model, scratch, activity);
            if (shadow is not null) ShadowFromBody(served, model, shadow, predictions, bytes);
            var ids = PredictionIds.New(predictions.Length);
            PredictionJson.WriteResponse(scratch.Writer, model, predictions, ids, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            log.Log(served, model, started, ids, predictions, bytes, scratch.RowSpans);
            Record(model, scratch.Count, started);
            return new PredictionResult(model, scratch);
        }
        catch
        {
            telemetry.Requests.Add(1, model.OutcomeTags(Outcome.Error));
            model.Return(scratch);
            throw;
        }
        finally
        {
            request.BodyReader.AdvanceTo(bytes.End);
        }
    }

    public static Activity? StartActivity(LoadedModel model)
    {
        var activity = ServingTelemetry.Source.StartActivity("predict");
        activity?.SetTag("mlops.model", model.Name);
        activity?.SetTag("mlops.model.version", model.Version);
        activity?.SetTag("mlops.model.alias", model.Alias);
        return activity;
    }

    public ProblemHttpResult Refuse(LoadedModel model, InputError error, Activity? activity)
    {
        telemetry.Requests.Add(1, model.OutcomeTags(Outcome.Invalid));
        activity?.SetStatus(ActivityStatusCode.Error, "invalid input");
        return ServingProblems.Invalid(error);
    }

    /// <summary>Scores the parsed rows and feeds the drift window.</summary>
    public Span<Prediction> Score(LoadedModel model, PredictScratch scratch, Activity? activity)
    {
        activity?.SetTag("mlops.rows", scratch.Count);
        var results = scratch.ResultsFor(scratch.Count);
        model.Model.Predict(scratch, results);
        model.Drift.Observe(scratch);
        return results;
    }

    /// <summary>The prediction log (sampling, non-blocking hand-over), for the V2 path.</summary>
    public PredictionLogger Log => log;

    public void Record(LoadedModel model, int rows, long started)
    {
        telemetry.Requests.Add(1, model.OutcomeTags(Outcome.Ok));
        telemetry.Latency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, model.VersionTags);
        telemetry.Rows.Record(rows, model.ModelTags);
    }

    // Its own method so that the closure (and its allocation) exists only in shadow mode.
    private void ShadowFromBody(ServedModel served, LoadedModel primary, LoadedModel shadow, ReadOnlySpan<Prediction> answers, ReadOnlySequence<byte> body) =>
        Shadow(served, primary, shadow, answers, (s, target) => RowParser.TryParse(body, s.Schema, target, _limits.MaxBatchRows, out _));

    /// <summary>
    /// Shadow mode: encodes the same input for the shadow version (its schema may differ), scores it and counts
    /// rows whose answers differ. Never fails the request: the primary has already answered.
    /// </summary>
    public void Shadow(ServedModel served, LoadedModel primary, LoadedModel shadow, ReadOnlySpan<Prediction> answers, Func<LoadedModel, PredictScratch, bool> encode)
    {
        var scratch = shadow.RentScratch();
        try
        {
            if (!encode(shadow, scratch) || scratch.Count != answers.Length)
            {
                telemetry.ShadowDisagreements.Add(answers.Length, primary.ModelTags);
                return;
            }
            var shadowed = scratch.ResultsFor(scratch.Count);
            shadow.Model.Predict(scratch, shadowed);
            var tolerance = served.Canary?.Tolerance ?? 0;
            var disagreements = 0;
            for (var i = 0; i < answers.Length; i++)
                if (!Agree(answers[i], shadowed[i], tolerance)) disagreements++;
            if (disagreements > 0) telemetry.ShadowDisagreements.Add(disagreements, primary.ModelTags);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Shadow scoring with {Model} v{Version} failed", shadow.Name, shadow.Version);
        }
        finally
        {
            shadow.Return(scratch);
        }
    }

    private static bool Agree(Prediction a, Prediction b, double tolerance) =>
        string.Equals(a.Label, b.Label, StringComparison.Ordinal)
        && Close(a.Value, b.Value, tolerance)
        && Close(a.Probability, b.Probability, tolerance);

    private static bool Close(double? a, double? b, double tolerance) =>
        a is null ? b is null : b is not null && Math.Abs(a.Value - b.Value) <= tolerance;
}
