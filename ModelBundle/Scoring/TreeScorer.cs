using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// Scores with <see cref="TreeEnsembleEvaluator"/> instead of a PredictionEngine, for the models it reproduces
/// exactly: LightGBM regression, LightGBM binary with ML.NET's Platt calibrator, and LightGBM multiclass as ML.NET
/// reloads it (one-versus-all: per-class Platt probabilities normalized to sum 1). Stateless, so one instance
/// serves every thread and needs no pool. Anything else (raw or softmax multiclass scores, categorical splits,
/// another trainer) gets null and stays on PredictionEngine.
/// </summary>
internal abstract class TreeScorer
{
    private protected TreeScorer(params IReadOnlyList<TreeEnsembleEvaluator> evaluators) => Evaluators = evaluators;

    /// <summary>The model's ensembles: one, or one per class (multiclass).</summary>
    public IReadOnlyList<TreeEnsembleEvaluator> Evaluators { get; }

    /// <summary>The first ensemble: the only one of a regression or binary model.</summary>
    private protected TreeEnsembleEvaluator Evaluator => Evaluators[0];

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
            case "multiclass" when predictor is OneVersusAllModelParameters ova:
                return Multiclass.TryCreate(ova, manifest, vectorLength, out reason);
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

    private sealed class Multiclass(TreeEnsembleEvaluator[] evaluators, PlattCalibrator[] calibrators, IReadOnlyList<string> classes)
        : TreeScorer(evaluators)
    {
        public static Multiclass? TryCreate(OneVersusAllModelParameters ova, BundleManifest manifest, int vectorLength, out string reason)
        {
            if (!OneVersusAllParts.NormalizesProbabilities(ova))
            {
                reason = "multiclass model does not normalize per-class probabilities (raw or softmax scores)";
                return null;
            }
            var perClass = OneVersusAllParts.SubModels(ova);
            if (manifest.Classes is not { Count: >= 2 } classes || perClass.Count != classes.Count)
            {
                reason = $"multiclass model has {perClass.Count} calibrated LightGBM class models for {manifest.Classes?.Count ?? 0} bundle classes";
                return null;
            }
            var evaluators = new TreeEnsembleEvaluator[perClass.Count];
            for (var k = 0; k < evaluators.Length; k++)
            {
                if (TreeEnsembleEvaluator.TryCreate(perClass[k].SubModel.TrainedTreeEnsemble, vectorLength, out reason) is not { } evaluator)
                {
                    reason = $"class {classes[k]}: {reason}";
                    return null;
                }
                evaluators[k] = evaluator;
            }
            reason = "";
            return new Multiclass(evaluators, perClass.Select(m => m.Calibrator).ToArray(), classes);
        }

        public override Prediction Score(float[] features)
        {
            // OneVersusAllModelParameters.ImplDist: each class's calibrated probability (ML.NET's calibrator objects,
            // as Binary), negatives and NaN left out of a double sum, negatives set to 0, each divided by the sum
            // (as doubles, rounded to float) when it is positive.
            Span<float> probabilities = stackalloc float[evaluators.Length];
            var sum = 0.0;
            for (var k = 0; k < probabilities.Length; k++)
            {
                var p = calibrators[k].PredictProbability(evaluators[k].Evaluate(features));
                if (float.IsNaN(p)) { probabilities[k] = p; continue; }
                if (p >= 0) sum += p;
                else p = 0;
                probabilities[k] = p;
            }
            if (sum > 0)
                for (var k = 0; k < probabilities.Length; k++) probabilities[k] = (float)(probabilities[k] / sum);
            return Prediction.Multiclass(probabilities, classes);
        }
    }
}
