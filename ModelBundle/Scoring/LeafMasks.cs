using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// Rows through every tree without walking them (QuickScorer, Lucchese et al., SIGIR 2015): each tree's leaves are
/// numbered left to right and each row keeps, per tree, a 32-bit mask of the leaves it may still reach, all set at
/// first. Every split that sends the row right clears the leaves of its left subtree, in any order. The leftmost
/// leaf left is the one the walk would reach: every split on that leaf's path agrees with it, and any leaf further
/// left is cut off by the split where its path leaves that one's. Two forms:
/// <list type="bullet">
/// <item>16 rows (<see cref="Evaluate"/>, its SIMD variant): every split visited once per block, the same few vector
/// instructions for the 16 rows, with no data-dependent branch or load, where a walk costs a dependent load chain
/// per row and tree;</item>
/// <item>one row (<see cref="EvaluateRow"/>): splits kept by slot, thresholds ascending, so only the splits that
/// send the value right are visited, a prefix of its slot's, with independent updates instead of load chains.</item>
/// </list>
/// Trees of at most 32 leaves only (LightGBM's default is 31), on hardware with 256-bit vectors; others walk.
/// Same semantics as <see cref="TreeEnsembleEvaluator"/>'s walk, to the bit: left when <c>value &lt;= threshold</c>
/// (float compare), a NaN value replaced by the split's Missing value, each row's leaves added in tree order from
/// 0.0 in a double, cast to float.
/// </summary>
internal sealed class LeafMasks
{
    public const int Rows = 16;

    /// <summary>One split: where its slot's 16 values lie, its test, and the leaves it rules out when a row goes right.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Split(int values, float threshold, uint leftLeaves, uint nanLeft, int masks)
    {
        /// <summary>Offset of the split slot's 16 row values in the block's transposed copy.</summary>
        public readonly int Values = values;
        public readonly float Threshold = threshold;
        /// <summary>All bits set but those of the left subtree's leaves: what a row going right keeps.</summary>
        public readonly uint RightKeeps = ~leftLeaves;
        /// <summary>All bits set when a NaN value goes left here (its Missing value is &lt;= the threshold), else 0.</summary>
        public readonly uint NanLeft = nanLeft;
        /// <summary>Offset of its tree's 16 leaf masks.</summary>
        public readonly int Masks = masks;
    }

    private readonly Split[] _splits;
    /// <summary>Floats of the transposed copy the splits read: the last slot's 16 values end here.</summary>
    private readonly int _valuesNeeded;

    /// <summary>
    /// The same splits for one row: by slot, thresholds ascending within a slot, so the splits a value sends right
    /// (threshold &lt; value) are a prefix of its slot's. A NaN threshold sorts first (float.CompareTo) and sends
    /// every value right, so it stays in the prefix.
    /// </summary>
    private readonly RowSplit[] _rowSplits;
    /// <summary>Per slot that some split reads: the slot, and where its splits end in <see cref="_rowSplits"/>.</summary>
    private readonly (int Slot, int End)[] _slots;

    /// <summary>One split for one row: its test, its tree, and what a value going right keeps of the tree's mask.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct RowSplit(float threshold, int tree, uint leftLeaves, bool nanLeft)
    {
        public readonly float Threshold = threshold;
        public readonly int Tree = tree;
        public readonly uint RightKeeps = ~leftLeaves;
        public readonly bool NanLeft = nanLeft;
    }

    /// <summary>Per tree, where its leaves start in <see cref="_leafValues"/>.</summary>
    private readonly int[] _leafStart;
    /// <summary>Every tree's leaf values, left to right (a tree without splits: one 0 leaf).</summary>
    private readonly double[] _leafValues;
    /// <summary>Beside each of <see cref="_leafValues"/>: the leaf's index in its tree (<c>~child</c>), for <see cref="Leaves"/>.</summary>
    private readonly int[] _leafIndex;
    private readonly int[] _ends;

