using System.Reflection;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// What ML.NET keeps internal in a LightGBM multiclass model (OneVersusAllModelParameters): its per-class models
/// (one calibrated tree ensemble per class, which the training worker's importance and learning curve and the tree
/// evaluator need) and how it turns them into class scores. Read by reflection: empty / false if ML.NET renames it.
/// </summary>
public static class OneVersusAllParts
{
    private static readonly PropertyInfo? SubModelsProperty =
        typeof(OneVersusAllModelParameters).GetProperty("SubModelParameters", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private static readonly FieldInfo? ImplField =
        typeof(OneVersusAllModelParameters).GetField("_impl", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>The per-class models in class order; empty when they are not calibrated LightGBM ensembles.</summary>
    public static IReadOnlyList<CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator>> SubModels(OneVersusAllModelParameters model)
    {
        if (SubModelsProperty?.GetValue(model) is not System.Collections.IEnumerable parts) return [];
        var all = parts.Cast<object>().ToList();
        var calibrated = all.OfType<CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator>>().ToList();
        return calibrated.Count == all.Count ? calibrated : [];
    }

    /// <summary>
    /// Whether the model scores classes by ML.NET's "ProbabilityNormalization" (OneVersusAllModelParameters.ImplDist):
    /// each class's calibrated probability, negatives clamped to 0, divided by their sum. This is what the trainer
    /// produces below 50,000 training rows, and what a saved model reloads as unless it has no probabilities
    /// (ImplRaw: raw per-class scores; a softmax model, trained on 50,000 rows or more, is saved without its
    /// softmax flag and reloads as ImplRaw too).
    /// </summary>
    public static bool NormalizesProbabilities(OneVersusAllModelParameters model) =>
        ImplField?.GetValue(model)?.GetType().Name == "ImplDist";
}
