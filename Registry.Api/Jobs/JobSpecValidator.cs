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

    /// <summary>Worker names appear in audit columns: printable, at most 200 characters.</summary>
    public static bool IsValidWorker(string? worker) =>
        !string.IsNullOrWhiteSpace(worker) && worker.Length <= 200 && !worker.Any(char.IsControl);
}
