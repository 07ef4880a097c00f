using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Telemetry;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// Registry-independent training: CSV + spec -> LightGBM model bundle with metrics. Deterministic: the same spec,
/// data and thread count give the same metrics and the same bundle sha256.
/// </summary>
public static class ModelTrainer
{
    /// <summary>Reads the CSV (through a temporary file), checks it against the spec, splits, trains and writes the bundle.</summary>
    /// <param name="schema">The dataset version's column types (registry); null infers them from the cells.</param>
    public static async Task<TrainingResult> TrainAsync(TrainingJobSpec spec, Stream csv, IReadOnlyList<DatasetColumn>? schema, CancellationToken ct)
    {
        TrainingData data;
        await using (var file = await DatasetFile.SpoolAsync(csv, ct))
        {
            data = TrainingData.Load(spec, file, schema);
        }
        return await TrainAsync(data, LightGbmSettings.From(spec.Trainer), ct);
    }

    /// <summary>Trains on prepared data (a sweep prepares once and trains each trial's settings).</summary>
    /// <remarks>
    /// CPU-bound for seconds: runs off the caller's thread, so heartbeats and shutdown keep running. LightGBM's
    /// loop cannot be interrupted from outside ML.NET, so on cancellation the caller stops waiting at once (a
    /// worker releases its job right away) and the abandoned training ends on its own.
    /// </remarks>
    public static Task<TrainingResult> TrainAsync(TrainingData data, LightGbmSettings settings, CancellationToken ct) =>
        Task.Run(() => TrainCoreAsync(data, settings, ct), ct).WaitAsync(ct);

    private static async Task<TrainingResult> TrainCoreAsync(TrainingData data, LightGbmSettings settings, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: settings.Seed);
        var trainView = LabeledRows.Load(ml, data, data.Train);
        var testView = LabeledRows.Load(ml, data, data.Test);

