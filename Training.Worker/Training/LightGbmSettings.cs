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
    int NumberOfThreads)
{
    /// <summary>
    /// Threads are fixed, not "all cores": LightGBM's histogram sums depend on how rows are split between
    /// threads, so another thread count can change the last bits of the model.
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
            NumberOfThreads: threads);
        settings.Validate();
        return settings;
    }

    private void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new TrainingSpecException("Trainer parameter " + message);
        }
        Check(NumberOfIterations is >= 1 and <= 100_000, $"numberOfIterations must be 1-100000, not {NumberOfIterations}.");
        Check(NumberOfLeaves is >= 2 and <= 131_072, $"numberOfLeaves must be 2-131072, not {NumberOfLeaves}.");
        Check(LearningRate is > 0 and <= 1, $"learningRate must be in (0, 1], not {LearningRate}.");
        Check(MinimumExampleCountPerLeaf >= 1, $"minimumExampleCountPerLeaf must be at least 1, not {MinimumExampleCountPerLeaf}.");
        Check(L2Regularization >= 0, $"l2Regularization must be >= 0, not {L2Regularization}.");
        Check(FeatureFraction is > 0 and <= 1, $"featureFraction must be in (0, 1], not {FeatureFraction}.");
        Check(SubsampleFraction is > 0 and <= 1, $"subsampleFraction must be in (0, 1], not {SubsampleFraction}.");
        Check(MaxBinCountPerFeature is >= 2 and <= 65_535, $"maxBinCountPerFeature must be 2-65535, not {MaxBinCountPerFeature}.");
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
        options.Booster = new GradientBooster.Options
        {
            L2Regularization = L2Regularization,
            FeatureFraction = FeatureFraction,
            SubsampleFraction = SubsampleFraction,
            // LightGBM only bags when a frequency is set; 1 = every iteration.
            SubsampleFrequency = SubsampleFraction < 1 ? 1 : 0,
        };
        return options;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
