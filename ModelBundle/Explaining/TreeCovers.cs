using Microsoft.ML;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;

namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// How many training rows reached each leaf of each tree (<c>tree-covers.json</c> in a bundle): what path-dependent
/// TreeSHAP weighs a left-out feature's branches by. LightGBM keeps these (leaf_count / internal_count in its model
/// text), but ML.NET drops them when it converts the booster to its own trees, so the saved ML.NET model has no
/// covers; they are recounted here by routing the training rows through the trees, with the evaluator's semantics.
/// </summary>
/// <param name="Ensembles">Per ensemble (one per class for multiclass), per tree in order, rows per leaf.</param>
public sealed record TreeCovers(IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>> Ensembles)
{
    /// <summary>Counts the encoded training rows per leaf of the model's trees; null with the reason when it has none.</summary>
    public static TreeCovers? Record(ITransformer model, BundleManifest manifest, IEnumerable<float[]> trainingRows, out string reason)
    {
        var encoder = new FeatureEncoder(manifest.Features);
        if (ModelTrees.Of(model, manifest.Task, out reason) is not { } ensembles) return null;
        var trees = new List<ExplainTree[]>();
        foreach (var ensemble in ensembles)
        {
            var built = new ExplainTree[ensemble.Trees.Count];
            for (var t = 0; t < built.Length; t++)
                if ((built[t] = ExplainTree.TryCreate(ensemble.Trees[t], encoder, out reason)!) is null) return null;
            trees.Add(built);
        }
        var counts = trees.Select(e => e.Select(t => new int[t.LeafValues.Length]).ToArray()).ToArray();
        foreach (var row in trainingRows)
        {
            if (row.Length != encoder.Length) throw new ArgumentException($"Expected {encoder.Length} features, got {row.Length}.", nameof(trainingRows));
            for (var e = 0; e < trees.Count; e++)
                for (var t = 0; t < trees[e].Length; t++) counts[e][t][trees[e][t].LeafOf(row)]++;
        }
        return new TreeCovers(counts.Select(IReadOnlyList<IReadOnlyList<int>> (e) => e.Select(IReadOnlyList<int> (c) => c).ToList()).ToList());
    }

    /// <summary>The covers of a model with trees, counted on the rows it was trained on (encoded); throws for a model without trees.</summary>
    public static TreeCovers RecordOrThrow(ITransformer model, BundleManifest manifest, IEnumerable<float[]> trainingRows) =>
        Record(model, manifest, trainingRows, out var reason) ?? throw new InvalidOperationException($"No tree covers for this model: {reason}.");

    /// <summary>
    /// A bundle with the covers of its model counted on <paramref name="trainingRows"/> (the rows LightGBM was
    /// trained on, encoded): what the trainer calls on the bundle it wrote. Throws when the model has no trees.
    /// </summary>
    public static async Task<byte[]> AddToBundleAsync(byte[] bundle, IEnumerable<float[]> trainingRows, CancellationToken ct)
    {
        using var source = new MemoryStream(bundle, writable: false);
        var (manifest, modelBytes, _) = await ModelBundleFile.ReadWithCoversAsync(source, ct);
        await using (modelBytes)
        {
            var model = new MLContext(seed: 0).Model.Load(modelBytes, out _);
            var covers = RecordOrThrow(model, manifest, trainingRows);
            modelBytes.Position = 0;
            using var destination = new MemoryStream();
            await ModelBundleFile.WriteAsync(destination, manifest, modelBytes, ct, covers);
            return destination.ToArray();
        }
    }
}
