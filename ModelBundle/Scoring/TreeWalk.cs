using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// Trees walked node by node, for ensembles <see cref="LeafMasks"/> cannot take (a tree of more than 32 leaves, or
/// no 256-bit vectors; or when asked, for comparison): one row walks 16 trees side by side, trees of similar depth together whichever ensemble
/// they belong to; a block of 16 rows walks each tree for its 16 rows side by side. All nodes in one array, splits
/// first, then leaves. Same semantics as <see cref="TreeEnsembleEvaluator"/> describes.
/// </summary>
internal sealed class TreeWalk
{
    /// <summary>
    /// Trees walked side by side: their node chains are independent, so the CPU overlaps them. bench/scoring on
    /// the Ames model: 8 lanes 5.1 us/row, 16 lanes 4.4, 24 lanes 4.7 (registers spill), 32 lanes 4.9.
    /// </summary>
    public const int Lanes = 16;

    /// <summary>
    /// A split, or a leaf: a leaf is a node whose two children are itself, so stepping a finished tree is harmless
    /// and <see cref="Lanes"/> trees step together until the last of them reaches a leaf.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Node(int feature, float threshold, float missing, int left, int right)
    {
        public int Feature = feature;
        public float Threshold = threshold;
        /// <summary>What a NaN value becomes at this node (NaN itself when the tree keeps NaN).</summary>
        public float Missing = missing;
        /// <summary>Children side by side: [0] when <c>value &lt;= threshold</c>, [1] otherwise.</summary>
        public int Left = left;
        public int Right = right;
    }

    private readonly Node[] _nodes;
    /// <summary>Leaf value per node index (0 for splits).</summary>
    private readonly double[] _values;
    /// <summary>Per tree, padded with a zero-valued leaf to a multiple of <see cref="Lanes"/>.</summary>
    private readonly int[] _roots;
    /// <summary>Trees in walking order (deepest first, <see cref="Lanes"/> at a time); sums still go in tree order.</summary>
    private readonly int[] _order;
    /// <summary>Per ensemble (output), the end of its trees in tree order; the last one is the real tree count.</summary>
    private readonly int[] _ends;
    /// <summary>Nodes from here on are leaves.</summary>
    private readonly int _leafStart;
    /// <summary>
    /// The nodes again for <see cref="EvaluateBlock"/>: the same splits, with Feature = the offset of its slot's 16
    /// row values in a block's transposed copy.
    /// </summary>
    private readonly Node[] _blockNodes;

    private TreeWalk(Node[] nodes, double[] values, int[] roots, int[] order, int[] ends, int leafStart, Node[] blockNodes)
    {
        _nodes = nodes;
        _values = values;
        _roots = roots;
        _order = order;
        _ends = ends;
        _leafStart = leafStart;
        _blockNodes = blockNodes;
    }

