using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;

namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// The fallback for bundles without tree covers: ML.NET's FeatureContributionCalculator (unnormalized), per slot,
/// summed into input columns. For a tree model each slot's value is, per tree, the leaf the row reaches minus the leaf
/// it would reach had it gone the other way at the splits on that slot: a local sensitivity, NOT a Shapley value,
/// with no base value, and it does not add up to the raw score. ML.NET offers it for regression and binary models, not
/// for one-versus-all multiclass. PredictionEngines are not thread-safe, so they are pooled.
/// </summary>
public sealed class MlNetContributions
{
    /// <summary>The <c>method</c> an explanation by this class reports.</summary>
    public const string Method = "mlnet-feature-contribution";

    private readonly ObjectPool<PredictionEngine<FeatureRow, ContributionRow>> _engines;
    private readonly FeatureEncoder _encoder;

    private MlNetContributions(ObjectPool<PredictionEngine<FeatureRow, ContributionRow>> engines, FeatureEncoder encoder)
    {
        _engines = engines;
        _encoder = encoder;
    }

    public static MlNetContributions? TryCreate(MLContext ml, ITransformer model, BundleManifest manifest, out string reason)
    {
        try
        {
            var predictor = model is TransformerChain<ITransformer> chain && chain.Count() == 1 ? chain.Single() : model;
            if (predictor is not ISingleFeaturePredictionTransformer<ICalculateFeatureContribution> calculable)
            {
                reason = $"ML.NET has no feature contribution calculator for this {manifest.Task} model";
                return null;
            }
            var encoder = new FeatureEncoder(manifest.Features);
            var schema = FeatureRow.SchemaFor(encoder.Length);
            var empty = ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), schema);
            // Every slot, not the top k; raw differences, not scaled to [-1, 1].
            var calculator = ml.Transforms.CalculateFeatureContribution(calculable, encoder.Length, encoder.Length, normalize: false).Fit(empty);
            var engines = new DefaultObjectPool<PredictionEngine<FeatureRow, ContributionRow>>(
                new EnginePolicy(() => ml.Model.CreatePredictionEngine<FeatureRow, ContributionRow>(calculator, inputSchemaDefinition: schema)),
                Environment.ProcessorCount * 2);
            engines.Return(engines.Get()); // build one now: a failure shows at load, not on the first request
            reason = "";
            return new MlNetContributions(engines, encoder);
        }
        catch (Exception e)
        {
            reason = $"ML.NET's feature contribution calculator failed to build: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    /// <summary>Contributions of one encoded row, one per input column (its slots summed).</summary>
    public void Explain(float[] row, Span<double> perColumn)
    {
        perColumn.Clear();
        var engine = _engines.Get();
        try
        {
            var output = engine.Predict(new FeatureRow { Features = row });
            var slots = output.FeatureContributions;
            for (var s = 0; s < slots.Length && s < _encoder.Length; s++) perColumn[_encoder.ColumnOfSlot(s)] += slots[s];
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    /// <summary>The calculator's output column (ML.NET names it FeatureContributions).</summary>
    private sealed class ContributionRow
    {
        public float[] FeatureContributions { get; set; } = [];
    }

    private sealed class EnginePolicy(Func<PredictionEngine<FeatureRow, ContributionRow>> create) : PooledObjectPolicy<PredictionEngine<FeatureRow, ContributionRow>>
    {
        public override PredictionEngine<FeatureRow, ContributionRow> Create() => create();

        public override bool Return(PredictionEngine<FeatureRow, ContributionRow> obj) => true;
    }
}
