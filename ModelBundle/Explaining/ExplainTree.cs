using Microsoft.ML.Trainers.FastTree;
using MlOps.ModelBundle.Scoring;

namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// One regression tree as the explainer walks it: the evaluator's split semantics (<see cref="TreeEnsembleEvaluator"/>:
/// <c>value &lt;= threshold</c> goes left, NaN becomes the node's missing-value default first), each split's input
/// column (the Shapley player: the slots of a one-hot column are one player) and, once covers are known, how many
/// training rows reached each node.
/// </summary>
internal sealed class ExplainTree
{
    private ExplainTree(int[] slot, int[] column, float[] threshold, float[] missing, int[] left, int[] right, double[] leafValues, int depth)
    {
        Slot = slot;
        Column = column;
        Threshold = threshold;
        Missing = missing;
        Left = left;
        Right = right;
        LeafValues = leafValues;
        Depth = depth;
        SplitCover = new double[slot.Length];
        // Path lengths go up to Depth + 1 elements: 1/k for k up to Depth + 2 covers every index TreeShap uses.
        Inverse = new double[depth + 3];
        for (var k = 1; k < Inverse.Length; k++) Inverse[k] = 1.0 / k;
        LeafCover = new double[leafValues.Length];
    }

    public int[] Slot { get; }
    public int[] Column { get; }
    public float[] Threshold { get; }
    public float[] Missing { get; }
    /// <summary>Children: a split index, or <c>~leaf</c>.</summary>
    public int[] Left { get; }
    public int[] Right { get; }
    public double[] LeafValues { get; }
    /// <summary>Splits on the longest root-to-leaf path (0 for a tree without splits).</summary>
    public int Depth { get; }
    public double[] SplitCover { get; }
    /// <summary>1/k (TreeShap multiplies by these instead of dividing).</summary>
    public double[] Inverse { get; }
    public double[] LeafCover { get; }

    /// <summary>A tree without splits outputs 0 (InternalRegressionTree.GetOutput) and explains nothing.</summary>
    public bool IsEmpty => Slot.Length == 0;

    /// <summary>Training rows that reached the root.</summary>
    public double RootCover => IsEmpty ? 0 : SplitCover[0];

    public static ExplainTree? TryCreate(RegressionTree tree, Features.FeatureEncoder encoder, out string reason)
    {
        var splits = tree.NumberOfNodes;
        if (splits == 0)
        {
            reason = "";
            return new ExplainTree([], [], [], [], [], [], [0], 0);
        }
        if (!TreeEnsembleEvaluator.TryReadDefaults(tree, out var defaults))
        {
            reason = "cannot read ML.NET's missing-value defaults";
            return null;
        }
        var slot = new int[splits];
        var column = new int[splits];
        var threshold = new float[splits];
        var missing = new float[splits];
        var left = new int[splits];
        var right = new int[splits];
        var leaves = tree.LeafValues.Count;
        for (var n = 0; n < splits; n++)
        {
            if (tree.CategoricalSplitFlags[n])
            {
                reason = "a tree has a categorical split";
                return null;
            }
            slot[n] = tree.NumericalSplitFeatureIndexes[n];
            if (slot[n] < 0 || slot[n] >= encoder.Length)
            {
                reason = $"a tree splits on slot {slot[n]}, outside the {encoder.Length}-slot vector";
                return null;
            }
            column[n] = encoder.ColumnOfSlot(slot[n]);
            threshold[n] = tree.NumericalSplitThresholds[n];
            missing[n] = defaults is not null && n < defaults.Length ? defaults[n] : float.NaN;
            left[n] = tree.LeftChild[n];
            right[n] = tree.RightChild[n];
            if (!Valid(left[n], splits, leaves) || !Valid(right[n], splits, leaves))
            {
                reason = "a tree has a child out of range";
                return null;
            }
        }
        var depth = DepthOf(left, right);
        if (depth is null)
        {
            reason = "a tree is not a tree (a cycle)";
            return null;
        }
        reason = "";
        return new ExplainTree(slot, column, threshold, missing, left, right, tree.LeafValues.ToArray(), depth.Value);
    }

    /// <summary>The child a row goes to from split <paramref name="node"/>, and the other one.</summary>
    public (int Hot, int Cold) Children(ReadOnlySpan<float> row, int node)
    {
        var value = row[Slot[node]];
        if (float.IsNaN(value)) value = Missing[node];
        return value <= Threshold[node] ? (Left[node], Right[node]) : (Right[node], Left[node]);
    }

    /// <summary>The leaf a row reaches.</summary>
    public int LeafOf(ReadOnlySpan<float> row)
    {
        if (IsEmpty) return 0;
        var node = 0;
        while (node >= 0) node = Children(row, node).Hot;
        return ~node;
    }

    public double Cover(int node) => node >= 0 ? SplitCover[node] : LeafCover[~node];

    /// <summary>Sets leaf covers (training rows per leaf) and sums them up into the splits.</summary>
    public void SetCovers(ReadOnlySpan<double> leafCovers)
    {
        leafCovers.CopyTo(LeafCover);
        if (!IsEmpty) SumCover(0);
    }

    private double SumCover(int node) =>
        node < 0 ? LeafCover[~node] : SplitCover[node] = SumCover(Left[node]) + SumCover(Right[node]);

    /// <summary>The tree's expected output over the training rows: leaf values weighted by their covers.</summary>
    public double ExpectedValue()
    {
        if (IsEmpty) return 0;
        var sum = 0.0;
        for (var l = 0; l < LeafValues.Length; l++) sum += LeafValues[l] * LeafCover[l];
        return sum / RootCover;
    }

    private static bool Valid(int child, int splits, int leaves) => child >= 0 ? child < splits : ~child < leaves;

    private static int? DepthOf(int[] left, int[] right)
    {
        var deepest = 0;
        var stack = new Stack<(int Node, int Depth)>();
        stack.Push((0, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (node < 0)
            {
                deepest = Math.Max(deepest, depth);
                continue;
            }
            if (depth >= left.Length) return null;
            stack.Push((left[node], depth + 1));
            stack.Push((right[node], depth + 1));
        }
        return deepest;
    }
}
