using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Scoring;

namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// The tree ensembles whose raw outputs a model's scores come from: regression, the score itself; binary, the
/// margin before Platt calibration; multiclass (one-versus-all), one ensemble per class in class order.
/// </summary>
internal static class ModelTrees
{
    public static IReadOnlyList<RegressionTreeEnsemble>? Of(ITransformer model, string task, out string reason)
    {
        reason = "";
        switch (TreeScorer.Unwrap(model))
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
            case var other:
                reason = $"{task} model {other?.GetType().Name ?? model.GetType().Name} is not a LightGBM tree model";
                return null;
        }
    }
}
