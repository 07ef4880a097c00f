using System.Runtime.CompilerServices;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// A loaded model bundle, safe to call from many threads. LightGBM regression, binary and (one-versus-all)
/// multiclass models are scored by <see cref="TreeEnsembleEvaluator"/> (stateless, faster than ML.NET's
/// PredictionEngine: bench/scoring) once it has given bit-identical results to the PredictionEngine on probe rows.
/// A bundle with plain trees (<c>trees.json</c>, written by the trainer with the PredictionEngine's predictions on
/// those rows) loads without ML.NET at all; any other bundle, or one whose trees fail that check, loads ML.NET's
/// model, checks the evaluator against a live PredictionEngine, and falls back to pooled PredictionEngines when the
/// evaluator does not reproduce the model.
/// </summary>
public sealed class ScoringModel
{
    private readonly TreeScorer? _trees;
    private readonly EngineScorer? _engines;

    private ScoringModel(BundleManifest manifest, FeatureEncoder encoder, TreeScorer? trees, EngineScorer? engines)
    {
        Manifest = manifest;
        Encoder = encoder;
        _trees = trees;
        _engines = engines;
    }

    /// <summary>Whether rows are scored by the flattened tree evaluator rather than ML.NET's PredictionEngine.</summary>
    public bool UsesTreeEvaluator => _trees is not null;

    /// <summary>
    /// Whether rows (single, and batches 16 at a time) are scored by leaf masks (trees of at most 32 leaves, 256-bit
    /// vectors) rather than by walking the trees.
    /// </summary>
    internal bool UsesLeafMasks => _trees?.Evaluator.UsesLeafMasks ?? false;

    /// <summary>Why the tree evaluator is not used (null when it is), for hosts to log and tests to assert.</summary>
    public string? TreeEvaluatorFallbackReason { get; private init; }

    /// <summary>Why this model needed ML.NET at load (null when its plain trees sufficed and ML.NET was not touched).</summary>
    public string? MlNetLoadReason { get; private init; }

    public BundleManifest Manifest { get; }

    /// <summary>Per-feature contributions (TreeSHAP) when the bundle has tree covers; else null.</summary>
    public TreeExplainer? Explainer { get; private init; }

    /// <summary>Why <see cref="Explainer"/> is null (null when it is not).</summary>
    public string? ExplainerUnavailableReason { get; private init; }

    /// <summary>ML.NET's feature contributions, the fallback when <see cref="Explainer"/> is null and ML.NET has them.</summary>
    public MlNetContributions? Contributions { get; private init; }

    public FeatureEncoder Encoder { get; }

    /// <summary>Loads a bundle (see <see cref="ModelBundleFile"/>).</summary>
    public static async Task<ScoringModel> LoadAsync(Stream bundle, CancellationToken ct)
    {
        await using var reader = await BundleReader.OpenAsync(bundle, ct);
        var manifest = reader.Manifest;
        var encoder = new FeatureEncoder(manifest.Features);
        string treesReason;
        if (reader.Trees is not { } trees) treesReason = reader.TreesError ?? $"the bundle has no {ModelBundleFile.TreesEntry}";
        else if (TreeProbes.CheckedScorer(trees, manifest, encoder, engine: null, out _, out treesReason) is { } scorer)
        {
            var explainer = TreeExplainer.TryCreate(trees.Ensembles, manifest, reader.Covers, out var why);
            // Without TreeSHAP, regression and binary models still explain with ML.NET's contributions: load it.
            if (explainer is not null || !MlNetHasContributions(manifest.Task))
            {
                return new ScoringModel(manifest, encoder, scorer, engines: null)
                {
                    Explainer = explainer,
                    ExplainerUnavailableReason = explainer is null ? why : null,
                };
            }
            treesReason = $"no TreeSHAP explainer ({why}), and ML.NET's contributions need ML.NET";
        }
        else treesReason = $"{ModelBundleFile.TreesEntry}: {treesReason}";
        await using var modelBytes = await reader.ReadMlNetModelAsync(ct);
        return LoadWithMlNet(manifest, encoder, modelBytes, reader.Covers, treesReason);
    }

    // What MlNetContributions can explain (not one-versus-all multiclass), known without loading its ML.NET types.
    private static bool MlNetHasContributions(string task) => task is "regression" or "binary";

    // Kept out of LoadAsync (and never inlined into it) so that a bundle served from its plain trees does not make
    // the JIT load ML.NET's assemblies.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ScoringModel LoadWithMlNet(BundleManifest manifest, FeatureEncoder encoder, Stream modelBytes, TreeCovers? covers, string treesReason)
    {
        var ml = new Microsoft.ML.MLContext(seed: 0);
        var model = ml.Model.Load(modelBytes, out _);
        var engines = new EngineScorer(ml, model, manifest, encoder.Length);
        // The trees are read once, for the evaluator (checked against a live PredictionEngine) and the explainer.
        var ensembles = MlNetTrees.Ensembles(model, manifest.Task, out var why);
        var reason = why;
        var scorer = ensembles is not null && MlNetTrees.Calibrators(model, out reason) is { } calibrators
            ? TreeProbes.CheckedScorer(new TreeModel(ensembles, calibrators, Probe: null), manifest, encoder, engines.Score, out _, out reason)
            : null;
        var explainer = ensembles is null ? null : TreeExplainer.TryCreate(ensembles, manifest, covers, out why);
        MlNetContributions? contributions = null;
        if (explainer is null)
        {
            contributions = MlNetContributions.TryCreate(ml, model, manifest, out var fallback);
            if (contributions is null) why += "; " + fallback;
        }
        return new ScoringModel(manifest, encoder, scorer, scorer is null ? engines : null)
        {
            TreeEvaluatorFallbackReason = scorer is null ? reason : null,
            MlNetLoadReason = treesReason,
            Explainer = explainer,
            Contributions = contributions,
            ExplainerUnavailableReason = explainer is null ? why : null,
        };
    }

    /// <summary>Scores one encoded row (<see cref="Encoder"/> makes them).</summary>
    public Prediction Predict(float[] features) => _trees is { } trees ? trees.Score(features) : _engines!.Score(features);

    /// <summary>Scores encoded rows (a batch walks the trees 16 rows at a time, or uses one PredictionEngine).</summary>
    public void Predict(IReadOnlyList<float[]> rows, Span<Prediction> results)
    {
        if (_trees is { } trees) trees.Score(rows, results);
        else _engines!.Score(rows, results);
    }
}
