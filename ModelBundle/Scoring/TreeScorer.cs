using System.Buffers;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// Scores with <see cref="TreeEnsembleEvaluator"/> instead of a PredictionEngine, for the models it reproduces
/// exactly: LightGBM regression, LightGBM binary with ML.NET's Platt calibrator, and LightGBM multiclass as ML.NET
/// reloads it (one-versus-all: per-class Platt probabilities normalized to sum 1). Stateless, so one instance
/// serves every thread and needs no pool. Anything else (raw or softmax multiclass scores, categorical splits,
/// another trainer) gets null and stays on PredictionEngine.
/// </summary>
internal abstract class TreeScorer
{
    private protected TreeScorer(TreeEnsembleEvaluator evaluator) => Evaluator = evaluator;

    /// <summary>The model's ensemble, or its ensembles (multiclass: one per class, one output each).</summary>
    public TreeEnsembleEvaluator Evaluator { get; }

    public Prediction Score(float[] features)
    {
        // The trainer allows 100 classes; a bundle from elsewhere could list more than the stack should hold.
        var count = Evaluator.OutputCount;
        Span<float> outputs = count <= 256 ? stackalloc float[count] : new float[count];
        Evaluator.Evaluate(features, outputs);
        return FromOutputs(outputs);
    }

    /// <summary>
    /// Scores rows: whole blocks of <see cref="TreeEnsembleEvaluator.BlockRows"/> tree-major
    /// (<see cref="TreeEnsembleEvaluator.EvaluateBlock"/>), the rest one by one (a block walks all its lanes whatever
    /// its row count: one row in a block costs as much as 16 alone). The same results as <see cref="Score(float[])"/>
    /// row by row, to the bit.
    /// </summary>
    public void Score(IReadOnlyList<float[]> rows, Span<Prediction> results)
    {
        const int Block = TreeEnsembleEvaluator.BlockRows;
        var start = 0;
        if (rows.Count >= Block)
        {
            var evaluator = Evaluator;
            var count = evaluator.OutputCount;
            var perBlock = Block * count;
            float[]? rentedOutputs = null, rentedScratch = null;
            var outputs = perBlock <= 4096 ? stackalloc float[perBlock] : (rentedOutputs = ArrayPool<float>.Shared.Rent(perBlock));
            var scratchLength = evaluator.BlockScratchLength;
            var scratch = scratchLength <= 8192 ? stackalloc float[scratchLength] : (rentedScratch = ArrayPool<float>.Shared.Rent(scratchLength));
            try
            {
                for (; start + Block <= rows.Count; start += Block)
                {
                    evaluator.EvaluateBlock(rows, start, outputs, scratch);
                    for (var r = 0; r < Block; r++) results[start + r] = FromOutputs(outputs.Slice(r * count, count));
                }
            }
            finally
            {
                if (rentedOutputs is not null) ArrayPool<float>.Shared.Return(rentedOutputs);
                if (rentedScratch is not null) ArrayPool<float>.Shared.Return(rentedScratch);
            }
        }
        for (; start < rows.Count; start++) results[start] = Score(rows[start]);
    }

    /// <summary>The prediction from one row's raw ensemble outputs (may overwrite them).</summary>
    private protected abstract Prediction FromOutputs(Span<float> outputs);

    public static TreeScorer? TryCreate(TreeModel model, BundleManifest manifest, int vectorLength, out string reason)
    {
        var outputs = manifest.Task == "multiclass" ? manifest.Classes?.Count ?? 0 : 1;
        var calibrators = manifest.Task == "regression" ? 0 : outputs;
        if (model.Ensembles.Count != outputs || model.Calibrators.Count != calibrators)
        {
            reason = $"{model.Ensembles.Count} tree ensembles and {model.Calibrators.Count} calibrators do not fit a {manifest.Task} model with {manifest.Classes?.Count ?? 0} classes";
            return null;
        }
        // Multiclass: all classes' trees in one evaluator, scored together (walked: grouped by depth across classes).
        var evaluator = TreeEnsembleEvaluator.TryCreate(model.Ensembles, vectorLength, out reason);
        if (evaluator is null) return null;
        switch (manifest.Task)
        {
            case "regression":
                return new Regression(evaluator);
            case "binary" when manifest.Classes is { Count: 2 } classes:
                return new Binary(evaluator, model.Calibrators[0], classes);
            case "multiclass" when manifest.Classes is { Count: >= 2 } classes:
                return new Multiclass(evaluator, model.Calibrators.ToArray(), classes);
            default:
                reason = $"a {manifest.Task} bundle with {manifest.Classes?.Count ?? 0} classes is not supported by the tree evaluator";
                return null;
        }
    }

    private sealed class Regression(TreeEnsembleEvaluator evaluator) : TreeScorer(evaluator)
    {
        private protected override Prediction FromOutputs(Span<float> outputs) => new(Value: outputs[0]);
    }

    private sealed class Binary(TreeEnsembleEvaluator evaluator, PlattSigmoid calibrator, IReadOnlyList<string> classes)
        : TreeScorer(evaluator)
    {
        private protected override Prediction FromOutputs(Span<float> outputs)
        {
            var score = outputs[0];
            // ML.NET's formula and float rounding (the load-time probe checks it against the PredictionEngine).
            var probability = calibrator.PredictProbability(score);
            return Prediction.Binary(score, probability, classes);
        }
    }

    private sealed class Multiclass(TreeEnsembleEvaluator evaluator, PlattSigmoid[] calibrators, IReadOnlyList<string> classes)
        : TreeScorer(evaluator)
    {
        private protected override Prediction FromOutputs(Span<float> probabilities)
        {
            // OneVersusAllModelParameters.ImplDist: each class's calibrated probability (as Binary), negatives and NaN
            // left out of a double sum, negatives set to 0, each divided by the sum (as doubles, rounded to float)
            // when it is positive.
            // The raw class scores come in, the probabilities replace them.
            var sum = 0.0;
            for (var k = 0; k < probabilities.Length; k++)
            {
                var p = calibrators[k].PredictProbability(probabilities[k]);
                if (float.IsNaN(p)) { probabilities[k] = p; continue; }
                if (p >= 0) sum += p;
                else p = 0;
                probabilities[k] = p;
            }
            if (sum > 0)
                for (var k = 0; k < probabilities.Length; k++) probabilities[k] = (float)(probabilities[k] / sum);
            return Prediction.Multiclass(probabilities, classes);
        }
    }
}
