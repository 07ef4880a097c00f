using System.Reflection;
using Microsoft.ML.Trainers.FastTree;
using MlOps.ModelBundle.Features;

namespace MlOps.ModelBundle.Tests;

/// <summary>
/// An independent reference for the explainer, sharing no code with it: exact Shapley values by enumerating every
/// coalition of input columns (2^n, so only for models on a few columns), each valued by the path-dependent
/// conditional expectation of the paper's Algorithm 1 (a split on a column outside the coalition averages its two
/// children weighted by the training rows that reached them). Trees are read from ML.NET's public RegressionTree,
/// covers are counted here from the training rows, and rows are routed by ML.NET's own rule (value &lt;= threshold
/// goes left; NaN first becomes the node's DefaultValueForMissing when the tree keeps that array non-zero).
/// </summary>
internal sealed class BruteForceShapley
{
    private readonly List<(RegressionTree Tree, float[]? Missing, double[] SplitRows, double[] LeafRows)> _trees = [];
    private readonly FeatureEncoder _encoder;

    public BruteForceShapley(IEnumerable<RegressionTree> trees, FeatureEncoder encoder, IReadOnlyList<float[]> trainingRows)
    {
        _encoder = encoder;
        foreach (var tree in trees)
        {
            if (tree.NumberOfNodes == 0) continue;
            var missing = MissingDefaults(tree);
            var splitRows = new double[tree.NumberOfNodes];
            var leafRows = new double[tree.LeafValues.Count];
            foreach (var row in trainingRows)
            {
                var node = 0;
                while (node >= 0)
                {
                    splitRows[node]++;
                    node = GoesLeft(tree, missing, node, row) ? tree.LeftChild[node] : tree.RightChild[node];
                }
                leafRows[~node]++;
            }
            _trees.Add((tree, missing, splitRows, leafRows));
        }
    }

    /// <summary>The full coalition's value: the model's raw output for the row.</summary>
    public double Output(float[] row) => Value(row, (1 << _encoder.Columns.Count) - 1);

    /// <summary>The empty coalition's value: the expected raw output over the training rows.</summary>
    public double Expected(float[] row) => Value(row, 0);

    public double[] Shapley(float[] row)
    {
        var n = _encoder.Columns.Count;
        if (n > 12) throw new InvalidOperationException($"{n} columns: 2^n coalitions is too many for the brute force.");
        var values = new double[1 << n];
        for (var s = 0; s < values.Length; s++) values[s] = Value(row, s);
        var factorial = new double[n + 1];
        factorial[0] = 1;
        for (var k = 1; k <= n; k++) factorial[k] = factorial[k - 1] * k;
        var phi = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var s = 0; s < values.Length; s++)
            {
                if ((s & (1 << i)) != 0) continue;
                var size = System.Numerics.BitOperations.PopCount((uint)s);
                var weight = factorial[size] * factorial[n - size - 1] / factorial[n];
                phi[i] += weight * (values[s | (1 << i)] - values[s]);
            }
        }
        return phi;
    }

    private double Value(float[] row, int coalition)
    {
        var total = 0.0;
        foreach (var (tree, missing, splitRows, leafRows) in _trees)
            total += Expectation(tree, missing, splitRows, leafRows, row, coalition, 0);
        return total;
    }

    private double Expectation(RegressionTree tree, float[]? missing, double[] splitRows, double[] leafRows, float[] row, int coalition, int node)
    {
        if (node < 0) return tree.LeafValues[~node];
        var column = _encoder.ColumnOfSlot(tree.NumericalSplitFeatureIndexes[node]);
        if ((coalition & (1 << column)) != 0)
        {
            var next = GoesLeft(tree, missing, node, row) ? tree.LeftChild[node] : tree.RightChild[node];
            return Expectation(tree, missing, splitRows, leafRows, row, coalition, next);
        }
        int left = tree.LeftChild[node], right = tree.RightChild[node];
        double RowsAt(int child) => child >= 0 ? splitRows[child] : leafRows[~child];
        var here = splitRows[node];
        var result = 0.0;
        if (RowsAt(left) > 0) result += RowsAt(left) / here * Expectation(tree, missing, splitRows, leafRows, row, coalition, left);
        if (RowsAt(right) > 0) result += RowsAt(right) / here * Expectation(tree, missing, splitRows, leafRows, row, coalition, right);
        return result;
    }

    private static bool GoesLeft(RegressionTree tree, float[]? missing, int node, float[] row)
    {
        var value = row[tree.NumericalSplitFeatureIndexes[node]];
        if (float.IsNaN(value) && missing is not null) value = missing[node];
        return value <= tree.NumericalSplitThresholds[node];
    }

    // ML.NET keeps where NaN goes in the wrapped InternalRegressionTree, and drops an all-zero array (NaN then goes right).
    private static float[]? MissingDefaults(RegressionTree tree)
    {
        var inner = typeof(RegressionTreeBase).GetField("_tree", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(tree)!;
        var defaults = (float[]?)inner.GetType().GetField("DefaultValueForMissing")!.GetValue(inner);
        return defaults is not null && defaults.Any(d => d != 0) ? defaults : null;
    }
}
