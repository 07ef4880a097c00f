using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Scoring;
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
    /// <summary>
    /// Counts the encoded training rows per leaf of a model's trees. Rows are held 16 at a time, so each must be an
    /// array of its own (not one buffer refilled per row).
    /// </summary>
    public static TreeCovers Record(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, BundleManifest manifest, IEnumerable<float[]> trainingRows)
    {
        var encoder = new FeatureEncoder(manifest.Features);
        var trees = ensembles.Select(e => e.Select(t => ExplainTree.TryCreate(t, encoder, out var reason)
            ?? throw new InvalidOperationException($"No tree covers for this model: {reason}.")).ToArray()).ToList();
        var counts = trees.Select(e => e.Select(t => new int[t.LeafValues.Length]).ToArray()).ToArray();
        // Flat, in the evaluator's tree order (ensemble after ensemble), over the same arrays.
        var flat = counts.SelectMany(e => e).ToArray();
        var walks = trees.SelectMany(e => e).ToArray();
        // Leaf masks find 16 rows' leaves at once (3M credit rows, 100 trees of 31 leaves: the bundle step ~5 s instead
        // of ~20 s, bench/scale/README.md). Walked: the rows left over, and models leaf masks do not take (a tree over
        // 32 leaves, no 256-bit vectors, more trees than the evaluator holds).
        var evaluator = TreeEnsembleEvaluator.TryCreate(ensembles, encoder.Length, out _) is { UsesLeafMasks: true } e ? e : null;
        var block = new List<float[]>(TreeEnsembleEvaluator.BlockRows);
        var leaves = evaluator is null ? [] : new int[flat.Length * TreeEnsembleEvaluator.BlockRows];
        var scratch = evaluator is null ? [] : new float[evaluator.BlockScratchLength];
        foreach (var row in trainingRows)
        {
            if (row.Length != encoder.Length) throw new ArgumentException($"Expected {encoder.Length} features, got {row.Length}.", nameof(trainingRows));
            if (evaluator is null)
            {
                Walk(row, walks, flat);
                continue;
            }
            block.Add(row);
            if (block.Count < TreeEnsembleEvaluator.BlockRows) continue;
            evaluator.LeavesBlock(block, 0, leaves, scratch);
            for (var t = 0; t < flat.Length; t++)
            {
                var tree = flat[t];
                foreach (var leaf in leaves.AsSpan(t * TreeEnsembleEvaluator.BlockRows, TreeEnsembleEvaluator.BlockRows)) tree[leaf]++;
            }
            block.Clear();
        }
        foreach (var row in block) Walk(row, walks, flat);
        return new TreeCovers(counts.Select(IReadOnlyList<IReadOnlyList<int>> (e) => e.Select(IReadOnlyList<int> (c) => c).ToList()).ToList());
    }

    private static void Walk(float[] row, ExplainTree[] trees, int[][] counts)
    {
        for (var t = 0; t < trees.Length; t++) counts[t][trees[t].LeafOf(row)]++;
    }
}
