using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;

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

    public static ExplainTree? TryCreate(DecisionTree tree, Features.FeatureEncoder encoder, out string reason)
    {
        if (tree.Problem(encoder.Length, out var depth) is { } problem)
        {
            reason = $"a tree is not valid: {problem}";
            return null;
        }
        reason = "";
        // A tree without splits outputs 0, whatever leaf value it was given (InternalRegressionTree.GetOutput).
        if (tree.SplitCount == 0) return new ExplainTree([], [], [], [], [], [], [0], 0);
        if (depth > MaxDepth)
        {
            reason = $"a tree {depth} splits deep, more than the {MaxDepth} TreeSHAP recurses through";
            return null;
        }
        var column = tree.Feature.Select(encoder.ColumnOfSlot).ToArray();
        return new ExplainTree(tree.Feature, column, tree.Threshold, tree.Missing, tree.Left, tree.Right, tree.LeafValues, depth);
    }

    /// <summary>
    /// TreeShap and the cover sums recurse once per level, and TreeShap's path arrays grow with depth squared: a
    /// bound far above LightGBM's trees here (31 leaves: at most 30 deep) keeps a chain-shaped tree from overflowing
    /// the stack.
    /// </summary>
    public const int MaxDepth = 1024;

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
}
