using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Promotion;

/// <summary>
/// Scores a model bundle, the way serving does, on a job's test split and computes the task's metrics. The gate
/// runs both the candidate and the alias holder through this one path, so they are compared on the same rows
/// with the same arithmetic.
/// </summary>
public static class BundleEvaluator
{
    /// <summary>Null when the bundle cannot score these rows (another task or label, or a feature the data lacks), with the reason.</summary>
    public static async Task<(IReadOnlyDictionary<string, double>? Metrics, string? Problem)> EvaluateAsync(Stream bundle, TrainingData data, CancellationToken ct)
    {
        var model = await ScoringModel.LoadAsync(bundle, ct);
        var manifest = model.Manifest;
        if (manifest.Task != data.Spec.Task || manifest.Label != data.Spec.Label)
            return (null, $"it is a {manifest.Task} model of '{manifest.Label}'");
        var sources = manifest.Features.Select(f => data.Column(f.Name)).ToArray();
        var absent = manifest.Features.Where((_, i) => sources[i] is null).Select(f => f.Name).ToList();
        if (absent.Count > 0) return (null, $"its feature(s) {string.Join(", ", absent)} are not in this dataset");

        var predictions = new Prediction[data.Test.Length];
        var vector = new float[model.Encoder.Length];
        for (var i = 0; i < data.Test.Length; i++)
        {
            var row = data.Test[i];
            model.Encoder.Reset(vector);
            for (var f = 0; f < sources.Length; f++)
            {
                // The holder may type a column otherwise than this job does: a number column's text is its
                // round-trip form, a coded column's number is parsed from its text (an error if it is none).
                if (manifest.Features[f].Kind == FeatureKind.Numeric) model.Encoder.SetNumeric(vector, f, sources[f]!.Number(row));
                else model.Encoder.SetCategorical(vector, f, sources[f]!.Text(row));
            }
            predictions[i] = model.Predict(vector);
        }
        return data.Spec.Task switch
        {
            TrainingTasks.Regression => (Regression(data, predictions), null),
            TrainingTasks.Binary => (Binary(data, predictions, manifest.Classes![1]), null),
            _ => (Multiclass(data, predictions), null),
        };
    }

    private static Dictionary<string, double> Regression(TrainingData data, Prediction[] predictions)
    {
        var truth = data.Test.Select(r => data.Labels[r]).ToArray();
        var mean = truth.Average();
        double squared = 0, absolute = 0, total = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            var error = truth[i] - (predictions[i].Value ?? double.NaN);
            squared += error * error;
            absolute += Math.Abs(error);
            total += (truth[i] - mean) * (truth[i] - mean);
        }
        return new()
        {
            [MetricNames.Rmse] = Math.Sqrt(squared / truth.Length),
            [MetricNames.Mae] = absolute / truth.Length,
            [MetricNames.R2] = total == 0 ? 0 : 1 - squared / total,
        };
    }

    private static Dictionary<string, double> Binary(TrainingData data, Prediction[] predictions, string modelPositive)
    {
        var positive = data.Test.Select(r => data.Classes![(int)data.Labels[r]] == modelPositive).ToArray();
        var probability = predictions.Select(p => p.ProbabilityOf(modelPositive) ?? 0).ToArray();
        int tp = 0, fp = 0, fn = 0, correct = 0;
        var logLoss = 0.0;
        for (var i = 0; i < positive.Length; i++)
        {
            var predicted = probability[i] >= 0.5;
            if (predicted == positive[i]) correct++;
            if (predicted && positive[i]) tp++;
            if (predicted && !positive[i]) fp++;
            if (!predicted && positive[i]) fn++;
            // Bits, as ML.NET's binary evaluator reports it.
            logLoss -= Math.Log2(Math.Clamp(positive[i] ? probability[i] : 1 - probability[i], 1e-15, 1));
        }
        return new()
        {
            [MetricNames.Auc] = Auc(positive, probability),
            [MetricNames.Accuracy] = correct / (double)positive.Length,
            [MetricNames.F1] = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn),
            [MetricNames.LogLoss] = logLoss / positive.Length,
        };
    }

    /// <summary>Area under the ROC curve as the Mann-Whitney statistic (ties count half).</summary>
    private static double Auc(bool[] positive, double[] score)
    {
        var order = Enumerable.Range(0, score.Length).OrderBy(i => score[i]).ToArray();
        var ranks = new double[score.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && score[order[end + 1]] == score[order[start]]) end++;
            for (var k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        double positives = positive.Count(p => p), negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0) return 0.5;
        var rankSum = ranks.Where((_, i) => positive[i]).Sum();
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }

    private static Dictionary<string, double> Multiclass(TrainingData data, Prediction[] predictions)
    {
        var classes = data.Classes!;
        var correct = new int[classes.Count];
        var count = new int[classes.Count];
        var logLoss = 0.0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var truth = (int)data.Labels[data.Test[i]];
            count[truth]++;
            if (predictions[i].Label == classes[truth]) correct[truth]++;
            var p = predictions[i].Probabilities?.GetValueOrDefault(classes[truth]) ?? 0;
            logLoss -= Math.Log(Math.Clamp(p, 1e-15, 1));
        }
        var micro = correct.Sum() / (double)predictions.Length;
        var present = Enumerable.Range(0, classes.Count).Where(k => count[k] > 0).ToList();
        return new()
        {
            [MetricNames.MicroAccuracy] = micro,
            [MetricNames.Accuracy] = micro,
            [MetricNames.MacroAccuracy] = present.Average(k => correct[k] / (double)count[k]),
            [MetricNames.LogLoss] = logLoss / predictions.Length,
        };
    }
}
