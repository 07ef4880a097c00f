using System.Diagnostics;
using Microsoft.Extensions.Options;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client;
using MlOps.Serving.Api.Monitoring;

namespace MlOps.Serving.Api.Hosting;

/// <summary>
/// Downloads a version's artifact, checks its sha256 against the registry's record (bytes are hashed as they
/// arrive), loads and warms it. Any failure throws: the caller keeps serving what it had.
/// </summary>
public sealed class ModelLoader(RegistryClient registry, ServingTelemetry telemetry, IOptions<ServingOptions> options, ILogger<ModelLoader> logger)
{
    public async Task<LoadedModel> LoadFromRegistryAsync(string name, string alias, int version, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        // A background swap is a trace of its own: the registry lookup and the artifact download are its children.
        using var activity = StartLoadActivity(name, alias, version);
        try
        {
            var record = await registry.GetModelVersionAsync(name, version, ct);
            await using var download = await registry.OpenArtifactAsync(name, version, ct: ct);
            using var bytes = new MemoryStream(record.SizeBytes is > 0 and < int.MaxValue ? (int)record.SizeBytes : 0);
            var sha256 = await CopyHashingAsync(download.Content, bytes, ct);
            activity?.SetTag("mlops.bundle.bytes", bytes.Length);
            activity?.SetTag("mlops.bundle.sha256", sha256);
            if (!string.Equals(sha256, record.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"Artifact of {name} v{version} has sha256 {sha256}, the registry recorded {record.Sha256}: refused.");
            return await LoadAsync(name, alias, version, sha256, bytes, started, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            Failed(name, started, e);
            throw;
        }
    }

    private static Activity? StartLoadActivity(string name, string alias, int version)
    {
        var activity = ServingTelemetry.Source.StartActivity("model.load");
        activity?.SetTag("mlops.model", name);
        activity?.SetTag("mlops.model.alias", alias);
        activity?.SetTag("mlops.model.version", version);
        return activity;
    }

    public async Task<LoadedModel> LoadFromFileAsync(string name, string path, int version, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var file = File.OpenRead(path);
            using var bytes = new MemoryStream((int)Math.Min(file.Length, int.MaxValue));
            var sha256 = await CopyHashingAsync(file, bytes, ct);
            return await LoadAsync(name, "file", version, sha256, bytes, started, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failed(name, started, e);
            throw;
        }
    }

    private async Task<LoadedModel> LoadAsync(string name, string alias, int version, string sha256, MemoryStream bytes, long started, CancellationToken ct)
    {
        bytes.Position = 0;
        var scoring = await ScoringModel.LoadAsync(bytes, ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var model = new LoadedModel(name, alias, version, sha256, scoring, seconds, options.Value.Drift);
        model.Warm();
        telemetry.LoadDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("model", name), new("outcome", "ok"));
        // A zero makes the failure series exist from the first load, so rate() and alerts see it before any failure.
        telemetry.LoadFailures.Add(0, new KeyValuePair<string, object?>("model", name));
        // Likewise each outcome of this version: the error ratio is 0, not "no data", until the first error.
        telemetry.Requests.Add(0, model.OutcomeTags(Outcome.Error));
        telemetry.Requests.Add(0, model.OutcomeTags(Outcome.Invalid));
        logger.LogInformation("Loaded {Model} v{Version} ({Alias}, sha256 {Sha256}) in {Seconds:F2} s; scorer: {Scorer}; ML.NET: {MlNet}", name, version, alias, sha256, seconds,
            scoring.UsesTreeEvaluator ? "tree evaluator" : $"ML.NET PredictionEngine ({scoring.TreeEvaluatorFallbackReason})",
            scoring.MlNetLoadReason is { } why ? $"loaded ({why})" : "not loaded (the bundle's plain trees)");
        return model;
    }

    private void Failed(string name, long started, Exception e)
    {
        telemetry.LoadDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("model", name), new("outcome", "error"));
        telemetry.LoadFailures.Add(1, new KeyValuePair<string, object?>("model", name));
        logger.LogError(e, "Loading {Model} failed; the version already loaded (if any) keeps serving", name);
    }

    private static async Task<string> CopyHashingAsync(Stream source, Stream destination, CancellationToken ct)
    {
        var hash = new Sha256();
        var buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer.AsSpan(0, read));
            await destination.WriteAsync(buffer.AsMemory(0, read), ct);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
