using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.Trainers.FastTree;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// A LightGBM ensemble as ML.NET 5 evaluates it (InternalTreeEnsemble.GetOutput / InternalRegressionTree.GetLeaf),
/// flattened into one node array: ML.NET's own walk costs ~13 us for 300 trees of 31 leaves, this one a fraction.
/// Immutable, so one instance serves every thread. Semantics copied from ML.NET:
/// <list type="bullet">
/// <item>a node goes left when <c>value &lt;= threshold</c> (float compare), right otherwise;</item>
/// <item>a NaN value is replaced by the node's DefaultValueForMissing (LightGBM's default direction as ML.NET
/// converted it: threshold for default-left, threshold + 1 for default-right), but only in trees where that array
/// is not all zeros: ML.NET drops an all-zero array, and then NaN stays NaN and goes right;</item>
/// <item>a negative child is a leaf, <c>~child</c>; a tree with no split outputs 0;</item>
/// <item>the output is the double sum of leaf values in tree order, cast to float (no tree weight, no bias).</item>
/// </list>
/// </summary>
internal sealed class TreeEnsembleEvaluator
{
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Node(int feature, float threshold, float missing, int left, int right)
    {
        public readonly int Feature = feature;
        public readonly float Threshold = threshold;
        /// <summary>What a NaN value becomes at this node (NaN itself when the tree keeps NaN).</summary>
        public readonly float Missing = missing;
        /// <summary>Index into the node array, or <c>~leaf</c> (index into the leaf array).</summary>
        public readonly int Left = left;
        public readonly int Right = right;
    }

    private readonly Node[] _nodes;
    private readonly double[] _leaves;
    /// <summary>Per tree: its root node, or <c>~leaf</c> for a tree without splits.</summary>
    private readonly int[] _roots;

    private readonly int _vectorLength;

    private TreeEnsembleEvaluator(Node[] nodes, double[] leaves, int[] roots, int vectorLength)
    {
        _vectorLength = vectorLength;
        _nodes = nodes;
        _leaves = leaves;
        _roots = roots;
    }

    public int TreeCount => _roots.Length;

    /// <summary>
    /// Flattens an ensemble, or returns null with the reason when it has something this evaluator does not
    /// reproduce exactly (categorical splits, a feature outside the vector, ML.NET internals it cannot read).
    /// </summary>
    public static TreeEnsembleEvaluator? TryCreate(RegressionTreeEnsemble ensemble, int vectorLength, out string reason)
    {
        // ML.NET's output ignores TreeWeights and Bias (InternalTreeEnsemble.GetOutput sums leaf values); refuse
        // an ensemble where they would matter, so that a future ML.NET that uses them cannot silently differ.
        if (ensemble.Bias != 0)
        {
            reason = $"ensemble bias {ensemble.Bias} is not supported";
            return null;
        }
        foreach (var weight in ensemble.TreeWeights)
        {
            if (weight != 1.0)
            {
                reason = $"tree weight {weight} is not supported";
                return null;
            }
        }

        var nodes = new List<Node>();
        var leaves = new List<double>();
        var roots = new int[ensemble.Trees.Count];
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            if (tree.NumberOfNodes == 0)
            {
                // InternalRegressionTree.GetOutput returns 0 for a tree without splits.
                roots[t] = ~leaves.Count;
                leaves.Add(0);
                continue;
            }
            if (!TryReadDefaults(tree, out var defaults))
            {
                reason = "cannot read ML.NET's missing-value defaults (InternalRegressionTree.DefaultValueForMissing)";
                return null;
            }
            if (defaults is not null && defaults.Length < tree.NumberOfNodes)
            {
                reason = $"tree {t} has {defaults.Length} missing-value defaults for {tree.NumberOfNodes} nodes";
                return null;
            }
            var nodeBase = nodes.Count;
            var leafBase = leaves.Count;
            for (var n = 0; n < tree.NumberOfNodes; n++)
            {
                if (tree.CategoricalSplitFlags[n])
                {
                    reason = $"tree {t} has a categorical split";
                    return null;
                }
                var feature = tree.NumericalSplitFeatureIndexes[n];
                if (feature < 0 || feature >= vectorLength)
                {
                    reason = $"tree {t} splits on feature {feature}, outside the {vectorLength}-slot vector";
                    return null;
                }
                nodes.Add(new Node(feature, tree.NumericalSplitThresholds[n], defaults is null ? float.NaN : defaults[n],
                    Remap(tree.LeftChild[n], nodeBase, leafBase), Remap(tree.RightChild[n], nodeBase, leafBase)));
            }
            foreach (var value in tree.LeafValues) leaves.Add(value);
            roots[t] = nodeBase;
        }

