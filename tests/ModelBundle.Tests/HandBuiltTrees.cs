using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Tests;

/// <summary>Trees built by hand, over a vector of <see cref="Slots"/> slots, at the edges trained models rarely reach.</summary>
internal static class HandBuiltTrees
{
    public const int Slots = 6;

    public static readonly float[] Thresholds =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 0.5f, 1.5f, -2.25f, 3f, 1e-35f, 1e30f];

    /// <summary>Split n sends left to split n + 1, right to leaf n: the leftmost leaf sits 31 splits deep.</summary>
    public static DecisionTree LeftChain(int leaves, Random random) =>
        Tree(leaves, random, n => n + 1 < leaves - 1 ? n + 1 : ~(leaves - 1), n => ~n);

    public static DecisionTree RightChain(int leaves, Random random) =>
        Tree(leaves, random, n => ~n, n => n + 1 < leaves - 1 ? n + 1 : ~(leaves - 1));

    /// <summary>Every path <paramref name="depth"/> splits long: 2^depth leaves.</summary>
    public static DecisionTree Full(int depth, Random random)
    {
        var splits = (1 << depth) - 1;
        int Child(int index) => index < splits ? index : ~(index - splits);
        return Tree(splits + 1, random, n => Child(2 * n + 1), n => Child(2 * n + 2));
    }

    public static DecisionTree NoSplits(double leaf) => new([], [], [], [], [], [leaf]);

    private static DecisionTree Tree(int leaves, Random random, Func<int, int> left, Func<int, int> right)
    {
        var splits = leaves - 1;
        var threshold = new float[splits];
        var missing = new float[splits];
        for (var n = 0; n < splits; n++)
        {
            threshold[n] = Thresholds[random.Next(Thresholds.Length)];
            // ML.NET's two forms (threshold: NaN goes left; threshold + 1: right), NaN (the tree keeps NaN), and
            // values either side of the threshold.
            missing[n] = random.Next(5) switch
            {
                0 => threshold[n],
                1 => threshold[n] + 1,
                2 => float.NaN,
                3 => MathF.BitDecrement(threshold[n]),
                _ => MathF.BitIncrement(threshold[n]),
            };
        }
        return new DecisionTree(
            Enumerable.Range(0, splits).Select(_ => random.Next(Slots)).ToArray(),
            threshold,
            missing,
            Enumerable.Range(0, splits).Select(left).ToArray(),
            Enumerable.Range(0, splits).Select(right).ToArray(),
            Enumerable.Range(0, leaves).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 6))).ToArray());
    }
}
