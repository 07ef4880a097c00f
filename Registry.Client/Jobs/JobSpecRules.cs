using System.Globalization;

namespace MlOps.Registry.Client.Jobs;

/// <summary>One trainer parameter's valid values (docs/job-spec.md lists the same table).</summary>
public sealed record TrainerParamRange(string Name, double Min, double Max, bool Integer, bool MinExclusive = false)
{
    /// <summary>Why <paramref name="value"/> is not valid here, or null.</summary>
    public string? Check(double value, string field)
    {
        var ok = double.IsFinite(value) && (MinExclusive ? value > Min : value >= Min) && value <= Max
                 && (!Integer || value == Math.Floor(value));
        return ok ? null : $"{field} must be {Describe()}, not {value.ToString("R", CultureInfo.InvariantCulture)}.";
    }

    public string Describe()
    {
        var low = Min.ToString(CultureInfo.InvariantCulture);
        var high = Max >= int.MaxValue ? "" : Max.ToString(CultureInfo.InvariantCulture);
        var range = high.Length == 0 ? (MinExclusive ? $"> {low}" : $">= {low}") : MinExclusive ? $"in ({low}, {high}]" : $"in [{low}, {high}]";
        return (Integer ? "an integer " : "a number ") + range;
    }
}

/// <summary>
/// The spec rules that need no dataset: checked by the registry at submit (a 400 naming the field) and again by the
/// worker at lease, so a spec is never accepted and only refused once it runs. Rules that need the data (the label
/// is a column, 10 labelled rows, 2 classes for binary...) can only run in the worker.
/// </summary>
public static class JobSpecRules
{
    public const int MaxAttemptsLimit = 20;
    public const int MaxSweepTrials = 50;
    public const int MinLabelledRows = 10;

    public static readonly IReadOnlyList<TrainerParamRange> TrainerRanges =
    [
        new("numberOfIterations", 1, 100_000, Integer: true),
        new("numberOfLeaves", 2, 131_072, Integer: true),
        new("learningRate", 0, 1, Integer: false, MinExclusive: true),
        new("minimumExampleCountPerLeaf", 1, int.MaxValue, Integer: true),
        new("l2Regularization", 0, double.MaxValue, Integer: false),
        new("featureFraction", 0, 1, Integer: false, MinExclusive: true),
        new("subsampleFraction", 0, 1, Integer: false, MinExclusive: true),
        new("maxBinCountPerFeature", 2, 65_535, Integer: true),
        new("maximumTreeDepth", 0, 1_000, Integer: true),
    ];

    /// <summary>LightGBM threads: a setting of the spec, not a hyper-parameter a sweep may vary.</summary>
    public static readonly TrainerParamRange ThreadsRange = new("numberOfThreads", 1, 64, Integer: true);

    /// <summary>The metrics a task's evaluation reports, i.e. what a gate may compare.</summary>
    public static IReadOnlyList<string> GateMetrics(string task) => task switch
    {
        TrainingTasks.Regression => ["rmse", "mae", "r2"],
        TrainingTasks.Binary => ["auc", "accuracy", "f1", "log_loss"],
        _ => ["micro_accuracy", "macro_accuracy", "accuracy", "log_loss"],
    };

    /// <summary>The first broken range or combination in <paramref name="spec"/>, or null.</summary>
    public static string? Check(TrainingJobSpec spec)
    {
        if (spec.MaxAttempts is < 1 or > MaxAttemptsLimit)
        {
            return $"spec.maxAttempts must be an integer in [1, {MaxAttemptsLimit}], not {spec.MaxAttempts}.";
        }
        if (spec.Trainer is { } trainer && Trainer(trainer, "spec.trainer") is { } trainerError)
        {
            return trainerError;
        }
        if (spec.Features is { } features)
        {
            if (features.Count == 0)
            {
                return "spec.features is empty: leave it out to use every column but the label.";
            }
            if (features.Distinct(StringComparer.Ordinal).Count() != features.Count)
            {
                return "spec.features lists a column twice.";
            }
            if (features.Contains(spec.Label, StringComparer.Ordinal))
            {
                return $"spec.features lists the label '{spec.Label}'.";
            }
        }
        if (spec.PositiveClass is not null && spec.Task != TrainingTasks.Binary)
        {
            return "spec.positiveClass is for task binary only.";
        }
        if (spec.Split is { } split && (!double.IsFinite(split.TestFraction) || split.TestFraction is <= 0 or >= 1))
        {
            return $"spec.split.testFraction must be a number in (0, 1), not {split.TestFraction.ToString("R", CultureInfo.InvariantCulture)}.";
        }
        if (spec.Sweep is { } sweep && Sweep(sweep) is { } sweepError)
        {
            return sweepError;
        }
        if (spec.Register?.Gate is { } gate)
        {
            if (!GateMetrics(spec.Task).Contains(gate.Metric))
            {
                return $"spec.register.gate.metric '{gate.Metric}' is not a {spec.Task} metric (one of {string.Join(", ", GateMetrics(spec.Task))}).";
            }
            if (!double.IsFinite(gate.MinImprovement) || gate.MinImprovement < 0)
            {
                return "spec.register.gate.minImprovement must be a number >= 0.";
            }
        }
        return null;
    }

    public static string? Trainer(TrainerParams p, string prefix)
    {
        (double? Value, TrainerParamRange Range)[] values =
        [
            (p.NumberOfIterations, TrainerRanges[0]), (p.NumberOfLeaves, TrainerRanges[1]), (p.LearningRate, TrainerRanges[2]),
            (p.MinimumExampleCountPerLeaf, TrainerRanges[3]), (p.L2Regularization, TrainerRanges[4]), (p.FeatureFraction, TrainerRanges[5]),
            (p.SubsampleFraction, TrainerRanges[6]), (p.MaxBinCountPerFeature, TrainerRanges[7]), (p.MaximumTreeDepth, TrainerRanges[8]),
            (p.NumberOfThreads, ThreadsRange),
        ];
        foreach (var (value, range) in values)
        {
            if (value is { } v && range.Check(v, $"{prefix}.{range.Name}") is { } error)
            {
                return error;
            }
        }
        return null;
    }

    public static string? Sweep(SweepSpec sweep)
    {
        if (sweep.Strategy is not ("grid" or "random"))
        {
            return $"spec.sweep.strategy must be grid or random, not '{sweep.Strategy}'.";
        }
        if (sweep.Space.Count == 0)
        {
            return "spec.sweep.space is empty.";
        }
        if (sweep.Trials is < 1 or > MaxSweepTrials)
        {
            return $"spec.sweep.trials must be an integer in [1, {MaxSweepTrials}], not {sweep.Trials}.";
        }
        long grid = 1;
        foreach (var (name, values) in sweep.Space)
        {
            var range = TrainerRanges.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            if (range is null)
            {
                return $"spec.sweep.space.{name} is not a trainer parameter (one of {string.Join(", ", TrainerRanges.Select(r => r.Name))}).";
            }
            if (values.Count == 0)
            {
                return $"spec.sweep.space.{name} has no values.";
            }
            for (var i = 0; i < values.Count; i++)
            {
                if (range.Check(values[i], $"spec.sweep.space.{name}[{i}]") is { } error)
                {
                    return error;
                }
            }
            grid = Math.Min(grid * values.Count, long.MaxValue / 1000);
        }
        if (sweep.Strategy == "grid" && sweep.Trials is null && grid > MaxSweepTrials)
        {
            return $"spec.sweep: the grid has {grid} combinations; at most {MaxSweepTrials} are allowed (set trials to bound it).";
        }
        return null;
    }
}
