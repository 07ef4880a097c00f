using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// Scores with <see cref="TreeEnsembleEvaluator"/> instead of a PredictionEngine, for the models it reproduces
/// exactly: LightGBM regression, and LightGBM binary with ML.NET's Platt calibrator. Stateless, so one instance
/// serves every thread and needs no pool. Anything else (multiclass, categorical splits, another trainer) gets
/// null and stays on PredictionEngine.
/// </summary>
internal abstract class TreeScorer
{
    private protected TreeScorer(TreeEnsembleEvaluator evaluator) => Evaluator = evaluator;

    public TreeEnsembleEvaluator Evaluator { get; }

    public abstract Prediction Score(float[] features);

    public static TreeScorer? TryCreate(ITransformer model, BundleManifest manifest, int vectorLength, out string reason)
    {
        if (Unwrap(model) is not { } predictor)
        {
            reason = $"not a single prediction transformer on {FeatureRow.FeaturesColumn} ({model.GetType().Name})";
            return null;
        }
        switch (manifest.Task)
        {
            case "regression" when predictor is LightGbmRegressionModelParameters regression:
            {
                var evaluator = TreeEnsembleEvaluator.TryCreate(regression.TrainedTreeEnsemble, vectorLength, out reason);
                return evaluator is null ? null : new Regression(evaluator);
            }
            case "binary" when predictor is CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> calibrated:
            {
                if (manifest.Classes is not { Count: 2 } classes)
                {
                    reason = "a binary bundle must list 2 classes";
                    return null;
                }
                var evaluator = TreeEnsembleEvaluator.TryCreate(calibrated.SubModel.TrainedTreeEnsemble, vectorLength, out reason);
                return evaluator is null ? null : new Binary(evaluator, calibrated.Calibrator, classes);
            }
            default:
                reason = $"{manifest.Task} model {predictor.GetType().Name} is not supported by the tree evaluator";
                return null;
        }
    }

    // MLContext.Model.Load may hand back the saved transformer itself or a one-element chain around it.
    private static object? Unwrap(ITransformer model)
    {
        if (model is TransformerChain<ITransformer> chain)
        {
            var parts = chain.ToList();
            if (parts.Count != 1) return null;
            model = parts[0];
        }
        return model is ISingleFeaturePredictionTransformer<object> prediction
               && prediction.FeatureColumnName == FeatureRow.FeaturesColumn
            ? prediction.Model
            : null;
    }

    private sealed class Regression(TreeEnsembleEvaluator evaluator) : TreeScorer(evaluator)
    {
        public override Prediction Score(float[] features) => new(Value: Evaluator.Evaluate(features));
    }

    private sealed class Binary(TreeEnsembleEvaluator evaluator, PlattCalibrator calibrator, IReadOnlyList<string> classes)
        : TreeScorer(evaluator)
    {
        public override Prediction Score(float[] features)
        {
            var score = Evaluator.Evaluate(features);
            // ML.NET's own calibrator object: the same formula and float rounding as the PredictionEngine.
            var probability = calibrator.PredictProbability(score);
            return Prediction.Binary(score, probability, classes);
        }
    }
}
