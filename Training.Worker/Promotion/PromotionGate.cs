using System.Globalization;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Problems;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Promotion;

/// <summary>
/// Decides whether a new version takes the spec's alias: only if it beats the alias holder on the gate metric by
/// the spec's minImprovement (strictly better when that is 0). "On the same split": a holder trained on the same
/// dataset version is scored on this job's test split; so is any holder when the job trains on a prediction log
/// window (the point of that dataset is to compare both on recent reality; those rows were served by a version, so
/// at most a holder trained on an overlapping window saw some of them, which favours the holder, never the new
/// version); otherwise its recorded metric is used.
/// </summary>
public sealed class PromotionGate(RegistryClient registry, ILogger<PromotionGate> logger)
{
    public async Task<GateDecision> DecideAsync(TrainingData data, TrainingResult candidate, DatasetVersionRef dataset, CancellationToken ct)
    {
        var register = data.Spec.Register!;
        var metric = register.Gate?.Metric ?? MetricNames.DefaultFor(data.Spec.Task);
        var minImprovement = register.Gate?.MinImprovement ?? 0;
        var own = candidate.Metrics[metric];
        if (register.Alias is not { Length: > 0 } alias)
            return new GateDecision(false, GateDecision.NoAlias, metric, own, null, null, "The spec names no alias: registered only.");

        var holderAlias = await registry.GetAliasAsync(register.Model, alias, ct);
        if (holderAlias is null)
            return new GateDecision(true, GateDecision.NoHolder, metric, own, null, null, $"'{alias}' has no holder yet: the first version takes it.");
        var holder = await registry.GetModelVersionAsync(register.Model, holderAlias.Version, ct);

        var mode = GateDecision.RecordedMetric;
        string? why = null;
        double? incumbent = null;
        var window = data.Spec.Dataset.PredictionLog;
        if (holder.Dataset == dataset || window is not null)
        {
            var (holderMetrics, problem) = await EvaluateHolderAsync(register.Model, holder, data, ct);
            if (holderMetrics is not null)
            {
                // Both through the same scorer and arithmetic, on the same rows.
                var (candidateMetrics, _) = await BundleEvaluator.EvaluateAsync(new MemoryStream(candidate.Bundle), data, ct);
                own = candidateMetrics![metric];
                incumbent = holderMetrics[metric];
                mode = GateDecision.SameSplit;
            }
            else
            {
                why = $"v{holder.Version} cannot be scored on this split ({problem}), so its recorded {metric} is used";
            }
        }
        else
        {
            why = $"v{holder.Version} was trained on {Describe(holder.Dataset)}, not {Describe(dataset)}, so its recorded {metric} is used";
        }
        if (mode == GateDecision.SameSplit && window is not null && holder.Dataset != dataset)
        {
            why = $"both scored on the test split of {Describe(dataset)}, predictions of '{window.Model}' logged in [{window.From:O}, {window.To:O})";
        }
        if (incumbent is null)
        {
            if (!holder.Metrics.TryGetValue(metric, out var recorded))
                return new GateDecision(true, mode, metric, own, null, holder.Version,
                    $"v{holder.Version} holds '{alias}' but has no recorded {metric}: the new version takes it.");
            incumbent = recorded;
        }

        var improvement = MetricNames.LowerIsBetter(metric) ? incumbent.Value - own : own - incumbent.Value;
        var promote = improvement >= minImprovement && improvement > 0;
        var comparison = $"{metric} {F(own)} vs v{holder.Version}'s {F(incumbent.Value)} ({(MetricNames.LowerIsBetter(metric) ? "lower" : "higher")} is better; "
            + $"improvement {F(improvement)}, required {(minImprovement > 0 ? F(minImprovement) : "> 0")})";
        var reason = (promote ? "Promoted: " : "Not promoted: ") + comparison + (why is null ? " on this job's test split." : "; " + why + ".");
        logger.LogInformation("Gate for {Model}/{Alias}: {Reason}", register.Model, alias, reason);
        return new GateDecision(promote, mode, metric, own, incumbent, holder.Version, reason);
    }

    private async Task<(IReadOnlyDictionary<string, double>?, string?)> EvaluateHolderAsync(string model, ModelVersion holder, TrainingData data, CancellationToken ct)
    {
        try
        {
            await using var download = await registry.OpenArtifactAsync(model, holder.Version, ct: ct);
            using var bytes = new MemoryStream();
            await download.Content.CopyToAsync(bytes, ct);
            bytes.Position = 0;
            return await BundleEvaluator.EvaluateAsync(bytes, data, ct);
        }
        catch (Exception e) when (e is InvalidDataException or RegistryApiException or TrainingSpecException or System.Text.Json.JsonException)
        {
            return (null, e.Message);
        }
    }

    private static string Describe(DatasetVersionRef? dataset) => dataset is null ? "an unknown dataset" : $"{dataset.Name} v{dataset.Version}";

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
