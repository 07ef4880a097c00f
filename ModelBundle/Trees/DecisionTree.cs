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

    /// <summary>Null when the arrays do not make a tree over a vector of <paramref name="vectorLength"/> slots; else the reason.</summary>
    public string? Problem(int vectorLength)
    {
        var splits = Feature.Length;
        if (Threshold.Length != splits || Missing.Length != splits || Left.Length != splits || Right.Length != splits)
            return "split arrays of different lengths";
        if (LeafValues.Length == 0) return "no leaf";
        for (var n = 0; n < splits; n++)
        {
            if (Feature[n] < 0 || Feature[n] >= vectorLength) return $"a split on slot {Feature[n]}, outside the {vectorLength}-slot vector";
            if (!ValidChild(Left[n], splits) || !ValidChild(Right[n], splits)) return $"node {n} has a child out of range";
        }
        return splits > 0 && Depth() is null ? "not a tree (a cycle)" : null;
    }

    /// <summary>Splits on the longest root-to-leaf path, or null when some path is longer than the tree has splits (a cycle).</summary>
    public int? Depth()
    {
        if (Feature.Length == 0) return 0;
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
            if (depth >= Feature.Length) return null;
            stack.Push((Left[node], depth + 1));
            stack.Push((Right[node], depth + 1));
        }
        return deepest;
    }

    private bool ValidChild(int child, int splits) => child >= 0 ? child < splits : ~child < LeafValues.Length;
}
