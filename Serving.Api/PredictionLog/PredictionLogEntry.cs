using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// One sampled request as the request path hands it over: references and a copy of the body, nothing
/// serialised yet (that happens on the log writer's thread). Exactly one of <see cref="Body"/> (REST, with
/// <see cref="RowSpans"/>: each row object's start and end in it) and <see cref="V2Request"/> is set.
/// </summary>
public sealed class PredictionLogEntry(
    LoadedModel model, string? arm, DateTime timestamp, double latencyMs, Guid[] ids, Prediction[] predictions,
    byte[]? body, long[]? rowSpans, V2InferRequest? v2Request)
{
    public LoadedModel Model { get; } = model;
    public string? Arm { get; } = arm;
    public DateTime Timestamp { get; } = timestamp;
    public double LatencyMs { get; } = latencyMs;
    public Guid[] Ids { get; } = ids;
    public Prediction[] Predictions { get; } = predictions;
    public byte[]? Body { get; } = body;
    public long[]? RowSpans { get; } = rowSpans;
    public V2InferRequest? V2Request { get; } = v2Request;

    public int Rows => Ids.Length;

    /// <summary>What the entry weighs against Serving:PredictionLog:BufferBytes (body, or a rough V2 estimate).</summary>
    public long Bytes => Body?.Length ?? 256L * Rows;
}

/// <summary>
/// Which arm a loaded version is: null without a canary or shadow, else <c>primary</c>, <c>canary</c> or
/// <c>shadow</c> (a shadow never answers, so logged rows are <c>primary</c> in shadow mode).
/// </summary>
public static class Arms
{
    public const string Primary = "primary";
    public const string Canary = "canary";
    public const string Shadow = "shadow";

    public static string? Of(ServedModel served, LoadedModel answered) =>
        served.Canary is null ? null
        : !ReferenceEquals(answered, served.Secondary) ? Primary
        : served.IsShadow ? Shadow : Canary;
}
