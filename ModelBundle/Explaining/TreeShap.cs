namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// Exact path-dependent TreeSHAP (Lundberg, Erion, Lee 2018, "Consistent individualized feature attribution for
/// tree ensembles", Algorithm 2): the Shapley values of one tree's output for one row, where a feature left out
/// of a coalition is integrated out by following both children of its splits weighted by their training covers.
/// O(leaves x depth^2) per tree. Adds into <c>phi</c> (one slot per player: an input column).
/// </summary>
internal static class TreeShap
{
    /// <summary>One element of the unique path: a feature (player) and the fractions of coalitions that reach here.</summary>
    private struct PathElement
    {
        public int Feature;
        /// <summary>Fraction of the training cover that follows this path when the feature is left out.</summary>
        public double Zero;
        /// <summary>1 when the row itself follows this path, else 0.</summary>
        public double One;
        /// <summary>Weight of the coalitions of each size (the paper's w).</summary>
        public double Weight;
    }

    /// <summary>Path storage for a tree of <paramref name="depth"/> splits: each level copies its parent's path.</summary>
    public static int PathLength(int depth) => (depth + 2) * (depth + 3) / 2;

    public static void Explain(ExplainTree tree, ReadOnlySpan<float> row, Span<double> phi)
    {
        if (tree.IsEmpty) return;
        Span<PathElement> path = tree.Depth <= 32
            ? stackalloc PathElement[PathLength(tree.Depth)]
            : new PathElement[PathLength(tree.Depth)];
        Recurse(tree, row, phi, path, node: 0, start: 0, depth: 0, zero: 1, one: 1, feature: -1);
    }

    /// <summary>
    /// <paramref name="start"/> is where the parent's path begins in <paramref name="storage"/>; this node's path, of
    /// <paramref name="depth"/> + 1 elements, is the parent's first <paramref name="depth"/> extended by
    /// (feature, zero, one), stored right after the parent's.
    /// </summary>
    private static void Recurse(ExplainTree tree, ReadOnlySpan<float> row, Span<double> phi, Span<PathElement> storage,
        int node, int start, int depth, double zero, double one, int feature)
    {
        var own = start + depth + 1;
        var path = storage[own..];
        storage.Slice(start, depth).CopyTo(path);
        Extend(path, depth, zero, one, feature, tree.Inverse);

        if (node < 0)
        {
            var value = tree.LeafValues[~node];
            for (var i = 1; i <= depth; i++)
            {
                var weight = UnwoundSum(path, depth, i, tree.Inverse);
                phi[path[i].Feature] += weight * (path[i].One - path[i].Zero) * value;
            }
            return;
        }

        var (hot, cold) = tree.Children(row, node);
        var cover = tree.Cover(node);
        // A node no training row reached: its children get no share (its own share upstream is already 0).
        var hotZero = cover > 0 ? tree.Cover(hot) / cover : 0;
        var coldZero = cover > 0 ? tree.Cover(cold) / cover : 0;
        double incomingZero = 1, incomingOne = 1;
        var split = tree.Column[node];
        // A player already on the path (the same column split higher up, or another slot of its one-hot): undo its
        // earlier extension and carry its fractions down, so each player appears once.
        var index = 1;
        while (index <= depth && path[index].Feature != split) index++;
        if (index <= depth)
        {
            incomingZero = path[index].Zero;
            incomingOne = path[index].One;
            Unwind(path, depth, index, tree.Inverse);
            depth--;
        }
        Child(tree, row, phi, storage, hot, own, depth + 1, hotZero * incomingZero, incomingOne, split);
        Child(tree, row, phi, storage, cold, own, depth + 1, coldZero * incomingZero, 0, split);
    }

    private static void Child(ExplainTree tree, ReadOnlySpan<float> row, Span<double> phi, Span<PathElement> storage,
        int child, int start, int depth, double zero, double one, int feature)
    {
        // Neither the row nor any training cover goes this way: every weight below would be 0 (and unwinding a
        // zero element would divide by it).
        if (zero == 0 && one == 0) return;
        Recurse(tree, row, phi, storage, child, start, depth, zero, one, feature);
    }

    // Path-dependent TreeSHAP only ever has One = 1 (the row's own way) or 0, so "/ one" is dropped below; the
    // divisions by small integers are multiplications by ExplainTree.Inverse (1/k), the algorithm's hot loops.

    private static void Extend(Span<PathElement> path, int depth, double zero, double one, int feature, ReadOnlySpan<double> inverse)
    {
        path[depth].Feature = feature;
        path[depth].Zero = zero;
        path[depth].One = one;
        path[depth].Weight = depth == 0 ? 1 : 0;
        var scale = inverse[depth + 1];
        for (var i = depth - 1; i >= 0; i--)
        {
            path[i + 1].Weight += one * path[i].Weight * (i + 1) * scale;
            path[i].Weight = zero * path[i].Weight * (depth - i) * scale;
        }
    }

    /// <summary>Removes element <paramref name="index"/> from a path of length <paramref name="depth"/> + 1.</summary>
    private static void Unwind(Span<PathElement> path, int depth, int index, ReadOnlySpan<double> inverse)
    {
        var one = path[index].One;
        var zero = path[index].Zero;
        var next = path[depth].Weight;
        var scale = inverse[depth + 1];
        if (one != 0)
        {
            for (var i = depth - 1; i >= 0; i--)
            {
                var previous = path[i].Weight;
                path[i].Weight = next * (depth + 1) * inverse[i + 1];
                next = previous - path[i].Weight * zero * (depth - i) * scale;
            }
        }
        else
        {
            var perZero = (depth + 1) / zero;
            for (var i = depth - 1; i >= 0; i--) path[i].Weight = path[i].Weight * perZero * inverse[depth - i];
        }
        for (var i = index; i < depth; i++)
        {
            path[i].Feature = path[i + 1].Feature;
            path[i].Zero = path[i + 1].Zero;
            path[i].One = path[i + 1].One;
        }
    }

    /// <summary>Total weight of the path with element <paramref name="index"/> unwound, without changing it.</summary>
    private static double UnwoundSum(Span<PathElement> path, int depth, int index, ReadOnlySpan<double> inverse)
    {
        var zero = path[index].Zero;
        var total = 0.0;
        if (path[index].One != 0)
        {
            var next = path[depth].Weight;
            var scale = inverse[depth + 1];
            for (var i = depth - 1; i >= 0; i--)
            {
                var weight = next * (depth + 1) * inverse[i + 1];
                total += weight;
                next = path[i].Weight - weight * zero * (depth - i) * scale;
            }
        }
        else if (zero != 0)
        {
            for (var i = depth - 1; i >= 0; i--) total += path[i].Weight * inverse[depth - i];
            total *= (depth + 1) / zero;
        }
        return total;
    }
}
