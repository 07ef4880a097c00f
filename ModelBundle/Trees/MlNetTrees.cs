using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Scoring;

namespace MlOps.ModelBundle.Trees;

/// <summary>
/// Reads a loaded ML.NET LightGBM model into plain trees (<see cref="DecisionTree"/>, <see cref="TreeModel"/>):
/// the one place that knows ML.NET's model classes. Semantics as ML.NET 5 evaluates them
/// (InternalTreeEnsemble.GetOutput / InternalRegressionTree.GetLeaf): an ensemble's output is the double sum of its
/// leaf values in tree order (no tree weight, no bias: an ensemble where they would matter is refused, so a future
/// ML.NET that uses them cannot silently differ); a NaN value takes the node's DefaultValueForMissing, but only in
/// trees where that array is not all zeros (ML.NET drops an all-zero array, and then NaN goes right).
/// </summary>
public static class MlNetTrees
{
    /// <summary>
    /// The tree ensembles a model's raw outputs come from: regression, the score itself; binary, the margin before
    /// Platt calibration; multiclass (one-versus-all), one per class in class order. Null with the reason otherwise;
    /// never throws (some of what it reads is ML.NET's internals, by reflection).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<DecisionTree>>? Ensembles(ITransformer model, string task, out string reason)
    {
        try
        {
            return ReadEnsembles(model, task, out reason);
        }
        catch (Exception e)
        {
            reason = $"cannot read the model's trees: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    private static IReadOnlyList<IReadOnlyList<DecisionTree>>? ReadEnsembles(ITransformer model, string task, out string reason)
    {
        var raw = RawEnsembles(model, task, out reason);
        if (raw is null) return null;
        var ensembles = new List<IReadOnlyList<DecisionTree>>(raw.Count);
        foreach (var ensemble in raw)
        {
            if (ensemble.Bias != 0)
            {
                reason = $"ensemble bias {ensemble.Bias} is not supported";
                return null;
            }
            if (ensemble.TreeWeights.Any(w => w != 1.0))
            {
                reason = $"tree weight {ensemble.TreeWeights.First(w => w != 1.0)} is not supported";
                return null;
            }
            var trees = new List<DecisionTree>(ensemble.Trees.Count);
            for (var t = 0; t < ensemble.Trees.Count; t++)
            {
                if (Read(ensemble.Trees[t], out reason) is not { } tree)
                {
                    reason = $"tree {t}: {reason}";
                    return null;
                }
                trees.Add(tree);
            }
            ensembles.Add(trees);
        }
        return ensembles;
    }

    /// <summary>
    /// What turns the <see cref="Ensembles"/>' outputs into ML.NET's predictions: none for regression, the Platt
    /// calibrator of a binary model, one per class of a multiclass model that normalizes their probabilities. Null
    /// with the reason when the tree evaluator does not reproduce the model (raw or softmax multiclass scores);
    /// never throws.
    /// </summary>
    public static IReadOnlyList<PlattSigmoid>? Calibrators(ITransformer model, out string reason)
    {
        reason = "";
        try
        {
            IReadOnlyList<PlattSigmoid>? calibrators = Unwrap(model) switch
            {
                LightGbmRegressionModelParameters => [],
                CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> binary => [Sigmoid(binary.Calibrator)],
                OneVersusAllModelParameters ova when OneVersusAllParts.NormalizesProbabilities(ova) => OneVersusAllParts.SubModels(ova).Select(m => Sigmoid(m.Calibrator)).ToList(),
                _ => null,
            };
            if (calibrators is null) reason = "multiclass model does not normalize per-class probabilities (raw or softmax scores)";
            return calibrators;
        }
        catch (Exception e)
        {
            reason = $"cannot read the model's calibrators: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    private static PlattSigmoid Sigmoid(PlattCalibrator calibrator) => new(calibrator.Slope, calibrator.Offset);

    private static IReadOnlyList<RegressionTreeEnsemble>? RawEnsembles(ITransformer model, string task, out string reason)
    {
        reason = "";
        switch (Unwrap(model))
        {
            case LightGbmRegressionModelParameters regression when task == "regression":
                return [regression.TrainedTreeEnsemble];
            case CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> binary when task == "binary":
                return [binary.SubModel.TrainedTreeEnsemble];
            case OneVersusAllModelParameters ova when task == "multiclass":
                var perClass = OneVersusAllParts.SubModels(ova);
                if (perClass.Count > 0) return perClass.Select(m => m.SubModel.TrainedTreeEnsemble).ToList();
                reason = "the multiclass model's per-class models are not calibrated LightGBM ensembles";
                return null;
            case null:
                reason = $"not a single prediction transformer on {FeatureRow.FeaturesColumn} ({model.GetType().Name})";
                return null;
            case var other:
                reason = $"{task} model {other.GetType().Name} is not a LightGBM tree model";
                return null;
        }
    }

    private static DecisionTree? Read(RegressionTree tree, out string reason)
    {
        var splits = tree.NumberOfNodes;
        if (splits == 0)
        {
            // InternalRegressionTree.GetOutput returns 0 for a tree without splits.
            reason = "";
            return new DecisionTree([], [], [], [], [], [0]);
        }
        if (!TryReadDefaults(tree, out var defaults))
        {
            reason = "cannot read ML.NET's missing-value defaults (InternalRegressionTree.DefaultValueForMissing)";
            return null;
        }
        if (defaults is not null && defaults.Length < splits)
        {
            reason = $"{defaults.Length} missing-value defaults for {splits} nodes";
            return null;
        }
        if (Enumerable.Range(0, splits).Any(n => tree.CategoricalSplitFlags[n]))
        {
            reason = "a categorical split";
            return null;
        }
        reason = "";
        return new DecisionTree(
            Feature: tree.NumericalSplitFeatureIndexes.ToArray(),
            Threshold: tree.NumericalSplitThresholds.ToArray(),
            Missing: defaults is null ? Enumerable.Repeat(float.NaN, splits).ToArray() : defaults[..splits],
            Left: tree.LeftChild.ToArray(),
            Right: tree.RightChild.ToArray(),
            LeafValues: tree.LeafValues.ToArray());
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

    // The public RegressionTree does not expose DefaultValueForMissing, which decides where NaN goes; read it from
    // the wrapped InternalRegressionTree. Null result = ML.NET keeps NaN as is (the array was absent or all zeros).
    private static readonly FieldInfo? TreeField =
        typeof(RegressionTreeBase).GetField("_tree", BindingFlags.Instance | BindingFlags.NonPublic);

    private static bool TryReadDefaults(RegressionTreeBase tree, out float[]? defaults)
    {
        defaults = null;
        var inner = TreeField?.GetValue(tree);
        var field = inner?.GetType().GetField("DefaultValueForMissing", BindingFlags.Instance | BindingFlags.Public);
        if (field is null || field.FieldType != typeof(float[])) return false;
        defaults = (float[]?)field.GetValue(inner);
        return true;
    }
}
