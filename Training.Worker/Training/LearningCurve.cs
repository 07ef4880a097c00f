using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// Test-split metric after each boosting iteration. ML.NET's LightGBM wrapper keeps its per-iteration evaluation
/// internal (a progress channel MLContext does not expose), so the curve is rebuilt from the trained trees: the
/// tree featurizer gives each tree's output per row, and partial sums are the model's score after k iterations.
/// </summary>
internal static class LearningCurve
{
    private const int MaxPoints = 1000;

    public static IReadOnlyList<LearningCurvePoint> Compute(MLContext ml, TrainingData data, ModelTrainer.Fitted fitted, IDataView test)
    {
        // One pass over the test rows with every ensemble's per-tree outputs side by side; each row's partial sums
        // are added, row after row, to each step's loss total, so memory is one row's trees, not rows x trees.
        IDataView view = test;
        for (var k = 0; k < fitted.Ensembles.Count; k++) view = Featurize(ml, fitted.Ensembles[k], "Trees" + k, view);
        var columns = Enumerable.Range(0, fitted.Ensembles.Count).Select(k => view.Schema["Trees" + k]).ToArray();
        var iterations = columns.Min(c => ((VectorDataViewType)c.Type).Size);
        if (iterations == 0) return [];
        var every = Math.Max(1, (int)Math.Ceiling(iterations / (double)MaxPoints));
        var steps = Enumerable.Range(1, iterations).Where(t => t % every == 0 || t == iterations).ToArray();
        var totals = new double[steps.Length];
        var raw = new double[fitted.Ensembles.Count];
        using (var cursor = view.GetRowCursor(columns))
        {
            var getters = columns.Select(cursor.GetGetter<VBuffer<float>>).ToArray();
            var trees = new VBuffer<float>[columns.Length];
            var r = 0;
            while (cursor.MoveNext())
            {
                for (var k = 0; k < getters.Length; k++) getters[k](ref trees[k]);
                Array.Clear(raw);
                var t = 0;
                for (var s = 0; s < steps.Length; s++)
                {
                    for (; t < steps[s]; t++)
                        for (var k = 0; k < raw.Length; k++) raw[k] += trees[k].GetItemOrDefault(t);
                    totals[s] += data.Spec.Task switch
                    {
                        TrainingTasks.Regression => SquaredError(data, r, raw),
                        TrainingTasks.Binary => BinaryLogLoss(data, r, raw, fitted),
                        _ => MulticlassLogLoss(data, r, raw, fitted),
                    };
                }
                r++;
            }
        }
        var key = data.Spec.Task == TrainingTasks.Regression ? MetricNames.Rmse : MetricNames.LogLoss;
        return steps.Select((step, s) => new LearningCurvePoint(MetricNames.LearningCurvePrefix + key, step,
            data.Spec.Task == TrainingTasks.Regression ? Math.Sqrt(totals[s] / data.Test.Length) : totals[s] / data.Test.Length)).ToList();
    }

    private static IDataView Featurize(MLContext ml, TreeEnsembleModelParameters ensemble, string column, IDataView input) =>
        ml.Transforms.FeaturizeByPretrainTreeEnsemble(new PretrainedTreeFeaturizationEstimator.Options
        {
            InputColumnName = "Features",
            ModelParameters = ensemble,
            TreesColumnName = column,
            LeavesColumnName = null,
            PathsColumnName = null,
        }).Fit(input).Transform(input);

    private static double SquaredError(TrainingData data, int r, double[] raw)
    {
        var error = data.Labels[data.Test[r]] - raw[0];
        return error * error;
    }

    // Probabilities are clipped as ML.NET's evaluators do, so the last point matches the logged log_loss.
    private const double Epsilon = 1e-15;

    // ML.NET's binary evaluator reports log-loss in bits (log2); its multiclass one in nats.
    private static double BinaryLogLoss(TrainingData data, int r, double[] raw, ModelTrainer.Fitted fitted)
    {
        var p = (double)fitted.Calibrators[0].PredictProbability((float)raw[0]);
        var positive = data.Labels[data.Test[r]] == 1;
        return -Math.Log2(Math.Clamp(positive ? p : 1 - p, Epsilon, 1));
    }

    /// <summary>
    /// ML.NET's LightGBM multiclass model is one-versus-all: each class's calibrated probability, normalized over
    /// the classes (checked: the last point equals the evaluator's log-loss). In nats, as that evaluator reports.
    /// </summary>
    private static double MulticlassLogLoss(TrainingData data, int r, double[] raw, ModelTrainer.Fitted fitted)
    {
        var total = 0.0;
        for (var k = 0; k < raw.Length; k++) total += fitted.Calibrators[k].PredictProbability((float)raw[k]);
        var truth = (int)data.Labels[data.Test[r]];
        var p = total > 0 ? fitted.Calibrators[truth].PredictProbability((float)raw[truth]) / total : 0;
        return -Math.Log(Math.Clamp(p, Epsilon, 1));
    }
}
