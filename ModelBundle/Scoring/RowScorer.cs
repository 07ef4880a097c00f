using Microsoft.ML;
using MlOps.ModelBundle.Packaging;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>One PredictionEngine (not thread-safe) with its reusable input and output: pooled per model.</summary>
internal abstract class RowScorer
{
    protected readonly FeatureRow Input = new();

    public abstract Prediction Score(float[] features);

    public static RowScorer Create(MLContext ml, ITransformer model, BundleManifest manifest, int vectorLength)
    {
        var schema = FeatureRow.SchemaFor(vectorLength);
        return manifest.Task switch
        {
            "regression" => new Regression(ml.Model.CreatePredictionEngine<FeatureRow, RegressionOutput>(model, inputSchemaDefinition: schema)),
            "binary" => new Binary(ml.Model.CreatePredictionEngine<FeatureRow, BinaryOutput>(model, inputSchemaDefinition: schema), Classes(manifest, 2)),
            "multiclass" => new Multiclass(ml.Model.CreatePredictionEngine<FeatureRow, MulticlassOutput>(model, inputSchemaDefinition: schema), Classes(manifest, null)),
            _ => throw new InvalidDataException($"Unknown task '{manifest.Task}' in model bundle."),
        };
    }

    private static IReadOnlyList<string> Classes(BundleManifest manifest, int? expected)
    {
        var classes = manifest.Classes ?? throw new InvalidDataException($"A {manifest.Task} model bundle must list its classes.");
        if (expected is { } n && classes.Count != n)
            throw new InvalidDataException($"A {manifest.Task} model bundle must list {n} classes, not {classes.Count}.");
        return classes;
    }

    private sealed class Regression(PredictionEngine<FeatureRow, RegressionOutput> engine) : RowScorer
    {
        private readonly RegressionOutput _output = new();

        public override Prediction Score(float[] features)
        {
            Input.Features = features;
            var output = _output;
            engine.Predict(Input, ref output);
            return new Prediction(Value: output.Score);
        }
    }

    private sealed class Binary(PredictionEngine<FeatureRow, BinaryOutput> engine, IReadOnlyList<string> classes) : RowScorer
    {
        private readonly BinaryOutput _output = new();

        public override Prediction Score(float[] features)
        {
            Input.Features = features;
            var output = _output;
            engine.Predict(Input, ref output);
            return Prediction.Binary(output.Score, output.Probability, classes);
        }
    }

    private sealed class Multiclass(PredictionEngine<FeatureRow, MulticlassOutput> engine, IReadOnlyList<string> classes) : RowScorer
    {
        private MulticlassOutput _output = new();

        public override Prediction Score(float[] features)
        {
            Input.Features = features;
            engine.Predict(Input, ref _output);
            return Prediction.Multiclass(_output.Score, classes);
        }
    }
}
