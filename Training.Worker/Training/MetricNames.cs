namespace MlOps.Training.Worker.Training;

/// <summary>Metric keys logged to runs and model versions, and usable as a gate metric.</summary>
public static class MetricNames
{
    public const string Rmse = "rmse";
    public const string Mae = "mae";
    public const string R2 = "r2";
    public const string Auc = "auc";
    public const string Accuracy = "accuracy";
    public const string F1 = "f1";
    public const string LogLoss = "log_loss";
    public const string MacroAccuracy = "macro_accuracy";
    public const string MicroAccuracy = "micro_accuracy";

    /// <summary>Prefix of the per-iteration test-split metric (step = boosting iteration).</summary>
    public const string LearningCurvePrefix = "learning_curve.";

    /// <summary>Prefix of the per-column share of LightGBM's split gain.</summary>
    public const string ImportancePrefix = "feature_importance.";

    private static readonly HashSet<string> LowerBetter = new(StringComparer.OrdinalIgnoreCase) { Rmse, Mae, LogLoss, "logloss", "mse" };

    public static bool LowerIsBetter(string metric) => LowerBetter.Contains(metric);

    /// <summary>The metrics a task's evaluation reports.</summary>
    public static IReadOnlyList<string> ForTask(string task) => Registry.Client.Jobs.JobSpecRules.GateMetrics(task);

    /// <summary>The gate metric when the spec names none.</summary>
    public static string DefaultFor(string task) => task switch
    {
        "regression" => Rmse,
        "binary" => Auc,
        _ => MicroAccuracy,
    };

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="incumbent"/> by at least <paramref name="minImprovement"/>.</summary>
    public static bool Beats(string metric, double candidate, double incumbent, double minImprovement) =>
        LowerIsBetter(metric) ? incumbent - candidate >= minImprovement : candidate - incumbent >= minImprovement;
}
