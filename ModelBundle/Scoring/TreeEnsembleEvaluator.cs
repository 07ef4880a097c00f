using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Scoring;

/// <summary>
/// LightGBM ensembles as ML.NET 5 evaluates them (InternalTreeEnsemble.GetOutput / InternalRegressionTree.GetLeaf):
/// one, or one per class of a multiclass model, each giving one output, scored together by <see cref="LeafMasks"/>
/// when every tree has at most 32 leaves and the CPU has 256-bit vectors, else by <see cref="TreeWalk"/>
/// (bench/scoring: the walk about 8x faster than ML.NET's PredictionEngine on the 300-tree Ames model, leaf masks
/// 1.3x faster again for one row, 2.4x for 16-row blocks).
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
    /// <summary>A row's scorer keeps one int per tree on the stack (leaf masks or the walk's leaves): 16 KB at most.</summary>
    private const int MaxTrees = 4096;

    /// <summary>Rows <see cref="EvaluateBlock"/> scores together.</summary>
    public const int BlockRows = LeafMasks.Rows;

    /// <summary>The trees in tree order (ensemble after ensemble), for <see cref="ProbeRows"/>.</summary>
    private readonly IReadOnlyList<DecisionTree> _trees;
    /// <summary>Per ensemble (output), the end of its trees in tree order.</summary>
    private readonly int[] _ends;
    private readonly int _vectorLength;
    /// <summary>The vector slots some split reads, in slot order (a block copies only these).</summary>
    private readonly int[] _used;
    /// <summary>One of the two is set: leaf masks when every tree has at most 32 leaves, else the walk.</summary>
    private readonly LeafMasks? _masks;
    private readonly TreeWalk? _walk;

    private TreeEnsembleEvaluator(IReadOnlyList<DecisionTree> trees, int[] depths, int[] ends, int vectorLength, bool leafMasks)
    {
        _trees = trees;
        _ends = ends;
        _vectorLength = vectorLength;
        var dense = new int[vectorLength];
        Array.Fill(dense, -1);
        foreach (var tree in trees)
            foreach (var feature in tree.Feature) dense[feature] = 0;
        var used = new List<int>();
        for (var f = 0; f < vectorLength; f++)
            if (dense[f] == 0) { dense[f] = used.Count; used.Add(f); }
        _used = used.ToArray();
        // A slot's 16 row values in a block's transposed copy.
        int ValuesOffset(int slot) => dense[slot] * BlockRows;
        _masks = leafMasks ? LeafMasks.TryCreate(trees, ends, ValuesOffset) : null;
        if (_masks is null) _walk = TreeWalk.Create(trees, depths, ends, ValuesOffset);
    }

    /// <summary>Floats of scratch <see cref="EvaluateBlock"/> needs: the transposed copy, then the leaf masks if any.</summary>
    public int BlockScratchLength => ValuesLength + (_masks?.MaskLength ?? 0);

    /// <summary>The transposed copy (<see cref="BlockRows"/> floats per used slot; a walk's leaves read 16 of them).</summary>
    private int ValuesLength => Math.Max(1, _used.Length) * BlockRows;

    /// <summary>Whether rows are scored by leaf masks (<see cref="LeafMasks"/>) rather than walked.</summary>
    public bool UsesLeafMasks => _masks is not null;

    /// <summary>Outputs per row: one per ensemble.</summary>
    public int OutputCount => _ends.Length;

    /// <summary>
    /// Flattens ensembles (one output each), or returns null with the reason when one is not a valid tree over the
    /// vector (a feature outside it, a child out of range, a cycle: a corrupt <c>trees.json</c> is refused here).
    /// <paramref name="leafMasks"/> false always walks (bench/scoring times both ways in one run).
    /// </summary>
    public static TreeEnsembleEvaluator? TryCreate(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, int vectorLength, out string reason, bool leafMasks = true)
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

        var depths = new int[trees.Count];
        for (var t = 0; t < trees.Count; t++)
        {
            if (trees[t].Problem(vectorLength, out depths[t]) is { } problem)
            {
                reason = $"tree {t}: {problem}";
                return null;
            }
        }
        reason = "";
        return new TreeEnsembleEvaluator(trees, depths, ends, vectorLength, leafMasks);
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
        foreach (var tree in _trees)
            for (var n = 0; n < tree.SplitCount; n++) thresholds[tree.Feature[n]].Add(tree.Threshold[n]);

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
    public void Evaluate(ReadOnlySpan<float> features, Span<float> outputs)
    {
        // ML.NET rejects a vector of another length too; checked here, the scorers read without bounds checks
        // (every feature and child index was validated in TryCreate).
        if (features.Length != _vectorLength)
            throw new ArgumentException($"Expected {_vectorLength} features, got {features.Length}.", nameof(features));
        if (outputs.Length != _ends.Length)
            throw new ArgumentException($"Expected room for {_ends.Length} outputs, got {outputs.Length}.", nameof(outputs));
        if (_masks is { } masks)
        {
            // bench/scoring: Ames 4.3 us/row against 5.8-6.5 for the walk.
            Span<uint> scratch = stackalloc uint[masks.TreeCount];
            masks.EvaluateRow(features, scratch, outputs);
        }
        else _walk!.Evaluate(features, HasNaN(features), outputs);
    }

    /// <summary>
    /// <see cref="BlockRows"/> rows at once, over a transposed copy of only the slots splits read (one block's values
    /// fit L1): by <see cref="LeafMasks"/> (bench/scoring: Ames 2.1 us/row against 4.4 for the walk), or tree-major,
    /// each tree walked for all the block's rows side by side (its few nodes stay in L1 cache) instead of every row
    /// walking all trees (~200 KB for Ames, from L2 per row). Each row's sums still add its leaves in tree order
    /// from 0.0 in a double, as <see cref="Evaluate(ReadOnlySpan{float}, Span{float})"/>: the same bits.
    /// <paramref name="outputs"/> holds <see cref="OutputCount"/> values per row, row after row;
    /// <paramref name="scratch"/> at least <see cref="BlockScratchLength"/> floats.
    /// </summary>
    public void EvaluateBlock(IReadOnlyList<float[]> rows, int start, Span<float> outputs, Span<float> scratch)
    {
        if (outputs.Length < BlockRows * _ends.Length)
            throw new ArgumentException($"Expected room for {BlockRows * _ends.Length} outputs, got {outputs.Length}.", nameof(outputs));
        var hasNaN = Transpose(rows, start, scratch);
        var values = scratch[..ValuesLength];
        if (_masks is { } masks) masks.Evaluate(values, MemoryMarshal.Cast<float, uint>(scratch[ValuesLength..]), outputs, hasNaN);
        else _walk!.EvaluateBlock(values, hasNaN, outputs);
    }

    /// <summary>
    /// With leaf masks only: the leaf each of <see cref="BlockRows"/> rows reaches in each tree (its index in the tree,
    /// <c>~child</c>), at <paramref name="leaves"/>[tree * BlockRows + row], trees in tree order. Tree covers count
    /// these for the training rows (the explainer's walk is ~10x slower per row and tree).
    /// </summary>
    public void LeavesBlock(IReadOnlyList<float[]> rows, int start, Span<int> leaves, Span<float> scratch)
    {
        if (_masks is not { } masks) throw new InvalidOperationException("Leaves of a block need leaf masks; this evaluator walks.");
        var hasNaN = Transpose(rows, start, scratch);
        masks.Leaves(scratch[..ValuesLength], MemoryMarshal.Cast<float, uint>(scratch[ValuesLength..]), hasNaN, leaves);
    }

    /// <summary>
    /// Copies a block's rows into the first <see cref="ValuesLength"/> floats of <paramref name="scratch"/>, transposed
    /// (lane l of used slot u at [u * BlockRows + l]); whether any copied value is NaN.
    /// </summary>
    private bool Transpose(IReadOnlyList<float[]> rows, int start, Span<float> scratch)
    {
        if (start < 0 || start + BlockRows > rows.Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"A block is {BlockRows} rows within the list.");
        if (scratch.Length < BlockScratchLength)
            throw new ArgumentException($"Expected {BlockScratchLength} floats of scratch, got {scratch.Length}.", nameof(scratch));
        var used = _used;
        for (var lane = 0; lane < BlockRows; lane++)
        {
            var row = rows[start + lane];
            if (row.Length != _vectorLength)
                throw new ArgumentException($"Expected {_vectorLength} features, got {row.Length}.", nameof(rows));
            for (var u = 0; u < used.Length; u++) scratch[u * BlockRows + lane] = row[used[u]];
        }
        return HasNaN(scratch[..(used.Length * BlockRows)]);
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