        // A corrupt child index would loop or read out of range in the unchecked walk: check every one now.
        foreach (var node in nodes)
        {
            foreach (var child in (ReadOnlySpan<int>)[node.Left, node.Right])
            {
                if (child >= 0 ? child >= nodes.Count : ~child >= leaves.Count)
                {
                    reason = $"child index {child} is out of range";
                    return null;
                }
            }
        }
        reason = "";
        return new TreeEnsembleEvaluator(nodes.ToArray(), leaves.ToArray(), roots, vectorLength);
    }

    private static int Remap(int child, int nodeBase, int leafBase) => child >= 0 ? nodeBase + child : ~(leafBase + ~child);

    // The public RegressionTree does not expose DefaultValueForMissing, which decides where NaN goes; read it from
    // the wrapped InternalRegressionTree. Null result = ML.NET keeps NaN as is (the array was absent or all zeros).
    private static readonly FieldInfo? TreeField =
        typeof(RegressionTreeBase).GetField("_tree", BindingFlags.Instance | BindingFlags.NonPublic);

    private static bool TryReadDefaults(RegressionTreeBase tree, out float[]? defaults)
    {
        defaults = null;
        var inner = TreeField?.GetValue(tree);
        var field = inner?.GetType().GetField("DefaultValueForMissing", BindingFlags.Instance | BindingFlags.Public);
        if (field is null || field.FieldType != typeof(float[])) return false;
        defaults = (float[]?)field.GetValue(inner);
        return true;
    }

    /// <summary>
    /// Rows for checking this evaluator against ML.NET at load: all missing, all zero, then random rows whose
    /// slots sit exactly on a split threshold, one float step either side of one, at 0, or missing.
    /// </summary>
    public IEnumerable<float[]> ProbeRows(Features.FeatureEncoder encoder, int count, int seed)
    {
        var thresholds = new List<float>[_vectorLength];
        for (var f = 0; f < thresholds.Length; f++) thresholds[f] = [];
        foreach (var node in _nodes) thresholds[node.Feature].Add(node.Threshold);

        var missing = new float[_vectorLength];
        encoder.Reset(missing);
        yield return missing;
        yield return new float[_vectorLength];
        var random = new Random(seed);
        for (var r = 0; r < count; r++)
        {
            var row = new float[_vectorLength];
            for (var f = 0; f < row.Length; f++)
            {
                var splits = thresholds[f];
                var threshold = splits.Count > 0 ? splits[random.Next(splits.Count)] : 1f;
                row[f] = random.Next(5) switch
                {
                    0 => float.NaN,
                    1 => 0f,
                    2 => MathF.BitDecrement(threshold),
                    3 => MathF.BitIncrement(threshold),
                    _ => threshold,
                };
            }
            yield return row;
        }
    }

    /// <summary>The ensemble's raw output (ML.NET's Score) for one encoded row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Evaluate(ReadOnlySpan<float> features)
    {
        // ML.NET rejects a vector of another length too; checked here, the walk below reads without bounds checks
        // (every node and child index was validated in TryCreate).
        if (features.Length != _vectorLength)
            throw new ArgumentException($"Expected {_vectorLength} features, got {features.Length}.", nameof(features));
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var feature0 = ref MemoryMarshal.GetReference(features);
        var leaves = _leaves;
        var sum = 0.0;
        foreach (var root in _roots)
        {
            var index = root;
            while (index >= 0)
            {
                ref readonly var node = ref Unsafe.Add(ref nodes, index);
                var value = Unsafe.Add(ref feature0, node.Feature);
                if (float.IsNaN(value)) value = node.Missing;
                index = value <= node.Threshold ? node.Left : node.Right;
            }
            sum += leaves[~index];
        }
        return (float)sum;
    }
}