        var fitClock = Stopwatch.StartNew();
        Fitted fitted;
        using (var fit = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Fit))
        {
            fit?.SetTag("mlops.task", data.Spec.Task);
            fit?.SetTag("mlops.lightgbm.iterations", settings.NumberOfIterations);
            fit?.SetTag("mlops.lightgbm.leaves", settings.NumberOfLeaves);
            fit?.SetTag("mlops.lightgbm.learning_rate", settings.LearningRate);
            fit?.SetTag("mlops.train.rows", data.Train.Length);
            fit?.SetTag("mlops.features", data.Features.Count);
            fit?.SetTag("mlops.features.encoded", data.Encoder.Length);
            fitted = Fit(ml, data.Spec.Task, settings, trainView);
        }
        var fitTime = fitClock.Elapsed;
        ct.ThrowIfCancellationRequested();
        IReadOnlyDictionary<string, double> metrics;
        IReadOnlyList<LearningCurvePoint> curve;
        using (var evaluate = TrainingTelemetry.Source.StartActivity(TrainingTelemetry.Evaluate))
        {
            evaluate?.SetTag("mlops.test.rows", data.Test.Length);
            var scored = fitted.Model.Transform(testView);
            metrics = Evaluate(ml, data.Spec.Task, scored);
            curve = LearningCurve.Compute(ml, data, fitted, testView);
            foreach (var (name, value) in metrics) evaluate?.SetTag("mlops.metric." + name, value);
        }
        var importance = ColumnImportance(data, fitted.SlotGains);
        var trainingTime = clock.Elapsed;

        var manifest = new BundleManifest(
            Task: data.Spec.Task,
            Label: data.Spec.Label,
            Features: data.Features,
            Classes: data.Classes,
            Baseline: data.BuildBaseline(),
            FeatureImportance: importance,
            Metrics: metrics,
            DatasetName: data.Spec.Dataset.Name,
            DatasetVersion: data.Spec.Dataset.Version,
            DatasetSha256: data.DatasetSha256 is { Length: > 0 } sha ? sha : null);

        // Saved with a features-only input schema: serving feeds FeatureRow, which has no label.
        var inputSchema = ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), FeatureRow.SchemaFor(data.Encoder.Length)).Schema;
        using var mlNetModel = new MemoryStream();
        ml.Model.Save(fitted.Model, inputSchema, mlNetModel);
        mlNetModel.Position = 0;
        using var bundle = new MemoryStream();
        // With tree covers (training rows per node: serving explains with exact TreeSHAP; ML.NET's saved model drops
        // them) and the plain trees (serving scores without loading ML.NET).
        var withoutPlainTrees = await TreeBundle.WriteAsync(bundle, manifest, mlNetModel, data.Train.Select(data.Encode), ct);
        var bytes = bundle.ToArray();

        return new TrainingResult(
            Bundle: bytes,
            Sha256: Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Manifest: manifest,
            Metrics: metrics,
            Params: settings.ToParams(),
            LearningCurve: curve,
            FeatureImportance: importance,
            TrainRows: data.Train.Length,
            TestRows: data.Test.Length,
            DatasetSha256: data.DatasetSha256,
            TrainingTime: trainingTime)
        {
            FitTime = fitTime,
            WithoutPlainTrees = withoutPlainTrees,
        };
    }

    /// <summary>A fitted model with what the learning curve and importance need from its trees.</summary>
    internal sealed record Fitted(
        ITransformer Model,
        VBuffer<float> SlotGains,
        IReadOnlyList<TreeEnsembleModelParameters> Ensembles,
        /// <summary>Binary: the model's calibrator. Multiclass: one per class (ML.NET normalizes their probabilities).</summary>
        IReadOnlyList<PlattCalibrator> Calibrators);

    private static Fitted Fit(MLContext ml, string task, LightGbmSettings settings, IDataView train)
    {
        var gains = default(VBuffer<float>);
        switch (task)
        {
            case TrainingTasks.Regression:
            {
                var options = settings.Apply<LightGbmRegressionTrainer.Options, float,
                    RegressionPredictionTransformer<LightGbmRegressionModelParameters>, LightGbmRegressionModelParameters>(new());
                var model = ml.Regression.Trainers.LightGbm(options).Fit(train);
                model.Model.GetFeatureWeights(ref gains);
                return new Fitted(model, gains, [model.Model], []);
            }
            case TrainingTasks.Binary:
            {
                var options = settings.Apply<LightGbmBinaryTrainer.Options, float,
                    BinaryPredictionTransformer<CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator>>,
                    CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator>>(new());
                var model = ml.BinaryClassification.Trainers.LightGbm(options).Fit(train);
                model.Model.SubModel.GetFeatureWeights(ref gains);
                return new Fitted(model, gains, [model.Model.SubModel], [model.Model.Calibrator]);
            }
            default:
            {
                // One-versus-all with normalised probabilities whatever the row count: left unset, ML.NET switches to
                // softmax from 50,000 rows and saves the model without it, so it would be served raw scores as probabilities.
                var options = settings.Apply<LightGbmMulticlassTrainer.Options, VBuffer<float>,
                    MulticlassPredictionTransformer<OneVersusAllModelParameters>, OneVersusAllModelParameters>(new() { UseSoftmax = false });
                var model = ml.MulticlassClassification.Trainers.LightGbm(options).Fit(train);
                var perClass = OneVersusAllParts.SubModels(model.Model);
                var ensembles = perClass.Select(TreeEnsembleModelParameters (m) => m.SubModel).ToList();
                return new Fitted(model, SumGains(ensembles), ensembles, perClass.Select(m => m.Calibrator).ToList());
            }
        }
    }

    private static VBuffer<float> SumGains(IReadOnlyList<TreeEnsembleModelParameters> ensembles)
    {
        float[]? total = null;
        foreach (var ensemble in ensembles)
        {
            var weights = default(VBuffer<float>);
            ensemble.GetFeatureWeights(ref weights);
            var dense = weights.DenseValues().ToArray();
            total ??= new float[dense.Length];
            for (var i = 0; i < dense.Length; i++) total[i] += dense[i];
        }
        return new VBuffer<float>(total?.Length ?? 0, total ?? []);
    }

    private static IReadOnlyDictionary<string, double> Evaluate(MLContext ml, string task, IDataView scored)
    {
        switch (task)
        {
            case TrainingTasks.Regression:
            {
                var m = ml.Regression.Evaluate(scored);
                return Sorted((MetricNames.Rmse, m.RootMeanSquaredError), (MetricNames.Mae, m.MeanAbsoluteError), (MetricNames.R2, m.RSquared));
            }
            case TrainingTasks.Binary:
            {
                var m = ml.BinaryClassification.Evaluate(scored);
                return Sorted((MetricNames.Auc, m.AreaUnderRocCurve), (MetricNames.Accuracy, m.Accuracy),
                    (MetricNames.F1, m.F1Score), (MetricNames.LogLoss, m.LogLoss));
            }
            default:
            {
                var m = ml.MulticlassClassification.Evaluate(scored);
                return Sorted((MetricNames.MacroAccuracy, m.MacroAccuracy), (MetricNames.MicroAccuracy, m.MicroAccuracy),
                    (MetricNames.Accuracy, m.MicroAccuracy), (MetricNames.LogLoss, m.LogLoss));
            }
        }
    }

    /// <summary>Split gain per input column (one-hot slots summed), as shares of the total.</summary>
    private static IReadOnlyDictionary<string, double> ColumnImportance(TrainingData data, VBuffer<float> slotGains)
    {
        var perColumn = new double[data.Features.Count];
        var slot = 0;
        foreach (var gain in slotGains.DenseValues())
        {
            if (slot < data.Encoder.Length) perColumn[data.Encoder.ColumnOfSlot(slot)] += Math.Abs(gain);
            slot++;
        }
        var total = perColumn.Sum();
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (var c = 0; c < perColumn.Length; c++) result[data.Features[c].Name] = total > 0 ? perColumn[c] / total : 0;
        return result;
    }

    private static IReadOnlyDictionary<string, double> Sorted(params (string Key, double Value)[] metrics) =>
        new SortedDictionary<string, double>(metrics.ToDictionary(m => m.Key, m => m.Value), StringComparer.Ordinal);
}
