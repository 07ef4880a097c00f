using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>ML.NET's PredictionEngines for one model: not thread-safe, so pooled, one per concurrent caller.</summary>
internal sealed class EngineScorer
{
    private readonly ObjectPool<RowScorer> _scorers;

    public EngineScorer(MLContext ml, ITransformer model, BundleManifest manifest, int vectorLength)
    {
        _scorers = new DefaultObjectPool<RowScorer>(
            new ScorerPolicy(() => RowScorer.Create(ml, model, manifest, vectorLength)),
            maximumRetained: Environment.ProcessorCount * 4);
        // Build one engine now: a broken model fails here, at load, not on the first request.
        _scorers.Return(_scorers.Get());
    }

    public Prediction Score(float[] features)
    {
        var scorer = _scorers.Get();
        try { return scorer.Score(features); }
        finally { _scorers.Return(scorer); }
    }

    /// <summary>Scores rows with one engine: cheaper than one pool round-trip per row.</summary>
    public void Score(IReadOnlyList<float[]> rows, Span<Prediction> results)
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
