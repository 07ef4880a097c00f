using MlOps.Registry.Client.Jobs;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Live quality over labelled predictions, defined as the trainer's evaluation defines them so that live and
/// training figures compare: rmse and mae (regression); accuracy (label equals truth); auc (binary: the
/// positive class's probability, ties counted half); log_loss with probabilities clipped to [1e-15, 1],
/// in bits for binary and in nats for multiclass, as ML.NET's evaluators report them.
/// </summary>
public static class QualityMetrics
{
    public const string Rmse = "rmse";
    public const string Mae = "mae";
    public const string Accuracy = "accuracy";
    public const string Auc = "auc";
    public const string LogLoss = "log_loss";

    private const double Epsilon = 1e-15;

    /// <summary>The live metrics of a task, in the order they are reported.</summary>
    public static IReadOnlyList<string> For(string task) => task switch
    {
        TrainingTasks.Regression => [Rmse, Mae],
        TrainingTasks.Binary => [Accuracy, Auc, LogLoss],
        _ => [Accuracy, LogLoss],
    };

    public static bool LowerIsBetter(string metric) => metric is Rmse or Mae or LogLoss;

    /// <summary>Regression: (prediction, truth) pairs.</summary>
    public static Dictionary<string, double> Regression(IReadOnlyList<(double Predicted, double Truth)> rows)
    {
        if (rows.Count == 0) return [];
        double squared = 0, absolute = 0;
        foreach (var (p, t) in rows)
        {
            squared += (p - t) * (p - t);
            absolute += Math.Abs(p - t);
        }
        return new() { [Rmse] = Math.Sqrt(squared / rows.Count), [Mae] = absolute / rows.Count };
    }

    /// <summary>
    /// Classification: per row, whether the predicted label was right and the probability the model gave the true
    /// class; binary rows also carry the positive class's probability and whether the truth is positive.
    /// </summary>
    public static Dictionary<string, double> Classification(IReadOnlyList<ClassifiedRow> rows, bool binary)
    {
        if (rows.Count == 0) return [];
        double correct = 0, loss = 0;
        foreach (var row in rows)
        {
            if (row.Correct) correct++;
            var p = Math.Clamp(row.TruthProbability, Epsilon, 1);
            loss -= binary ? Math.Log2(p) : Math.Log(p);
        }
        var metrics = new Dictionary<string, double> { [Accuracy] = correct / rows.Count, [LogLoss] = loss / rows.Count };
        if (binary && AreaUnderCurve(rows) is { } auc) metrics[Auc] = auc;
        return metrics;
    }

    /// <summary>Mann-Whitney: the chance a positive row scores above a negative one (ties half); null without both classes.</summary>
    private static double? AreaUnderCurve(IReadOnlyList<ClassifiedRow> rows)
    {
        var sorted = rows.OrderBy(r => r.PositiveProbability).ToArray();
        long positives = sorted.Count(r => r.TruthPositive), negatives = sorted.Length - positives;
        if (positives == 0 || negatives == 0) return null;
        double rankSum = 0;
        for (var i = 0; i < sorted.Length;)
        {
            var j = i;
            while (j + 1 < sorted.Length && sorted[j + 1].PositiveProbability == sorted[i].PositiveProbability) j++;
            var averageRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++) if (sorted[k].TruthPositive) rankSum += averageRank;
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}

/// <summary>One labelled classification row (see <see cref="QualityMetrics.Classification"/>).</summary>
public readonly record struct ClassifiedRow(bool Correct, double TruthProbability, double PositiveProbability, bool TruthPositive);
