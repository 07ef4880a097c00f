using System.Buffers;
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
    private protected TreeScorer(TreeEnsembleEvaluator evaluator) => Evaluator = evaluator;

    /// <summary>The model's ensemble, or its ensembles (multiclass: one per class, one output each).</summary>
    public TreeEnsembleEvaluator Evaluator { get; }

    public Prediction Score(float[] features)
    {
        // The trainer allows 100 classes; a bundle from elsewhere could list more than the stack should hold.
        var count = Evaluator.OutputCount;
        Span<float> outputs = count <= 256 ? stackalloc float[count] : new float[count];
        Evaluator.Evaluate(features, outputs);
        return FromOutputs(outputs);
    }

    /// <summary>
    /// Scores rows: whole blocks of <see cref="TreeEnsembleEvaluator.BlockRows"/> tree-major
    /// (<see cref="TreeEnsembleEvaluator.EvaluateBlock"/>), the rest one by one (a block walks all its lanes whatever
    /// its row count: one row in a block costs as much as 16 alone). The same results as <see cref="Score(float[])"/>
    /// row by row, to the bit.
    /// </summary>
    public void Score(IReadOnlyList<float[]> rows, Span<Prediction> results)
    {
        const int Block = TreeEnsembleEvaluator.BlockRows;
        var start = 0;
        if (rows.Count >= Block)
        {
            var evaluator = Evaluator;
            var count = evaluator.OutputCount;
            var perBlock = Block * count;
            float[]? rentedOutputs = null, rentedScratch = null;
            var outputs = perBlock <= 4096 ? stackalloc float[perBlock] : (rentedOutputs = ArrayPool<float>.Shared.Rent(perBlock));
            var scratchLength = evaluator.BlockScratchLength;
            var scratch = scratchLength <= 8192 ? stackalloc float[scratchLength] : (rentedScratch = ArrayPool<float>.Shared.Rent(scratchLength));
            try
            {
                for (; start + Block <= rows.Count; start += Block)
                {
                    evaluator.EvaluateBlock(rows, start, outputs, scratch);
                    for (var r = 0; r < Block; r++) results[start + r] = FromOutputs(outputs.Slice(r * count, count));
                }
            }
            finally
            {
                if (rentedOutputs is not null) ArrayPool<float>.Shared.Return(rentedOutputs);
                if (rentedScratch is not null) ArrayPool<float>.Shared.Return(rentedScratch);
            }
        }
        for (; start < rows.Count; start++) results[start] = Score(rows[start]);
    }

    /// <summary>The prediction from one row's raw ensemble outputs (may overwrite them).</summary>
    private protected abstract Prediction FromOutputs(Span<float> outputs);

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
                var evaluator = TreeEnsembleEvaluator.TryCreate([regression.TrainedTreeEnsemble], vectorLength, out reason);
                return evaluator is null ? null : new Regression(evaluator);
            }
            case "binary" when predictor is CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> calibrated:
            {
                if (manifest.Classes is not { Count: 2 } classes)
                {
                    reason = "a binary bundle must list 2 classes";
                    return null;
                }
                var evaluator = TreeEnsembleEvaluator.TryCreate([calibrated.SubModel.TrainedTreeEnsemble], vectorLength, out reason);
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
    internal static object? Unwrap(ITransformer model)
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
        private protected override Prediction FromOutputs(Span<float> outputs) => new(Value: outputs[0]);
    }

    private sealed class Binary(TreeEnsembleEvaluator evaluator, PlattCalibrator calibrator, IReadOnlyList<string> classes)
        : TreeScorer(evaluator)
    {
        private protected override Prediction FromOutputs(Span<float> outputs)
        {
            var score = outputs[0];
            // ML.NET's own calibrator object: the same formula and float rounding as the PredictionEngine.
            var probability = calibrator.PredictProbability(score);
            return Prediction.Binary(score, probability, classes);
        }
    }

    private sealed class Multiclass(TreeEnsembleEvaluator evaluator, PlattCalibrator[] calibrators, IReadOnlyList<string> classes)
        : TreeScorer(evaluator)
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
            // All classes' trees in one evaluator: walked together, grouped by depth across classes.
            var evaluator = TreeEnsembleEvaluator.TryCreate(perClass.Select(m => m.SubModel.TrainedTreeEnsemble).ToList(), vectorLength, out reason);
            return evaluator is null ? null : new Multiclass(evaluator, perClass.Select(m => m.Calibrator).ToArray(), classes);
        }

        private protected override Prediction FromOutputs(Span<float> probabilities)
        {
            // OneVersusAllModelParameters.ImplDist: each class's calibrated probability (ML.NET's calibrator objects,
            // as Binary), negatives and NaN left out of a double sum, negatives set to 0, each divided by the sum
            // (as doubles, rounded to float) when it is positive.
            // The raw class scores come in, the probabilities replace them.
            var sum = 0.0;
            for (var k = 0; k < probabilities.Length; k++)
            {
                var p = calibrators[k].PredictProbability(probabilities[k]);
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
