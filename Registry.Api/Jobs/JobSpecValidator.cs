using MlOps.Registry.Client.Jobs;

namespace MlOps.Registry.Api.Jobs;

/// <summary>Refuses specs a worker could never run, at submit time rather than after a lease.</summary>
public static class JobSpecValidator
{
    public const int MaxAttemptsLimit = JobSpecRules.MaxAttemptsLimit;

    public static string? Validate(TrainingJobSpec? spec)
    {
        if (spec is null)
        {
            return "spec is required: the body is {\"spec\": <job spec>, \"idempotencyKey\": <optional string>} (docs/job-spec.md).";
        }
        if (!Names.IsValid(spec.Experiment))
        {
            return Names.Describe("spec.experiment");
        }
        if (spec.Dataset?.PredictionLog is { } window)
        {
            if (PredictionLogWindow(spec.Dataset, window) is { } windowError)
            {
                return windowError;
            }
        }
        else if (spec.Dataset is null || !Names.IsValid(spec.Dataset.Name) || spec.Dataset.Version is < 1)
        {
            return "spec.dataset needs a valid name and, if given, a positive version (or a predictionLog window).";
        }
        if (spec.Task is null || !TrainingTasks.All.Contains(spec.Task))
        {
            return $"spec.task must be one of {string.Join(", ", TrainingTasks.All)}.";
        }
        if (string.IsNullOrWhiteSpace(spec.Label) || spec.Label.Length > 256)
        {
            return "spec.label is required (a column name).";
        }
        if (spec.Features?.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > 256) == true)
        {
            return "spec.features must be column names (1-256 characters).";
        }
        if (spec.PositiveClass is { } positive && (positive.Length is 0 or > 256))
        {
            return "spec.positiveClass must be a label value (1-256 characters).";
        }
        if (spec.Sweep is { Space: null })
        {
            return "spec.sweep.space is required.";
        }
        if (spec.Register is { } register)
        {
            if (!Names.IsValid(register.Model))
            {
                return Names.Describe("spec.register.model");
            }
            if (register.Alias is not null && !Names.IsValid(register.Alias))
            {
                return Names.Describe("spec.register.alias");
            }
            if (register.Gate is { } gate && !Names.IsValidKey(gate.Metric))
            {
                return "spec.register.gate.metric must be a metric name.";
            }
        }
        // Ranges and combinations: the same rules the worker applies at lease.
        return JobSpecRules.Check(spec);
    }

    /// <summary>A window is materialised at submit into a new version of dataset.name (default {model}-log).</summary>
    private static string? PredictionLogWindow(DatasetRef dataset, PredictionLogWindow window)
    {
        if (dataset.Name.Length > 0 && !Names.IsValid(dataset.Name))
        {
            return Names.Describe("spec.dataset.name");
        }
        if (dataset.Version is not null)
        {
            return "spec.dataset.version cannot be given with predictionLog: the registry materialises the window and sets it.";
        }
        if (!Names.IsValid(window.Model))
        {
            return Names.Describe("spec.dataset.predictionLog.model");
        }
        if (window.From >= window.To)
        {
            return "spec.dataset.predictionLog.from must be before to.";
        }
        if (window.Versions is { } versions && (versions.Count == 0 || versions.Any(v => v < 1)))
        {
            return "spec.dataset.predictionLog.versions must list positive model versions (leave it out for every version).";
        }
        return null;
    }

    /// <summary>The dataset a window is materialised into when the spec names none.</summary>
    public static string WindowDatasetName(DatasetRef dataset) =>
        dataset.Name.Length > 0 ? dataset.Name : dataset.PredictionLog!.Model + "-log";

    /// <summary>Worker names appear in audit columns: printable, at most 200 characters.</summary>
    public static bool IsValidWorker(string? worker) =>
        !string.IsNullOrWhiteSpace(worker) && worker.Length <= 200 && !worker.Any(char.IsControl);
}
