using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// A loaded model bundle, safe to call from many threads. LightGBM regression, binary and (one-versus-all)
/// multiclass models are scored by <see cref="TreeEnsembleEvaluator"/> (stateless, faster than ML.NET's
/// PredictionEngine: bench/scoring), once it has given bit-identical results to the PredictionEngine on probe rows
/// at load; everything else goes through PredictionEngines, which are not thread-safe and so are pooled, one per
/// concurrent caller.
/// </summary>
public sealed class ScoringModel
{
    private readonly ObjectPool<RowScorer> _scorers;
    private readonly TreeScorer? _trees;

    private ScoringModel(BundleManifest manifest, MLContext ml, ITransformer model)
    {
        Manifest = manifest;
        Encoder = new FeatureEncoder(manifest.Features);
        var length = Encoder.Length;
        _scorers = new DefaultObjectPool<RowScorer>(
            new ScorerPolicy(() => RowScorer.Create(ml, model, manifest, length)),
            maximumRetained: Environment.ProcessorCount * 4);
        // Build one engine now: a broken model fails here, at load, not on the first request.
        var engine = _scorers.Get();
        string reason;
        try
        {
            _trees = TreeScorer.TryCreate(model, manifest, length, out reason);
            if (_trees is not null && !AgreesWithEngine(_trees, engine, Encoder, out reason)) _trees = null;
        }
        catch (Exception e)
        {
            // The evaluator is an optimization: whatever goes wrong building it, the model still loads on ML.NET.
            (_trees, reason) = (null, $"tree evaluator failed to build: {e.GetType().Name}: {e.Message}");
        }
        _scorers.Return(engine);
        TreeEvaluatorFallbackReason = _trees is null ? reason : null;
    }

    /// <summary>Whether rows are scored by the flattened tree evaluator rather than ML.NET's PredictionEngine.</summary>
    public bool UsesTreeEvaluator => _trees is not null;

    /// <summary>Why the tree evaluator is not used (null when it is), for hosts to log and tests to assert.</summary>
    public string? TreeEvaluatorFallbackReason { get; }

    public BundleManifest Manifest { get; }

    /// <summary>Per-feature contributions (TreeSHAP) when the bundle has tree covers; else null.</summary>
    public Explaining.TreeExplainer? Explainer { get; private set; }

    /// <summary>Why <see cref="Explainer"/> is null (null when it is not).</summary>
    public string? ExplainerUnavailableReason { get; private set; }

    /// <summary>ML.NET's feature contributions, the fallback when <see cref="Explainer"/> is null and ML.NET has them.</summary>
    public Explaining.MlNetContributions? Contributions { get; private set; }

    public FeatureEncoder Encoder { get; }

    /// <summary>Loads a bundle (see <see cref="ModelBundleFile"/>).</summary>
    public static async Task<ScoringModel> LoadAsync(Stream bundle, CancellationToken ct)
    {
        var (manifest, modelBytes, covers) = await ModelBundleFile.ReadWithCoversAsync(bundle, ct);
        await using (modelBytes)
        {
            var ml = new MLContext(seed: 0);
            var model = ml.Model.Load(modelBytes, out _);
            var scoring = new ScoringModel(manifest, ml, model);
            scoring.Explainer = Explaining.TreeExplainer.TryCreate(model, manifest, covers, out var reason);
            scoring.ExplainerUnavailableReason = scoring.Explainer is null ? reason : null;
            if (scoring.Explainer is null)
            {
                scoring.Contributions = Explaining.MlNetContributions.TryCreate(ml, model, manifest, out var fallback);
                if (scoring.Contributions is null) scoring.ExplainerUnavailableReason += "; " + fallback;
            }
            return scoring;
        }
    }

    /// <summary>Scores one encoded row (<see cref="Encoder"/> makes them).</summary>
    public Prediction Predict(float[] features)
    {
        if (_trees is { } trees) return trees.Score(features);
        var scorer = _scorers.Get();
        try { return scorer.Score(features); }
        finally { _scorers.Return(scorer); }
    }

    /// <summary>Scores encoded rows with one engine: cheaper than one pool round-trip per row.</summary>
    public void Predict(IReadOnlyList<float[]> rows, Span<Prediction> results)
    {
        if (_trees is { } trees)
        {
            trees.Score(rows, results);
            return;
        }
        var scorer = _scorers.Get();
        try
        {
            for (var i = 0; i < rows.Count; i++) results[i] = scorer.Score(rows[i]);
        }
        finally { _scorers.Return(scorer); }
    }

    /// <summary>
    /// A guard against an ML.NET version or model variant whose semantics the evaluator does not copy: both must
    /// give the same bits on rows built to hit split thresholds exactly, just above them, and missing values.
    /// </summary>
    private static bool AgreesWithEngine(TreeScorer trees, RowScorer engine, FeatureEncoder encoder, out string reason)
    {
        // Rows one by one, and all together as a batch (66 rows: 4 tree-major blocks of 16, then 2 alone).
        var rows = trees.Evaluator.ProbeRows(encoder, count: 64, seed: 17).ToList();
        var batch = new Prediction[rows.Count];
        trees.Score(rows, batch);
        for (var i = 0; i < rows.Count; i++)
        {
            var expected = engine.Score(rows[i]);
            if (Differs(expected, trees.Score(rows[i]), "a probe row", out reason) || Differs(expected, batch[i], "a probe row in a batch", out reason))
                return false;
        }
        reason = "";
        return true;
    }

    private static bool Differs(Prediction expected, Prediction actual, string what, out string reason)
    {
        if (!SameBits(expected.Value, actual.Value) || !SameBits(expected.Probability, actual.Probability) || expected.Label != actual.Label
            || !SameProbabilities(expected.Probabilities, actual.Probabilities))
        {
            reason = $"tree evaluator disagrees with PredictionEngine on {what} ({actual.Label} {actual.Value} {actual.Probability} vs {expected.Label} {expected.Value} {expected.Probability})";
            return true;
        }
        reason = "";
        return false;
    }

    private static bool SameProbabilities(IReadOnlyDictionary<string, double>? expected, IReadOnlyDictionary<string, double>? actual) =>
        expected is null ? actual is null
            : actual is not null && expected.Count == actual.Count
              && expected.All(e => actual.TryGetValue(e.Key, out var a) && SameBits(e.Value, a));

    private static bool SameBits(double? a, double? b) =>
        a is null ? b is null : b is not null && BitConverter.DoubleToInt64Bits(a.Value) == BitConverter.DoubleToInt64Bits(b.Value);

    private sealed class ScorerPolicy(Func<RowScorer> create) : PooledObjectPolicy<RowScorer>
    {
        public override RowScorer Create() => create();

        public override bool Return(RowScorer obj) => true;
    }
}
