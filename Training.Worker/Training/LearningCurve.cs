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
        // outputs[ensemble][row][tree]
        var outputs = fitted.Ensembles.Select(e => TreeOutputs(ml, e, test)).ToList();
        var iterations = outputs.Min(o => o.Count == 0 ? 0 : o[0].Length);
        if (iterations == 0) return [];
        var rows = data.Test.Length;
        var raw = new double[outputs.Count, rows];
        var points = new List<LearningCurvePoint>();
        var every = Math.Max(1, (int)Math.Ceiling(iterations / (double)MaxPoints));
        for (var t = 0; t < iterations; t++)
        {
            for (var k = 0; k < outputs.Count; k++)
                for (var r = 0; r < rows; r++) raw[k, r] += outputs[k][r][t];
            if ((t + 1) % every != 0 && t + 1 != iterations) continue;
            var (key, value) = data.Spec.Task switch
            {
                TrainingTasks.Regression => (MetricNames.Rmse, Rmse(data, raw)),
                TrainingTasks.Binary => (MetricNames.LogLoss, BinaryLogLoss(data, raw, fitted)),
                _ => (MetricNames.LogLoss, MulticlassLogLoss(data, raw, fitted)),
            };
            points.Add(new LearningCurvePoint(MetricNames.LearningCurvePrefix + key, t + 1, value));
        }
        return points;
    }

    private static List<float[]> TreeOutputs(MLContext ml, TreeEnsembleModelParameters ensemble, IDataView test)
    {
        var featurizer = ml.Transforms.FeaturizeByPretrainTreeEnsemble(new PretrainedTreeFeaturizationEstimator.Options
        {
            InputColumnName = "Features",
            ModelParameters = ensemble,
            TreesColumnName = "Trees",
            LeavesColumnName = null,
            PathsColumnName = null,
        });
        var transformed = featurizer.Fit(test).Transform(test);
        return transformed.GetColumn<VBuffer<float>>("Trees").Select(v => v.DenseValues().ToArray()).ToList();
    }

    private static double Rmse(TrainingData data, double[,] raw)
    {
        var sum = 0.0;
        for (var r = 0; r < data.Test.Length; r++)
        {
            var error = data.Labels[data.Test[r]] - raw[0, r];
            sum += error * error;
        }
        return Math.Sqrt(sum / data.Test.Length);
    }

    // Probabilities are clipped as ML.NET's evaluators do, so the last point matches the logged log_loss.
    private const double Epsilon = 1e-15;

    // ML.NET's binary evaluator reports log-loss in bits (log2); its multiclass one in nats.
    private static double BinaryLogLoss(TrainingData data, double[,] raw, ModelTrainer.Fitted fitted)
    {
        var loss = 0.0;
        for (var r = 0; r < data.Test.Length; r++)
        {
            var p = (double)fitted.Calibrators[0].PredictProbability((float)raw[0, r]);
            var positive = data.Labels[data.Test[r]] == 1;
            loss -= Math.Log2(Math.Clamp(positive ? p : 1 - p, Epsilon, 1));
        }
        return loss / data.Test.Length;
    }

    /// <summary>
    /// ML.NET's LightGBM multiclass model is one-versus-all: each class's calibrated probability, normalized over
    /// the classes (checked: the last point equals the evaluator's log-loss). In nats, as that evaluator reports.
    /// </summary>
    private static double MulticlassLogLoss(TrainingData data, double[,] raw, ModelTrainer.Fitted fitted)
    {
        var classes = raw.GetLength(0);
        var loss = 0.0;
        for (var r = 0; r < data.Test.Length; r++)
        {
            var total = 0.0;
            for (var k = 0; k < classes; k++) total += fitted.Calibrators[k].PredictProbability((float)raw[k, r]);
            var truth = (int)data.Labels[data.Test[r]];
            var p = total > 0 ? fitted.Calibrators[truth].PredictProbability((float)raw[truth, r]) / total : 0;
            loss -= Math.Log(Math.Clamp(p, Epsilon, 1));
        }
        return loss / data.Test.Length;
    }
}
