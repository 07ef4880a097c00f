namespace MlOps.ModelBundle.Trees;

/// <summary>
/// One regression tree without ML.NET types: what the tree evaluator and the explainer walk, and what a bundle's
/// <c>trees.json</c> holds. Split <c>n</c> sends a row left when <c>value &lt;= Threshold[n]</c> (a NaN value is
/// replaced by <c>Missing[n]</c> first; NaN there means it stays NaN and goes right). A child is a split index, or
/// <c>~leaf</c> into <see cref="LeafValues"/>. A tree without splits has one leaf and outputs 0.
/// </summary>
public sealed record DecisionTree(int[] Feature, float[] Threshold, float[] Missing, int[] Left, int[] Right, double[] LeafValues)
{
    public int SplitCount => Feature.Length;

    /// <summary>
    /// Null when the arrays make a binary tree over a vector of <paramref name="vectorLength"/> slots (split 0 the
    /// root, every other split and every leaf the child of exactly one split, all reachable), with its
    /// <paramref name="depth"/> (splits on the longest root-to-leaf path, 0 without splits); else what is wrong.
    /// A <c>trees.json</c> is data from outside the process: checked in time linear in its size, before any walk.
    /// </summary>
    public string? Problem(int vectorLength, out int depth)
    {
        depth = 0;
        if (Feature is null || Threshold is null || Missing is null || Left is null || Right is null || LeafValues is null)
            return "a missing array";
        var splits = Feature.Length;
        if (Threshold.Length != splits || Missing.Length != splits || Left.Length != splits || Right.Length != splits)
            return "split arrays of different lengths";
        if (LeafValues.Length != splits + 1) return $"{LeafValues.Length} leaves for {splits} splits";
        var parents = new int[splits];
        var leafParents = new int[LeafValues.Length];
        for (var n = 0; n < splits; n++)
        {
            if (Feature[n] < 0 || Feature[n] >= vectorLength) return $"a split on slot {Feature[n]}, outside the {vectorLength}-slot vector";
            foreach (var child in (ReadOnlySpan<int>)[Left[n], Right[n]])
            {
                if (child >= splits || ~child >= LeafValues.Length) return $"node {n} has a child out of range";
                if (child == 0) return "the root is a child";
                if ((child > 0 ? ++parents[child] : ++leafParents[~child]) > 1) return "a node with two parents";
            }
        }
        // Every child has one parent and the counts add up (2 x splits children); a split never reached from the
        // root would sit in a cycle of its own.
        if (Depth() is not { } deepest) return "splits not reachable from the root";
        depth = deepest;
        return null;
    }

    /// <summary>
    /// Splits on the longest root-to-leaf path; null when some split is not reached from the root. Linear in the
    /// tree's size once every node has one parent (checked before by <see cref="Problem"/>).
    /// </summary>
    private int? Depth()
    {
        if (Feature.Length == 0) return 0;
        var deepest = 0;
        var visited = 0;
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
            // A tree whose unreached splits form a cycle: stop at the split count.
            if (++visited > Feature.Length) return null;
            stack.Push((Left[node], depth + 1));
            stack.Push((Right[node], depth + 1));
        }
        return visited == Feature.Length ? deepest : null;
    }
}
