using System.Text.Json.Serialization;

namespace MlOps.Registry.Client.Jobs;

/// <summary>What a training job trains: the JSON document submitted to POST /api/v1/jobs and checked in under samples/.</summary>
public sealed record TrainingJobSpec(
    string Experiment,
    DatasetRef Dataset,
    /// <summary><c>regression</c>, <c>binary</c> or <c>multiclass</c> (see <see cref="TrainingTasks"/>).</summary>
    string Task,
    string Label,
    /// <summary>Feature columns; null means every column of the dataset but the label.</summary>
    IReadOnlyList<string>? Features = null,
    /// <summary>For binary: the label value that counts as positive (e.g. "bad"); default: the second value in sorted order.</summary>
    string? PositiveClass = null,
    TrainerParams? Trainer = null,
    SweepSpec? Sweep = null,
    SplitSpec? Split = null,
    RegisterSpec? Register = null,
    /// <summary>Training attempts before the job is failed for good (expired leases count).</summary>
    int MaxAttempts = 3);

/// <summary>
/// A dataset version; <see cref="Version"/> null means the latest version at lease time. With
/// <see cref="PredictionLog"/>, the registry materialises that window at submit into dataset <see cref="Name"/>
/// (default <c>{model}-log</c>) and stores the job with the concrete version (docs/job-spec.md).
/// </summary>
public sealed record DatasetRef(string Name = "", int? Version = null, PredictionLogWindow? PredictionLog = null);

/// <summary>Logged-and-labelled predictions of <see cref="Model"/> served in [<see cref="From"/>, <see cref="To"/>), optionally only by <see cref="Versions"/>.</summary>
public sealed record PredictionLogWindow(string Model, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<int>? Versions = null);

/// <summary>LightGBM settings (ML.NET names). Null means the trainer's default.</summary>
public sealed record TrainerParams(
    int? NumberOfIterations = null,
    int? NumberOfLeaves = null,
    double? LearningRate = null,
    int? MinimumExampleCountPerLeaf = null,
    double? L2Regularization = null,
    double? FeatureFraction = null,
    double? SubsampleFraction = null,
    int? MaxBinCountPerFeature = null,
    int? Seed = null,
    /// <summary>LightGBM threads (1-64). The model bytes are reproducible for a given count; another count may change
    /// the last bits. Null: the worker's <c>Worker:Threads</c> (default 1).</summary>
    int? NumberOfThreads = null,
    /// <summary>Deepest a tree may grow (LightGBM's max_depth); 0 or null: no limit, the leaf count alone bounds it.</summary>
    int? MaximumTreeDepth = null);

/// <summary>A hyper-parameter search: each trial is a child run; the best on the gate metric is registered.</summary>
public sealed record SweepSpec(
    /// <summary><c>grid</c> or <c>random</c>.</summary>
    string Strategy,
    /// <summary>Trainer parameter name (as in <see cref="TrainerParams"/>) -> candidate values.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<double>> Space,
    /// <summary>Random: how many trials. Grid: an upper bound (null = every combination).</summary>
    int? Trials = null,
    int Seed = 0);

public sealed record SplitSpec(double TestFraction = 0.2, int Seed = 42);

public sealed record RegisterSpec(string Model, string? Alias = null, GateSpec? Gate = null);

/// <summary>Promotion gate: take the alias only when beating its holder on <see cref="Metric"/> by <see cref="MinImprovement"/>.</summary>
public sealed record GateSpec(string Metric, double MinImprovement = 0.0);

public static class TrainingTasks
{
    public const string Regression = "regression";
    public const string Binary = "binary";
    public const string Multiclass = "multiclass";
    public static readonly IReadOnlyList<string> All = [Regression, Binary, Multiclass];
}
