using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// LightGBM ensembles as ML.NET 5 evaluates them (InternalTreeEnsemble.GetOutput / InternalRegressionTree.GetLeaf):
/// one, or one per class of a multiclass model, each giving one output, flattened together into one node array and
/// scored by <see cref="LeafMasks"/> when every tree has at most 32 leaves, else walked 16 trees at a time, trees of
/// similar depth together whichever ensemble they belong to (bench/scoring: the walk about 8x faster than ML.NET's
/// PredictionEngine on the 300-tree Ames model, leaf masks 1.4x faster again for one row, 2x for 16).
/// Immutable, so one instance serves every thread. Semantics copied from ML.NET:
/// <list type="bullet">
/// <item>a node goes left when <c>value &lt;= threshold</c> (float compare), right otherwise;</item>
/// <item>a NaN value is replaced by the node's DefaultValueForMissing (LightGBM's default direction as ML.NET
/// converted it: threshold for default-left, threshold + 1 for default-right), but only in trees where that array
/// is not all zeros: ML.NET drops an all-zero array, and then NaN stays NaN and goes right;</item>
/// <item>a negative child is a leaf, <c>~child</c>; a tree with no split outputs 0;</item>
/// <item>an ensemble's output is the double sum of its leaf values in tree order, cast to float (no tree weight,
/// no bias).</item>
/// </list>
/// </summary>
internal sealed class TreeEnsembleEvaluator
{
    /// <summary>
    /// Trees walked side by side: their node chains are independent, so the CPU overlaps them. bench/scoring on
    /// the Ames model: 8 lanes 5.1 us/row, 16 lanes 4.4, 24 lanes 4.7 (registers spill), 32 lanes 4.9.
    /// </summary>
    private const int Lanes = 16;

    /// <summary>Evaluate keeps one int per tree on the stack: 16 KB at most.</summary>
    private const int MaxTrees = 4096;

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
    private readonly int _vectorLength;

    /// <summary>
    /// The nodes again for <see cref="EvaluateBlock"/>: the same splits, with Feature = the feature's position in
    /// <see cref="_used"/> times <see cref="Lanes"/>, the offset of its 16 row values in a block's transposed copy.
    /// </summary>
    private readonly Node[] _blockNodes;
    /// <summary>The vector slots some split reads, in slot order (a block copies only these).</summary>
    private readonly int[] _used;

    /// <summary>The block path without walks, when every tree has at most 32 leaves (else null: blocks walk).</summary>
    private readonly LeafMasks? _masks;

    private TreeEnsembleEvaluator(Node[] nodes, double[] values, int[] roots, int[] order, int[] ends, int leafStart, int vectorLength, IReadOnlyList<DecisionTree> trees)
    {
        _order = order;
        _ends = ends;
        _nodes = nodes;
        _values = values;
        _roots = roots;
        _leafStart = leafStart;
        _vectorLength = vectorLength;
        var dense = new int[vectorLength];
        Array.Fill(dense, -1);
        for (var n = 0; n < leafStart; n++) dense[nodes[n].Feature] = 0;
        var used = new List<int>();
        for (var f = 0; f < vectorLength; f++)
            if (dense[f] == 0) { dense[f] = used.Count; used.Add(f); }
        _used = used.ToArray();
        _blockNodes = new Node[nodes.Length];
        for (var n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            // Leaves keep feature 0: stepping them reads lane values at offset 0..15, inside any block copy.
            var feature = n < leafStart ? dense[node.Feature] * Lanes : 0;
            _blockNodes[n] = new Node(feature, node.Threshold, node.Missing, node.Left, node.Right);
        }
        _masks = LeafMasks.TryCreate(trees, ends, slot => dense[slot] * Lanes);
    }

    /// <summary>Rows <see cref="EvaluateBlock"/> scores together.</summary>
    public const int BlockRows = Lanes;

    /// <summary>Floats of the transposed copy <see cref="EvaluateBlock"/> needs (<see cref="BlockRows"/> per used slot).</summary>
    public int BlockScratchLength => ValuesLength + (_masks?.MaskLength ?? 0);

