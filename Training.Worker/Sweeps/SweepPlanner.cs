using System.Globalization;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Sweeps;

/// <summary>Turns a <see cref="SweepSpec"/> into the trainer parameters of each trial (the spec's own as the base).</summary>
public static class SweepPlanner
{
    public const int MaxTrials = 50;

    private static readonly Dictionary<string, Func<TrainerParams, double, TrainerParams>> Setters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["numberOfIterations"] = (p, v) => p with { NumberOfIterations = Int(v) },
        ["numberOfLeaves"] = (p, v) => p with { NumberOfLeaves = Int(v) },
        ["learningRate"] = (p, v) => p with { LearningRate = v },
        ["minimumExampleCountPerLeaf"] = (p, v) => p with { MinimumExampleCountPerLeaf = Int(v) },
        ["l2Regularization"] = (p, v) => p with { L2Regularization = v },
        ["featureFraction"] = (p, v) => p with { FeatureFraction = v },
        ["subsampleFraction"] = (p, v) => p with { SubsampleFraction = v },
        ["maxBinCountPerFeature"] = (p, v) => p with { MaxBinCountPerFeature = Int(v) },
        ["maximumTreeDepth"] = (p, v) => p with { MaximumTreeDepth = Int(v) },
    };

    public static IReadOnlyList<TrainerParams> Plan(SweepSpec sweep, TrainerParams? baseParams)
    {
        var start = baseParams ?? new TrainerParams();
        if (sweep.Space.Count == 0) throw new TrainingSpecException("The sweep's space is empty.");
        foreach (var (name, values) in sweep.Space)
        {
            if (!Setters.ContainsKey(name))
                throw new TrainingSpecException($"Sweep parameter '{name}' is unknown (known: {string.Join(", ", Setters.Keys)}).");
            if (values.Count == 0) throw new TrainingSpecException($"Sweep parameter '{name}' has no values.");
        }
        if (sweep.Trials is < 1) throw new TrainingSpecException($"Sweep trials must be at least 1, not {sweep.Trials}.");
        // Ordinal order: the same space gives the same trials whatever order the JSON listed it in.
        var dimensions = sweep.Space.OrderBy(d => d.Key, StringComparer.Ordinal).ToList();

        List<TrainerParams> trials;
        switch (sweep.Strategy.ToLowerInvariant())
        {
            case "grid":
                trials = [start];
                foreach (var (name, values) in dimensions)
                    trials = trials.SelectMany(t => values.Select(v => Setters[name](t, v))).ToList();
                if (sweep.Trials is { } limit) trials = trials.Take(limit).ToList();
                break;
            case "random":
                var random = new Random(sweep.Seed);
                trials = Enumerable.Range(0, sweep.Trials ?? 10).Select(_ =>
                    dimensions.Aggregate(start, (t, d) => Setters[d.Key](t, d.Value[random.Next(d.Value.Count)]))).ToList();
                break;
            default:
                throw new TrainingSpecException($"Sweep strategy '{sweep.Strategy}' is unknown: use grid or random.");
        }
        if (trials.Count > MaxTrials)
            throw new TrainingSpecException($"The sweep has {trials.Count} trials; at most {MaxTrials} are allowed (set trials to bound a grid).");
        return trials;
    }

    private static int Int(double value) =>
        value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new TrainingSpecException($"Sweep value {value.ToString(CultureInfo.InvariantCulture)} must be a whole number for this parameter.");
}
