using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// A loaded model bundle, safe to call from many threads: PredictionEngine is not thread-safe, so engines
/// are pooled, one per concurrent caller.
/// </summary>
public sealed class ScoringModel
{
    private readonly ObjectPool<RowScorer> _scorers;

    private ScoringModel(BundleManifest manifest, MLContext ml, ITransformer model)
    {
        Manifest = manifest;
        Encoder = new FeatureEncoder(manifest.Features);
        var length = Encoder.Length;
        _scorers = new DefaultObjectPool<RowScorer>(
            new ScorerPolicy(() => RowScorer.Create(ml, model, manifest, length)),
            maximumRetained: Environment.ProcessorCount * 4);
        // Build one engine now: a broken model fails here, at load, not on the first request.
        _scorers.Return(_scorers.Get());
    }

    public BundleManifest Manifest { get; }

    public FeatureEncoder Encoder { get; }

    /// <summary>Loads a bundle (see <see cref="ModelBundleFile"/>).</summary>
    public static async Task<ScoringModel> LoadAsync(Stream bundle, CancellationToken ct)
    {
        var (manifest, modelBytes) = await ModelBundleFile.ReadAsync(bundle, ct);
        await using (modelBytes)
        {
            var ml = new MLContext(seed: 0);
            var model = ml.Model.Load(modelBytes, out _);
            return new ScoringModel(manifest, ml, model);
        }
    }

    /// <summary>Scores one encoded row (<see cref="Encoder"/> makes them).</summary>
    public Prediction Predict(float[] features)
    {
        var scorer = _scorers.Get();
        try { return scorer.Score(features); }
        finally { _scorers.Return(scorer); }
    }

    /// <summary>Scores encoded rows with one engine: cheaper than one pool round-trip per row.</summary>
    public void Predict(IReadOnlyList<float[]> rows, Span<Prediction> results)
    {
        var scorer = _scorers.Get();
        try
        {
            for (var i = 0; i < rows.Count; i++) results[i] = scorer.Score(rows[i]);
        }
        finally { _scorers.Return(scorer); }
    }

    private sealed class ScorerPolicy(Func<RowScorer> create) : PooledObjectPolicy<RowScorer>
    {
        public override RowScorer Create() => create();

        public override bool Return(RowScorer obj) => true;
    }
}