    /// <summary>
    /// Flattens trees already checked by <see cref="DecisionTree.Problem"/> (with the <paramref name="depths"/> it
    /// gave), ensembles ending at <paramref name="ends"/>; <paramref name="valuesOffset"/> gives a slot's offset in
    /// a block's transposed copy.
    /// </summary>
    public static TreeWalk Create(IReadOnlyList<DecisionTree> trees, int[] depths, int[] ends, Func<int, int> valuesOffset)
    {
        // All splits first, then all leaves, so "index >= leafStart" tells a finished walk. Leaf indices are
        // kept negative (~leaf) while building and moved past the splits at the end.
        var splitNodes = new List<Node>();
        var leafValues = new List<double>();
        var treeCount = trees.Count;
        var roots = new int[(treeCount + Lanes - 1) / Lanes * Lanes];
        for (var t = 0; t < treeCount; t++)
        {
            var tree = trees[t];
            if (tree.SplitCount == 0)
            {
                // A tree without splits outputs 0 (InternalRegressionTree.GetOutput).
                roots[t] = ~leafValues.Count;
                leafValues.Add(0);
                continue;
            }
            var splitBase = splitNodes.Count;
            var leafBase = leafValues.Count;
            for (var n = 0; n < tree.SplitCount; n++)
            {
                int Map(int child) => child >= 0 ? splitBase + child : ~(leafBase + ~child);
                splitNodes.Add(new Node(tree.Feature[n], tree.Threshold[n], tree.Missing[n], Map(tree.Left[n]), Map(tree.Right[n])));
            }
            leafValues.AddRange(tree.LeafValues);
            roots[t] = splitBase;
        }
        // Padding trees: a zero leaf each, so every group has Lanes trees.
        for (var t = treeCount; t < roots.Length; t++)
        {
            roots[t] = ~leafValues.Count;
            leafValues.Add(0);
        }

        var leafStart = splitNodes.Count;
        int Final(int index) => index >= 0 ? index : leafStart + ~index;
        var nodes = new Node[leafStart + leafValues.Count];
        var blockNodes = new Node[nodes.Length];
        var values = new double[nodes.Length];
        for (var n = 0; n < leafStart; n++)
        {
            var split = splitNodes[n];
            nodes[n] = new Node(split.Feature, split.Threshold, split.Missing, Final(split.Left), Final(split.Right));
            blockNodes[n] = new Node(valuesOffset(split.Feature), split.Threshold, split.Missing, Final(split.Left), Final(split.Right));
        }
        for (var l = 0; l < leafValues.Count; l++)
        {
            // Leaves keep feature 0: stepping them reads lane values at offset 0..15, inside any block copy.
            nodes[leafStart + l] = blockNodes[leafStart + l] = new Node(0, 0, 0, leafStart + l, leafStart + l);
            values[leafStart + l] = leafValues[l];
        }
        for (var t = 0; t < roots.Length; t++) roots[t] = Final(roots[t]);
        // A group steps until its deepest walk ends: grouping trees of similar depth wastes fewer steps.
        var order = Enumerable.Range(0, roots.Length).OrderByDescending(t => t < treeCount ? depths[t] : 0).ThenBy(t => t).ToArray();
        return new TreeWalk(nodes, values, roots, order, ends, leafStart, blockNodes);
    }

    /// <summary>Each ensemble's output for one row of the vector's length (checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(ReadOnlySpan<float> features, bool hasNaN, Span<float> outputs)
    {
        // The leaf each tree reached, by tree: on the stack, not the heap (the evaluator caps the tree count).
        Span<int> reached = stackalloc int[_roots.Length];
        // A row without missing values (the usual case) skips the NaN test at every step.
        if (hasNaN) Walk<WithMissing>(features, reached);
        else Walk<Complete>(features, reached);
        // Each ensemble's leaves added one by one in its tree order, as ML.NET does: the same double rounding, the
        // same float result (the padding trees after the last ensemble are left out).
        ref var values = ref MemoryMarshal.GetArrayDataReference(_values);
        ref var leaf = ref MemoryMarshal.GetReference(reached);
        var t = 0;
        for (var e = 0; e < _ends.Length; e++)
        {
            var sum = 0.0;
            for (var end = _ends[e]; t < end; t++) sum += Unsafe.Add(ref values, Unsafe.Add(ref leaf, t));
            outputs[e] = (float)sum;
        }
    }

