using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using MlOps.ModelBundle.Scoring;
using MlOps.Serving.Api.Monitoring;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.Hosting;

/// <summary>
/// One loaded, warmed model version with everything a request needs precomputed: its input schema, a pool of
/// scratch buffers sized for it, JSON-encoded names and metric tag arrays (no per-request tag allocation).
/// Immutable once published; a swap replaces the whole object, so a request sees one version throughout.
/// </summary>
public sealed class LoadedModel
{
    private readonly ObjectPool<PredictScratch> _scratch;
    private readonly KeyValuePair<string, object?>[] _ok;
    private readonly KeyValuePair<string, object?>[] _invalid;
    private readonly KeyValuePair<string, object?>[] _error;

    public LoadedModel(string name, string alias, int version, string sha256, ScoringModel model, double loadSeconds, DriftOptions drift)
    {
        Name = name;
        Alias = alias;
        Version = version;
        Sha256 = sha256;
        Model = model;
        LoadSeconds = loadSeconds;
        LoadedAt = DateTimeOffset.UtcNow;
        Schema = new InputSchema(model.Encoder);
        Drift = new DriftWindow(model.Encoder, model.Manifest.Baseline, drift.WindowRows, drift.SampleEvery);
        EncodedName = JsonEncodedText.Encode(name);
        EncodedAlias = JsonEncodedText.Encode(alias);
        var length = model.Encoder.Length;
        var columns = model.Encoder.Columns.Count;
        _scratch = new DefaultObjectPool<PredictScratch>(new ScratchPolicy(length, columns), Environment.ProcessorCount * 8);
        _ok = Tags("ok");
        _invalid = Tags("invalid");
        _error = Tags("error");
        VersionTags = [new("model", name), new("version", version)];
        ModelTags = [new("model", name)];
    }

    public string Name { get; }
    public string Alias { get; }
    public int Version { get; }
    public string Sha256 { get; }
    public ScoringModel Model { get; }
    public double LoadSeconds { get; }
    public DateTimeOffset LoadedAt { get; }
    public InputSchema Schema { get; }
    public DriftWindow Drift { get; }
    public JsonEncodedText EncodedName { get; }
    public JsonEncodedText EncodedAlias { get; }

    /// <summary>model, version: latency tags.</summary>
    public KeyValuePair<string, object?>[] VersionTags { get; }

    /// <summary>model: rows and shadow tags.</summary>
    public KeyValuePair<string, object?>[] ModelTags { get; }

    public ReadOnlySpan<KeyValuePair<string, object?>> OutcomeTags(Outcome outcome) => outcome switch
    {
        Outcome.Ok => _ok,
        Outcome.Invalid => _invalid,
        _ => _error,
    };

    public PredictScratch RentScratch()
    {
        var scratch = _scratch.Get();
        scratch.Reset();
        return scratch;
    }

    public void Return(PredictScratch scratch) => _scratch.Return(scratch);

    /// <summary>Scores rows of all-missing values a few times: JIT and engine pool are hot before traffic.</summary>
    public void Warm()
    {
        var scratch = RentScratch();
        try
        {
            for (var i = 0; i < 4; i++) Model.Encoder.Reset(scratch.Vector(i));
            scratch.Count = 4;
            for (var round = 0; round < 8; round++) Model.Predict(scratch, scratch.ResultsFor(scratch.Count));
        }
        finally { Return(scratch); }
    }

    private KeyValuePair<string, object?>[] Tags(string outcome) =>
        [new("model", Name), new("version", Version), new("outcome", outcome)];

    private sealed class ScratchPolicy(int vectorLength, int columns) : PooledObjectPolicy<PredictScratch>
    {
        public override PredictScratch Create() => new(vectorLength, columns);

        // Very large batches would pin their buffers for good: drop those instead of pooling them.
        public override bool Return(PredictScratch obj) => obj.Output.Capacity <= 1 << 20;
    }
}

public enum Outcome { Ok, Invalid, Error }
