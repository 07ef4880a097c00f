using System.Runtime.Intrinsics;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Tests;

/// <summary>
/// Leaf masks (QuickScorer) against the walk on hand-built trees at the edges trained models rarely reach: 32 leaves
/// as a left chain, a right chain and a full tree, NaN, infinite and signed-zero thresholds, every kind of Missing
/// value, a tree without splits whose leaf is not 0, ensembles of uneven sizes, and blocks that mix rows with and
/// without NaN. Raw outputs compared to the bit, one row at a time and in 16-row blocks.
/// </summary>
public sealed class LeafMasksTests
{
    private const int Slots = HandBuiltTrees.Slots;

    private static readonly float[] Thresholds = HandBuiltTrees.Thresholds;

    [Fact]
    public void Hand_built_trees_score_the_same_with_leaf_masks_and_the_walk()
    {
        var random = new Random(11);
        IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles =
        [
            [HandBuiltTrees.LeftChain(32, random), HandBuiltTrees.Full(5, random), HandBuiltTrees.NoSplits(7)],
            [HandBuiltTrees.RightChain(32, random), HandBuiltTrees.Full(3, random), HandBuiltTrees.LeftChain(2, random), HandBuiltTrees.RightChain(17, random), HandBuiltTrees.Full(1, random)],
            [HandBuiltTrees.Full(4, random), HandBuiltTrees.NoSplits(-3)],
        ];
        var masks = TreeEnsembleEvaluator.TryCreate(ensembles, Slots, out var reason);
        Assert.True(masks is not null, reason);
        var walk = TreeEnsembleEvaluator.TryCreate(ensembles, Slots, out reason, leafMasks: false);
        Assert.True(walk is not null, reason);
        // Leaf masks need 256-bit vectors; without them the evaluator walks and this compares the walk with itself.
        Assert.Equal(Vector256.IsHardwareAccelerated, masks.UsesLeafMasks);
        Assert.False(walk.UsesLeafMasks);

        var values = ensembles.SelectMany(e => e).SelectMany(t => t.Threshold).ToArray();
        // 4 blocks: complete rows only, then rows with NaN now and then, then every row with some NaN.
        var rows = Enumerable.Range(0, 64).Select(r => Row(random, values, nanEvery: r < 16 ? 0 : r < 48 ? 3 : 1)).ToList();
        var outputs = masks.OutputCount;
        var expected = new float[rows.Count * outputs];
        var actual = new float[outputs];
        for (var r = 0; r < rows.Count; r++)
        {
            walk.Evaluate(rows[r], expected.AsSpan(r * outputs, outputs));
            masks.Evaluate(rows[r], actual);
            AssertBits(expected.AsSpan(r * outputs, outputs), actual, $"row {r}");
        }
        foreach (var evaluator in new[] { masks, walk })
        {
            var block = new float[TreeEnsembleEvaluator.BlockRows * outputs];
            var scratch = new float[evaluator.BlockScratchLength];
            for (var start = 0; start < rows.Count; start += TreeEnsembleEvaluator.BlockRows)
            {
                evaluator.EvaluateBlock(rows, start, block, scratch);
                AssertBits(expected.AsSpan(start * outputs, block.Length), block, $"block at row {start}, leaf masks {evaluator.UsesLeafMasks}");
            }
        }
    }

    [Fact]
    public void Tree_covers_counted_in_leaf_mask_blocks_are_the_walks_counts()
    {
        var random = new Random(23);
        IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles =
        [
            [HandBuiltTrees.LeftChain(32, random), HandBuiltTrees.Full(5, random), HandBuiltTrees.NoSplits(7), HandBuiltTrees.RightChain(9, random)],
            [HandBuiltTrees.RightChain(32, random), HandBuiltTrees.Full(2, random)],
        ];
        var values = ensembles.SelectMany(e => e).SelectMany(t => t.Threshold).ToArray();
        // 5 blocks and 7 rows left over (walked), NaN in some rows.
        var rows = Enumerable.Range(0, 87).Select(r => Row(random, values, nanEvery: r % 3 == 0 ? 0 : 2)).ToList();
        var manifest = new Packaging.BundleManifest("regression", "y",
            Enumerable.Range(0, Slots).Select(i => new Features.FeatureColumn("x" + i, Features.FeatureKind.Numeric)).ToList(), null, [], new Dictionary<string, double>(), new Dictionary<string, double>());

        var covers = Explaining.TreeCovers.Record(ensembles, manifest, rows);

        for (var e = 0; e < ensembles.Count; e++)
            for (var t = 0; t < ensembles[e].Count; t++)
            {
                var tree = ensembles[e][t];
                var expected = new int[tree.LeafValues.Length];
                foreach (var row in rows) expected[LeafOf(tree, row)]++;
                Assert.Equal(expected, covers.Ensembles[e][t]);
            }
        // The same counts through the leaf masks' block path (on hardware with 256-bit vectors) as through the walk.
        Assert.Equal(Vector256.IsHardwareAccelerated, TreeEnsembleEvaluator.TryCreate(ensembles, Slots, out _)!.UsesLeafMasks);
    }

    /// <summary>The reference: the walk as docs state it (NaN takes the split's Missing value, left when &lt;= threshold).</summary>
    private static int LeafOf(DecisionTree tree, float[] row)
    {
        if (tree.SplitCount == 0) return 0;
        var node = 0;
        while (node >= 0)
        {
            var value = row[tree.Feature[node]];
            if (float.IsNaN(value)) value = tree.Missing[node];
            node = value <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
        }
        return ~node;
    }

    [Fact]
    public void A_tree_of_33_leaves_is_walked()
    {
        var random = new Random(5);
        var evaluator = TreeEnsembleEvaluator.TryCreate([[HandBuiltTrees.Full(5, random), HandBuiltTrees.LeftChain(33, random)]], Slots, out var reason);
        Assert.True(evaluator is not null, reason);
        Assert.False(evaluator.UsesLeafMasks);
    }

    private static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}, output {i}: walk {expected[i]:R}, leaf masks {actual[i]:R}");
    }

    /// <summary>Values on, just below and just above the trees' thresholds, special values, and NaN every <paramref name="nanEvery"/>th slot on average.</summary>
    private static float[] Row(Random random, float[] thresholds, int nanEvery)
    {
        var row = new float[Slots];
        for (var s = 0; s < Slots; s++)
        {
            var threshold = thresholds[random.Next(thresholds.Length)];
            var value = random.Next(4) switch
            {
                0 => threshold,
                1 => MathF.BitDecrement(threshold),
                2 => MathF.BitIncrement(threshold),
                _ => Thresholds[random.Next(Thresholds.Length)],
            };
            // NaN only where asked (the NaN thresholds would bring it into complete rows too).
            row[s] = nanEvery > 0 && random.Next(nanEvery) == 0 ? float.NaN : float.IsNaN(value) ? 1.5f : value;
        }
        return row;
    }
}
