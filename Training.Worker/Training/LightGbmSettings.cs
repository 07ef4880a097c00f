using System.Globalization;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// The LightGBM settings a job trains with: the spec's <see cref="TrainerParams"/> over our defaults, plus the
/// fixed seed and thread count that make the same spec give the same model bytes.
/// </summary>
public sealed record LightGbmSettings(
    int NumberOfIterations,
    int NumberOfLeaves,
    double LearningRate,
    int MinimumExampleCountPerLeaf,
    double L2Regularization,
    double FeatureFraction,
    double SubsampleFraction,
    int MaxBinCountPerFeature,
    int Seed,
    int NumberOfThreads,
    int MaximumTreeDepth)
{
    /// <summary>
    /// Threads are fixed, not "all cores": LightGBM's histogram sums depend on how rows are split between
    /// threads, so another thread count can change the last bits of the model. The spec's
    /// <c>trainer.numberOfThreads</c> overrides the worker's default; the same count gives the same bytes.
    /// </summary>
    public const int DefaultThreads = 1;

    public static LightGbmSettings From(TrainerParams? p, int threads = DefaultThreads)
    {
        p ??= new TrainerParams();
        var settings = new LightGbmSettings(
            NumberOfIterations: p.NumberOfIterations ?? 300,
            NumberOfLeaves: p.NumberOfLeaves ?? 31,
            LearningRate: p.LearningRate ?? 0.05,
            MinimumExampleCountPerLeaf: p.MinimumExampleCountPerLeaf ?? 20,
            L2Regularization: p.L2Regularization ?? 0.0,
            FeatureFraction: p.FeatureFraction ?? 1.0,
            SubsampleFraction: p.SubsampleFraction ?? 1.0,
            MaxBinCountPerFeature: p.MaxBinCountPerFeature ?? 255,
            Seed: p.Seed ?? 42,
            NumberOfThreads: p.NumberOfThreads ?? threads,
            MaximumTreeDepth: p.MaximumTreeDepth ?? 0);
        settings.Validate();
        return settings;
    }

    /// <summary>The same ranges the registry checks at submit (<see cref="JobSpecRules"/>), on the merged values.</summary>
    private void Validate()
    {
        var merged = new TrainerParams(NumberOfIterations, NumberOfLeaves, LearningRate, MinimumExampleCountPerLeaf, L2Regularization,
            FeatureFraction, SubsampleFraction, MaxBinCountPerFeature, Seed, NumberOfThreads, MaximumTreeDepth);
        if (JobSpecRules.Trainer(merged, "trainer") is { } error) throw new TrainingSpecException("Trainer parameter " + error);
    }

    /// <summary>The run's params (invariant culture, ML.NET names in camelCase as in the spec).</summary>
    public IReadOnlyDictionary<string, string> ToParams() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["numberOfIterations"] = Format(NumberOfIterations),
        ["numberOfLeaves"] = Format(NumberOfLeaves),
        ["learningRate"] = Format(LearningRate),
        ["minimumExampleCountPerLeaf"] = Format(MinimumExampleCountPerLeaf),
        ["l2Regularization"] = Format(L2Regularization),
        ["featureFraction"] = Format(FeatureFraction),
        ["subsampleFraction"] = Format(SubsampleFraction),
        ["maxBinCountPerFeature"] = Format(MaxBinCountPerFeature),
        ["seed"] = Format(Seed),
        ["numberOfThreads"] = Format(NumberOfThreads),
        ["maximumTreeDepth"] = Format(MaximumTreeDepth),
    };

    internal TOptions Apply<TOptions, TOutput, TTransformer, TModel>(TOptions options)
        where TOptions : LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : Microsoft.ML.ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.NumberOfIterations = NumberOfIterations;
        options.NumberOfLeaves = NumberOfLeaves;
        options.LearningRate = LearningRate;
        options.MinimumExampleCountPerLeaf = MinimumExampleCountPerLeaf;
        options.MaximumBinCountPerFeature = MaxBinCountPerFeature;
        options.Seed = Seed;
        options.NumberOfThreads = NumberOfThreads;
        options.Silent = true;
        options.Verbose = false;
        options.HandleMissingValue = true;
        // Row-wise histograms, chosen rather than timed: left to itself LightGBM builds both layouts on the first
        // iteration and keeps the one that ran faster, which costs that test (~0.35 s CPU at 2.4M rows) and picks by
        // the machine's load, and with more than one thread the two layouts sum gradients in different orders.
        // Row-wise is LightGBM's advice for few threads and few bins (26 slots, ~1,600 bins here). With one thread
        // the trees are the same either way; the model bytes change only by the parameter string ML.NET keeps.
        options.ForceRowWise = true;
        options.Booster = new GradientBooster.Options
        {
            L2Regularization = L2Regularization,
            FeatureFraction = FeatureFraction,
            SubsampleFraction = SubsampleFraction,
            // LightGBM only bags when a frequency is set; 1 = every iteration.
            SubsampleFrequency = SubsampleFraction < 1 ? 1 : 0,
            // 0 is ML.NET's and LightGBM's own default (no limit): a spec without it trains the same bytes as before.
            MaximumTreeDepth = MaximumTreeDepth,
        };
        return options;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
