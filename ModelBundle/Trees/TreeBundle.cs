using Microsoft.ML;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;

namespace MlOps.ModelBundle.Trees;

/// <summary>
/// The bundle the trainer publishes: the ML.NET model with its tree covers (for TreeSHAP) and, when the tree
/// evaluator reproduces the model, its plain trees with a probe of the PredictionEngine's predictions (so serving
/// loads it without ML.NET). Both come from the model as saved and reloaded, the model serving would load.
/// </summary>
public static class TreeBundle
{
    /// <summary>
    /// Writes the bundle of a saved ML.NET model (<paramref name="mlNetModel"/>, what MLContext.Model.Save wrote),
    /// with covers counted on <paramref name="trainingRows"/> (the encoded rows LightGBM was trained on). Throws when
    /// the model has no trees. Returns null when the bundle has its plain trees, else why not (serving will load
    /// ML.NET for it).
    /// </summary>
    public static async Task<string?> WriteAsync(Stream destination, BundleManifest manifest, Stream mlNetModel, IEnumerable<float[]> trainingRows, CancellationToken ct)
    {
        var start = mlNetModel.Position;
        var ml = new MLContext(seed: 0);
        var model = ml.Model.Load(mlNetModel, out _);
        mlNetModel.Position = start;
        var ensembles = MlNetTrees.Ensembles(model, manifest.Task, out var reason)
            ?? throw new InvalidOperationException($"No tree covers for this model: {reason}.");
        var covers = TreeCovers.Record(ensembles, manifest, trainingRows);
        TreeModel? trees = null;
        if (MlNetTrees.Calibrators(model, out var omitted) is { } calibrators)
        {
            var encoder = new FeatureEncoder(manifest.Features);
            // Built inside the check, so that not even a PredictionEngine failing fails the job: the plain trees are
            // an optimization, and without them the bundle is still complete, served on ML.NET.
            var engine = new Lazy<RowScorer>(() => RowScorer.Create(ml, model, manifest, encoder.Length));
            var plain = new TreeModel(ensembles, calibrators, Probe: null);
            // Serving checks the probe anyway; trees that already disagree here would only be a detour before ML.NET.
            if (TreeProbes.CheckedScorer(plain, manifest, encoder, row => engine.Value.Score(row), out var probe, out omitted) is not null)
                trees = plain with { Probe = probe };
        }
        await ModelBundleFile.WriteAsync(destination, manifest, mlNetModel, ct, covers, trees);
        return trees is null ? omitted : null;
    }

    /// <summary>A bundle rewritten as the trainer writes it, from its own manifest and model (tests and benches).</summary>
    public static async Task<byte[]> RewriteAsync(byte[] bundle, IEnumerable<float[]> trainingRows, CancellationToken ct)
    {
        using var source = new MemoryStream(bundle, writable: false);
        var (manifest, modelBytes) = await ModelBundleFile.ReadAsync(source, ct);
        await using (modelBytes)
        {
            using var destination = new MemoryStream();
            await WriteAsync(destination, manifest, modelBytes, trainingRows, ct);
            return destination.ToArray();
        }
    }
}