    private LeafMasks(Split[] splits, RowSplit[] rowSplits, (int Slot, int End)[] slots, int[] leafStart, double[] leafValues, int[] leafIndex, int[] ends)
    {
        _splits = splits;
        _valuesNeeded = splits.Length == 0 ? 0 : splits.Max(s => s.Values) + Rows;
        _rowSplits = rowSplits;
        _slots = slots;
        _leafStart = leafStart;
        _leafValues = leafValues;
        _leafIndex = leafIndex;
        _ends = ends;
    }

    /// <summary>Trees in tree order.</summary>
    public int TreeCount => _leafStart.Length;

    /// <summary>
    /// For trees already checked by <see cref="DecisionTree.Problem"/>, ensembles ending at <paramref name="ends"/>;
    /// <paramref name="valuesOffset"/> gives a slot's offset in the block's transposed copy. Null when a tree has
    /// more than 32 leaves, or vectors are not hardware-accelerated here (the walk is then faster).
    /// </summary>
    public static LeafMasks? TryCreate(IReadOnlyList<DecisionTree> trees, int[] ends, Func<int, int> valuesOffset)
    {
        if (!Vector256.IsHardwareAccelerated) return null;
        if (trees.Any(t => t.LeafValues.Length > 32)) return null;
        var splits = new List<(int Values, int Tree, Split Split)>();
        var rowSplits = new List<(int Slot, RowSplit Split)>();
        var leafStart = new int[trees.Count];
        var leafValues = new List<double>();
        var leafIndex = new List<int>();
        var leftLeaves = new List<(int Split, int First, int Count)>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            leafStart[t] = leafValues.Count;
            if (tree.SplitCount == 0)
            {
                leafValues.Add(0); // a tree without splits outputs 0, whatever its leaf says
                leafIndex.Add(0);
                continue;
            }
            leftLeaves.Clear();
            InOrder(tree, 0, leafValues, leafIndex, leafStart[t], leftLeaves);
            foreach (var (split, first, count) in leftLeaves)
            {
                var left = (uint)(((1UL << count) - 1) << first);
                // ML.NET's test on a NaN value, done once here: NaN Missing (the tree keeps NaN) never goes left.
                var nanLeft = tree.Missing[split] <= tree.Threshold[split] ? uint.MaxValue : 0;
                var values = valuesOffset(tree.Feature[split]);
                splits.Add((values, t, new Split(values, tree.Threshold[split], left, nanLeft, t * Rows)));
                rowSplits.Add((tree.Feature[split], new RowSplit(tree.Threshold[split], t, left, nanLeft != 0)));
            }
        }
        // Splits on one slot together: consecutive splits read the same 16 values.
        var ordered = splits.OrderBy(s => s.Values).ThenBy(s => s.Tree).Select(s => s.Split).ToArray();
        var bySlot = rowSplits.OrderBy(s => s.Slot).ThenBy(s => s.Split.Threshold).ToArray();
        var slots = new List<(int Slot, int End)>();
        for (var i = 0; i < bySlot.Length; i++)
            if (i + 1 == bySlot.Length || bySlot[i + 1].Slot != bySlot[i].Slot) slots.Add((bySlot[i].Slot, i + 1));
        return new LeafMasks(ordered, bySlot.Select(s => s.Split).ToArray(), slots.ToArray(), leafStart, leafValues.ToArray(), leafIndex.ToArray(), ends);
    }

    /// <summary>
    /// Numbers the leaves under <paramref name="node"/> left to right (appending their values) and records, for
    /// each split, the range of its left subtree's leaves, relative to the tree's first leaf.
    /// </summary>
    private static void InOrder(DecisionTree tree, int node, List<double> values, List<int> indices, int treeStart, List<(int, int, int)> leftLeaves)
    {
        // Depth-first with an explicit stack: a trees.json can hold deep trees (DecisionTree checked it is a tree).
        var stack = new Stack<(int Node, bool Left)>();
        var pendingLeft = new int[tree.SplitCount];
        stack.Push((node, false));
        while (stack.Count > 0)
        {
            var (n, afterLeft) = stack.Pop();
            if (n < 0)
            {
                values.Add(tree.LeafValues[~n]);
                indices.Add(~n);
                continue;
            }
            if (afterLeft)
            {
                // The left subtree is numbered: its leaves run from where this split started to here.
                var first = pendingLeft[n];
                leftLeaves.Add((n, first, values.Count - treeStart - first));
                continue;
            }
            pendingLeft[n] = values.Count - treeStart;
            stack.Push((tree.Right[n], false));
            stack.Push((n, true));
            stack.Push((tree.Left[n], false));
        }
    }

    /// <summary>Floats of leaf masks <see cref="Evaluate"/> needs next to the transposed values.</summary>
    public int MaskLength => TreeCount * Rows;

    /// <summary>
    /// Each ensemble's output for the block's 16 rows, row after row, from their transposed copy
    /// (<paramref name="values"/>, 16 values per slot); <paramref name="masks"/> is scratch of <see cref="MaskLength"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(ReadOnlySpan<float> values, Span<uint> masks, Span<float> outputs, bool hasNaN)
    {
        Cut(values, masks, hasNaN);
        Sum(masks, outputs);
    }

    /// <summary>
    /// The leaf each of the block's 16 rows reaches in each tree, as its index in the tree (<c>~child</c>; 0 for a tree
    /// without splits): <paramref name="leaves"/>[tree * 16 + row], trees in tree order. What tree covers count.
    /// </summary>
    public void Leaves(ReadOnlySpan<float> values, Span<uint> masks, bool hasNaN, Span<int> leaves)
    {
        if (leaves.Length < MaskLength) throw new ArgumentException($"Expected room for {MaskLength} leaves, got {leaves.Length}.", nameof(leaves));
        Cut(values, masks, hasNaN);
        for (var t = 0; t < TreeCount; t++)
        {
            var start = _leafStart[t];
            for (var row = t * Rows; row < (t + 1) * Rows; row++) leaves[row] = _leafIndex[start + BitOperations.TrailingZeroCount(masks[row])];
        }
    }

    /// <summary>All masks set, then every split's cut (<see cref="Cut{TTest}"/>).</summary>
    private void Cut(ReadOnlySpan<float> values, Span<uint> masks, bool hasNaN)
    {
        // Cut reads at the splits' offsets unchecked: the copy must hold every slot a split reads (16 values each).
        if (values.Length < _valuesNeeded)
            throw new ArgumentException("The transposed copy is shorter than the slots the splits read.", nameof(values));
        if (masks.Length < MaskLength) throw new ArgumentException($"Expected {MaskLength} masks, got {masks.Length}.", nameof(masks));
        masks[..MaskLength].Fill(uint.MaxValue);
        if (hasNaN) Cut<WithMissing>(values, masks);
        else Cut<Complete>(values, masks);
    }

    /// <summary>
    /// Each ensemble's output for one row (QuickScorer's scalar form): per slot, only the splits the value sends
    /// right are visited (a prefix of the slot's, thresholds ascending); <paramref name="masks"/> holds
    /// <see cref="TreeCount"/> values. A NaN value visits its slot's splits whose Missing value goes right.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EvaluateRow(ReadOnlySpan<float> row, Span<uint> masks, Span<float> outputs)
    {
        masks = masks[..TreeCount];
        masks.Fill(uint.MaxValue);
        ref var mask = ref MemoryMarshal.GetReference(masks);
        ref var split = ref MemoryMarshal.GetArrayDataReference(_rowSplits);
        var i = 0;
        foreach (var (slot, end) in _slots)
        {
            var value = row[slot];
            if (float.IsNaN(value))
            {
                for (; i < end; i++)
                {
                    ref readonly var s = ref Unsafe.Add(ref split, i);
                    if (!s.NanLeft) Unsafe.Add(ref mask, s.Tree) &= s.RightKeeps;
                }
                continue;
            }
            // Left when value <= threshold: the splits before the first threshold >= value send it right.
            for (; i < end; i++)
            {
                ref readonly var s = ref Unsafe.Add(ref split, i);
                if (value <= s.Threshold) break;
                Unsafe.Add(ref mask, s.Tree) &= s.RightKeeps;
            }
            i = end;
        }
        var values = _leafValues;
        var leafStart = _leafStart;
        var t = 0;
        for (var e = 0; e < _ends.Length; e++)
        {
            var sum = 0.0;
            for (var stop = _ends[e]; t < stop; t++) sum += values[leafStart[t] + BitOperations.TrailingZeroCount(masks[t])];
            outputs[e] = (float)sum;
        }
    }

    /// <summary>Every split clears, for the rows it sends right, the leaves of its left subtree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Cut<TTest>(ReadOnlySpan<float> values, Span<uint> masks) where TTest : struct, ITest
    {
        ref var x = ref MemoryMarshal.GetReference(values);
        ref var mask = ref MemoryMarshal.GetReference(masks);
        var splits = _splits;
        for (var i = 0; i < splits.Length; i++)
        {
            ref readonly var split = ref splits[i];
            var lo = Vector256.LoadUnsafe(ref x, (nuint)split.Values);
            var hi = Vector256.LoadUnsafe(ref x, (nuint)split.Values + 8);
            var threshold = Vector256.Create(split.Threshold);
            var keeps = Vector256.Create(split.RightKeeps);
            var nanLeft = Vector256.Create(split.NanLeft);
            ref var m = ref Unsafe.Add(ref mask, split.Masks);
            // A row going left keeps all its leaves (its compare is all ones), one going right loses the left ones.
            (Vector256.LoadUnsafe(ref m) & (TTest.Left(lo, threshold, nanLeft) | keeps)).StoreUnsafe(ref m);
            (Vector256.LoadUnsafe(ref m, 8) & (TTest.Left(hi, threshold, nanLeft) | keeps)).StoreUnsafe(ref m, 8);
        }
    }

    /// <summary>Each row's leaf per tree is its mask's lowest set bit; leaves added in tree order, per ensemble.</summary>
    private void Sum(ReadOnlySpan<uint> masks, Span<float> outputs)
    {
        Span<double> sums = stackalloc double[Rows];
        ref var values = ref MemoryMarshal.GetArrayDataReference(_leafValues);
        var leafStart = _leafStart;
        var t = 0;
        for (var e = 0; e < _ends.Length; e++)
        {
            sums.Clear();
            for (var end = _ends[e]; t < end; t++)
            {
                ref var first = ref Unsafe.Add(ref values, leafStart[t]);
                var treeMasks = masks.Slice(t * Rows, Rows);
                for (var row = 0; row < Rows; row++)
                    sums[row] += Unsafe.Add(ref first, BitOperations.TrailingZeroCount(treeMasks[row]));
            }
            for (var row = 0; row < Rows; row++) outputs[row * _ends.Length + e] = (float)sums[row];
        }
    }

    /// <summary>Which of 8 rows a split sends left: all bits set for those.</summary>
    private interface ITest
    {
        static abstract Vector256<uint> Left(Vector256<float> x, Vector256<float> threshold, Vector256<uint> nanLeft);
    }

    /// <summary>Values with no NaN among them (the block was checked once).</summary>
    private readonly struct Complete : ITest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Left(Vector256<float> x, Vector256<float> threshold, Vector256<uint> nanLeft) =>
            Vector256.LessThanOrEqual(x, threshold).AsUInt32();
    }

    /// <summary>NaN compares false, so it goes left only where the split's Missing value does.</summary>
    private readonly struct WithMissing : ITest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Left(Vector256<float> x, Vector256<float> threshold, Vector256<uint> nanLeft) =>
            Vector256.LessThanOrEqual(x, threshold).AsUInt32() | (~Vector256.Equals(x, x).AsUInt32() & nanLeft);
    }
}