    /// <summary>The leaf each tree reaches for one row, <see cref="Lanes"/> trees side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Walk<TStep>(ReadOnlySpan<float> features, Span<int> reached) where TStep : struct, IStep
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var row = ref MemoryMarshal.GetReference(features);
        var roots = _roots;
        var order = _order;
        ref var leaf = ref MemoryMarshal.GetReference(reached);
        // lastSplit - n is negative exactly for leaves: a group is done when all its lanes are (Lanes = 16, unrolled).
        var lastSplit = _leafStart - 1;
        for (var g = 0; g < order.Length; g += Lanes)
        {
            int t0 = order[g], t1 = order[g + 1], t2 = order[g + 2], t3 = order[g + 3];
            int t4 = order[g + 4], t5 = order[g + 5], t6 = order[g + 6], t7 = order[g + 7];
            int t8 = order[g + 8], t9 = order[g + 9], t10 = order[g + 10], t11 = order[g + 11];
            int t12 = order[g + 12], t13 = order[g + 13], t14 = order[g + 14], t15 = order[g + 15];
            int n0 = roots[t0], n1 = roots[t1], n2 = roots[t2], n3 = roots[t3];
            int n4 = roots[t4], n5 = roots[t5], n6 = roots[t6], n7 = roots[t7];
            int n8 = roots[t8], n9 = roots[t9], n10 = roots[t10], n11 = roots[t11];
            int n12 = roots[t12], n13 = roots[t13], n14 = roots[t14], n15 = roots[t15];
            while (((lastSplit - n0) & (lastSplit - n1) & (lastSplit - n2) & (lastSplit - n3)
                    & (lastSplit - n4) & (lastSplit - n5) & (lastSplit - n6) & (lastSplit - n7)
                    & (lastSplit - n8) & (lastSplit - n9) & (lastSplit - n10) & (lastSplit - n11)
                    & (lastSplit - n12) & (lastSplit - n13) & (lastSplit - n14) & (lastSplit - n15)) >= 0)
            {
                n0 = TStep.Step(ref nodes, ref row, n0);
                n1 = TStep.Step(ref nodes, ref row, n1);
                n2 = TStep.Step(ref nodes, ref row, n2);
                n3 = TStep.Step(ref nodes, ref row, n3);
                n4 = TStep.Step(ref nodes, ref row, n4);
                n5 = TStep.Step(ref nodes, ref row, n5);
                n6 = TStep.Step(ref nodes, ref row, n6);
                n7 = TStep.Step(ref nodes, ref row, n7);
                n8 = TStep.Step(ref nodes, ref row, n8);
                n9 = TStep.Step(ref nodes, ref row, n9);
                n10 = TStep.Step(ref nodes, ref row, n10);
                n11 = TStep.Step(ref nodes, ref row, n11);
                n12 = TStep.Step(ref nodes, ref row, n12);
                n13 = TStep.Step(ref nodes, ref row, n13);
                n14 = TStep.Step(ref nodes, ref row, n14);
                n15 = TStep.Step(ref nodes, ref row, n15);
            }
            // Tree ids come from _order, a permutation of 0..roots.Length-1: in range.
            Unsafe.Add(ref leaf, t0) = n0;
            Unsafe.Add(ref leaf, t1) = n1;
            Unsafe.Add(ref leaf, t2) = n2;
            Unsafe.Add(ref leaf, t3) = n3;
            Unsafe.Add(ref leaf, t4) = n4;
            Unsafe.Add(ref leaf, t5) = n5;
            Unsafe.Add(ref leaf, t6) = n6;
            Unsafe.Add(ref leaf, t7) = n7;
            Unsafe.Add(ref leaf, t8) = n8;
            Unsafe.Add(ref leaf, t9) = n9;
            Unsafe.Add(ref leaf, t10) = n10;
            Unsafe.Add(ref leaf, t11) = n11;
            Unsafe.Add(ref leaf, t12) = n12;
            Unsafe.Add(ref leaf, t13) = n13;
            Unsafe.Add(ref leaf, t14) = n14;
            Unsafe.Add(ref leaf, t15) = n15;
        }
    }

    /// <summary>A block's 16 rows from their transposed copy (16 values per slot), outputs row after row.</summary>
    public void EvaluateBlock(Span<float> values, bool hasNaN, Span<float> outputs)
    {
        if (hasNaN) WalkBlock<WithMissing>(values, outputs);
        else WalkBlock<Complete>(values, outputs);
    }

    /// <summary>Every tree for a block's <see cref="Lanes"/> rows side by side, over their transposed copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WalkBlock<TStep>(Span<float> scratch, Span<float> outputs) where TStep : struct, IStep
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_blockNodes);
        ref var x = ref MemoryMarshal.GetReference(scratch);
        ref var values = ref MemoryMarshal.GetArrayDataReference(_values);
        var roots = _roots;
        var lastSplit = _leafStart - 1;
        Span<double> sums = stackalloc double[Lanes];
        var t = 0;
        for (var e = 0; e < _ends.Length; e++)
        {
            sums.Clear();
            for (var end = _ends[e]; t < end; t++)
            {
                var root = roots[t];
                int n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
                int n8 = root, n9 = root, n10 = root, n11 = root, n12 = root, n13 = root, n14 = root, n15 = root;
                while (((lastSplit - n0) & (lastSplit - n1) & (lastSplit - n2) & (lastSplit - n3)
                        & (lastSplit - n4) & (lastSplit - n5) & (lastSplit - n6) & (lastSplit - n7)
                        & (lastSplit - n8) & (lastSplit - n9) & (lastSplit - n10) & (lastSplit - n11)
                        & (lastSplit - n12) & (lastSplit - n13) & (lastSplit - n14) & (lastSplit - n15)) >= 0)
                {
                    n0 = TStep.Step(ref nodes, ref x, n0);
                    n1 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 1), n1);
                    n2 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 2), n2);
                    n3 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 3), n3);
                    n4 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 4), n4);
                    n5 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 5), n5);
                    n6 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 6), n6);
                    n7 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 7), n7);
                    n8 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 8), n8);
                    n9 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 9), n9);
                    n10 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 10), n10);
                    n11 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 11), n11);
                    n12 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 12), n12);
                    n13 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 13), n13);
                    n14 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 14), n14);
                    n15 = TStep.Step(ref nodes, ref Unsafe.Add(ref x, 15), n15);
                }
                sums[0] += Unsafe.Add(ref values, n0);
                sums[1] += Unsafe.Add(ref values, n1);
                sums[2] += Unsafe.Add(ref values, n2);
                sums[3] += Unsafe.Add(ref values, n3);
                sums[4] += Unsafe.Add(ref values, n4);
                sums[5] += Unsafe.Add(ref values, n5);
                sums[6] += Unsafe.Add(ref values, n6);
                sums[7] += Unsafe.Add(ref values, n7);
                sums[8] += Unsafe.Add(ref values, n8);
                sums[9] += Unsafe.Add(ref values, n9);
                sums[10] += Unsafe.Add(ref values, n10);
                sums[11] += Unsafe.Add(ref values, n11);
                sums[12] += Unsafe.Add(ref values, n12);
                sums[13] += Unsafe.Add(ref values, n13);
                sums[14] += Unsafe.Add(ref values, n14);
                sums[15] += Unsafe.Add(ref values, n15);
            }
            for (var lane = 0; lane < Lanes; lane++) outputs[lane * _ends.Length + e] = (float)sums[lane];
        }
    }

    /// <summary>One step of one walk: the child of node <c>index</c> that the row's value leads to.</summary>
    private interface IStep
    {
        static abstract int Step(ref Node nodes, ref float row, int index);
    }

    /// <summary>The general step: a NaN value is replaced by the node's Missing value first.</summary>
    private readonly struct WithMissing : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step(ref Node nodes, ref float row, int index)
        {
            ref var node = ref Unsafe.Add(ref nodes, index);
            var value = Unsafe.Add(ref row, node.Feature);
            if (float.IsNaN(value)) value = node.Missing;
            // InternalRegressionTree.GetLeaf: "<=" goes left, anything else (NaN too) right. Indexing the child pair
            // instead of branching: which way a split goes is unpredictable, a mispredicted branch costs more.
            return Unsafe.Add(ref node.Left, value <= node.Threshold ? 0 : 1);
        }
    }

    /// <summary>
    /// The step for values known not to be NaN (the row or block was checked once): <see cref="WithMissing"/>
    /// without its test, which every step paid for although NaN is rare (bench/scoring: ~10-14% of the walk).
    /// </summary>
    private readonly struct Complete : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step(ref Node nodes, ref float row, int index)
        {
            ref var node = ref Unsafe.Add(ref nodes, index);
            return Unsafe.Add(ref node.Left, Unsafe.Add(ref row, node.Feature) <= node.Threshold ? 0 : 1);
        }
    }
}
