using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Trees;

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
    /// <summary>Counts the encoded training rows per leaf of a model's trees.</summary>
    public static TreeCovers Record(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, BundleManifest manifest, IEnumerable<float[]> trainingRows)
    {
        var encoder = new FeatureEncoder(manifest.Features);
        var trees = ensembles.Select(e => e.Select(t => ExplainTree.TryCreate(t, encoder, out var reason)
            ?? throw new InvalidOperationException($"No tree covers for this model: {reason}.")).ToArray()).ToList();
        var counts = trees.Select(e => e.Select(t => new int[t.LeafValues.Length]).ToArray()).ToArray();
        foreach (var row in trainingRows)
        {
            if (row.Length != encoder.Length) throw new ArgumentException($"Expected {encoder.Length} features, got {row.Length}.", nameof(trainingRows));
            for (var e = 0; e < trees.Count; e++)
                for (var t = 0; t < trees[e].Length; t++) counts[e][t][trees[e][t].LeafOf(row)]++;
        }
        return new TreeCovers(counts.Select(IReadOnlyList<IReadOnlyList<int>> (e) => e.Select(IReadOnlyList<int> (c) => c).ToList()).ToList());
    }
}