    /// <summary>The transposed copy's floats at the start of a block's scratch (the leaf masks, if any, follow).</summary>
    private int ValuesLength => Math.Max(1, _used.Length) * Lanes;

    /// <summary>Whether blocks are scored by leaf masks (<see cref="LeafMasks"/>) rather than walked.</summary>
    public bool UsesLeafMasks => _masks is not null;

    /// <summary>Outputs per row: one per ensemble.</summary>
    public int OutputCount => _ends.Length;

    /// <summary>
    /// Flattens ensembles (one output each), or returns null with the reason when one is not a valid tree over the
    /// vector (a feature outside it, a child out of range, a cycle: a corrupt <c>trees.json</c> is refused here).
    /// </summary>
    public static TreeEnsembleEvaluator? TryCreate(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, int vectorLength, out string reason)
    {
        var trees = new List<DecisionTree>();
        var ends = new int[ensembles.Count];
        for (var e = 0; e < ensembles.Count; e++)
        {
            trees.AddRange(ensembles[e]);
            ends[e] = trees.Count;
        }
        if (ensembles.Count == 0)
        {
            reason = "no ensemble";
            return null;
        }
        if (trees.Count > MaxTrees)
        {
            reason = $"{trees.Count} trees: more than the {MaxTrees} the evaluator keeps on the stack";
            return null;
        }
        if (vectorLength < 1)
        {
            reason = "empty feature vector";
            return null;
        }

        // All splits first, then all leaves, so "index >= leafStart" tells a finished walk. Leaf indices are
        // kept negative (~leaf) while building and moved past the splits at the end.
        var splitNodes = new List<Node>();
        var leafValues = new List<double>();
        var treeCount = trees.Count;
        var roots = new int[(treeCount + Lanes - 1) / Lanes * Lanes];
        var depths = new int[roots.Length];
        for (var t = 0; t < treeCount; t++)
        {
            var tree = trees[t];
            if (tree.Problem(vectorLength, out var depth) is { } problem)
            {
                reason = $"tree {t}: {problem}";
                return null;
            }
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
            depths[t] = depth;
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
        var values = new double[nodes.Length];
        for (var n = 0; n < leafStart; n++)
        {
            var split = splitNodes[n];
            nodes[n] = new Node(split.Feature, split.Threshold, split.Missing, Final(split.Left), Final(split.Right));
        }
        for (var l = 0; l < leafValues.Count; l++)
        {
            nodes[leafStart + l] = new Node(0, 0, 0, leafStart + l, leafStart + l);
            values[leafStart + l] = leafValues[l];
        }
        for (var t = 0; t < roots.Length; t++) roots[t] = Final(roots[t]);
        // A group steps until its deepest walk ends: grouping trees of similar depth wastes fewer steps.
        var order = Enumerable.Range(0, roots.Length).OrderByDescending(t => depths[t]).ThenBy(t => t).ToArray();
        reason = "";
        return new TreeEnsembleEvaluator(nodes, values, roots, order, ends, leafStart, vectorLength, trees);
    }

    /// <summary>
    /// Rows for checking this evaluator against ML.NET at load: all missing, all zero, then random rows whose
    /// slots sit exactly on a split threshold (of any of its ensembles), one float step either side of one, at 0,
    /// or missing.
    /// </summary>
    public IEnumerable<float[]> ProbeRows(Features.FeatureEncoder encoder, int count, int seed)
    {
        var vectorLength = _vectorLength;
        var thresholds = new List<float>[vectorLength];
        for (var f = 0; f < thresholds.Length; f++) thresholds[f] = [];
        for (var n = 0; n < _nodes.Length; n++)
            if (_nodes[n].Left != n) thresholds[_nodes[n].Feature].Add(_nodes[n].Threshold);

        var missing = new float[vectorLength];
        encoder.Reset(missing);
        yield return missing;
        yield return new float[vectorLength];
        var random = new Random(seed);
        for (var r = 0; r < count; r++)
        {
            var row = new float[vectorLength];
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

    /// <summary>Each ensemble's raw output (ML.NET's Score), in ensemble order, for one encoded row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(ReadOnlySpan<float> features, Span<float> outputs)
    {
        // ML.NET rejects a vector of another length too; checked here, the walk below reads without bounds checks
        // (every feature and child index was validated in TryCreate).
        if (features.Length != _vectorLength)
            throw new ArgumentException($"Expected {_vectorLength} features, got {features.Length}.", nameof(features));
        if (outputs.Length != _ends.Length)
            throw new ArgumentException($"Expected room for {_ends.Length} outputs, got {outputs.Length}.", nameof(outputs));
        // Trees of at most 32 leaves: leaf masks (bench/scoring: Ames 4.3 us/row against 5.8-6.5 for the walk).
        if (_masks is { } m)
        {
            Span<uint> masks = stackalloc uint[m.TreeCount];
            m.EvaluateRow(features, masks, outputs);
            return;
        }
        // The leaf each tree reached, by tree: on the stack, not the heap (TryCreate caps the tree count).
        Span<int> reached = stackalloc int[_roots.Length];
        // A row without missing values (the usual case) skips the NaN test at every step.
        if (HasNaN(features)) Walk<WithMissing>(features, reached);
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

    /// <summary>
    /// <see cref="BlockRows"/> rows at once, over a transposed copy of only the slots splits read (one block's values
    /// fit L1): by <see cref="LeafMasks"/> when every tree has at most 32 leaves (bench/scoring: Ames 2.1 us/row
    /// against 4.4 for the walk), else tree-major, each tree walked for all the block's rows side by side (its few
    /// nodes stay in L1 cache) instead of every row walking all trees (~200 KB for Ames, from L2 per row).
    /// Each row's sums still add its leaves in tree order from 0.0 in a double, as <see cref="Evaluate(ReadOnlySpan{float}, Span{float})"/>:
    /// the same bits. <paramref name="outputs"/> holds <see cref="OutputCount"/> values per row, row after row;
    /// <paramref name="scratch"/> at least <see cref="BlockScratchLength"/> floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EvaluateBlock(IReadOnlyList<float[]> rows, int start, Span<float> outputs, Span<float> scratch)
    {
        if (start < 0 || start + Lanes > rows.Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"A block is {Lanes} rows within the list.");
        if (outputs.Length < Lanes * _ends.Length)
            throw new ArgumentException($"Expected room for {Lanes * _ends.Length} outputs, got {outputs.Length}.", nameof(outputs));
        if (scratch.Length < BlockScratchLength)
            throw new ArgumentException($"Expected {BlockScratchLength} floats of scratch, got {scratch.Length}.", nameof(scratch));
        // Transpose: lane l of used slot u at [u * Lanes + l].
        var used = _used;
        for (var lane = 0; lane < Lanes; lane++)
        {
            var row = rows[start + lane];
            if (row.Length != _vectorLength)
                throw new ArgumentException($"Expected {_vectorLength} features, got {row.Length}.", nameof(rows));
            for (var u = 0; u < used.Length; u++) scratch[u * Lanes + lane] = row[used[u]];
        }
        var hasNaN = HasNaN(scratch[..(used.Length * Lanes)]);
        if (_masks is { } masks)
        {
            var values = scratch[..ValuesLength];
            masks.Evaluate(values, MemoryMarshal.Cast<float, uint>(scratch[ValuesLength..]), outputs, hasNaN);
        }
        // Leaves read lanes 0-15 of the scratch even when no slot was copied: the walk gets all of it.
        else if (hasNaN) WalkBlock<WithMissing>(scratch, outputs);
        else WalkBlock<Complete>(scratch, outputs);
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

    /// <summary>Whether any value is NaN (x != x), a vector at a time.</summary>
    private static bool HasNaN(ReadOnlySpan<float> values)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= values.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(values.Slice(i, Vector256<float>.Count));
                if (!Vector256.EqualsAll(v, v)) return true;
            }
        }
        for (; i < values.Length; i++)
            if (float.IsNaN(values[i])) return true;
        return false;
    }
}
