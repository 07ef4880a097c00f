using MlOps.Registry.Client.Jobs;

namespace MlOps.Registry.Api.Jobs;

/// <summary>Refuses specs a worker could never run, at submit time rather than after a lease.</summary>
public static class JobSpecValidator
{
    public const int MaxAttemptsLimit = 20;

    public static string? Validate(TrainingJobSpec? spec)
    {
        if (spec is null)
        {
            return "spec is required.";
        }
        if (!Names.IsValid(spec.Experiment))
        {
            return Names.Describe("spec.experiment");
        }
        if (spec.Dataset is null || !Names.IsValid(spec.Dataset.Name) || spec.Dataset.Version is < 1)
        {
            return "spec.dataset needs a valid name and, if given, a positive version.";
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
            return "spec.features must be column names.";
        }
        if (spec.MaxAttempts is < 1 or > MaxAttemptsLimit)
        {
            return $"spec.maxAttempts must be 1-{MaxAttemptsLimit}.";
        }
        if (spec.Split is { } split && (split.TestFraction is <= 0 or >= 1 || double.IsNaN(split.TestFraction)))
        {
            return "spec.split.testFraction must be between 0 and 1.";
        }
        if (spec.Sweep is { } sweep && (sweep.Strategy is not ("grid" or "random") || sweep.Space is null || sweep.Space.Count == 0 || sweep.Trials is < 1))
        {
            return "spec.sweep needs strategy grid|random, a non-empty space and positive trials.";
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
            if (register.Gate is { } gate && (!Names.IsValidKey(gate.Metric) || !double.IsFinite(gate.MinImprovement)))
            {
                return "spec.register.gate needs a metric key and a finite minImprovement.";
            }
        }
        return null;
    }

    /// <summary>Worker names appear in audit columns: printable, at most 200 characters.</summary>
    public static bool IsValidWorker(string? worker) =>
        !string.IsNullOrWhiteSpace(worker) && worker.Length <= 200 && !worker.Any(char.IsControl);
}
