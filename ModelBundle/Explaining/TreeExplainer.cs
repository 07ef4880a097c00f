using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.ModelBundle.Trees;

namespace MlOps.ModelBundle.Explaining;

/// <summary>
/// Per-row Shapley contributions of the input columns to a tree model's raw scores (exact path-dependent TreeSHAP,
/// <see cref="TreeShap"/>): for each output, <c>BaseValue(output) + sum of contributions = raw score</c> (the sum of
/// the leaves the row reaches, as a double; ML.NET's score is that rounded to float). A categorical column is one
/// player: its one-hot slots are never credited apart. Immutable, so one instance serves every thread.
/// </summary>
public sealed class TreeExplainer
{
    /// <summary>The <c>method</c> an explanation by this class reports.</summary>
    public const string Method = "tree-shap";

    private readonly ExplainTree[][] _ensembles;
    private readonly double[] _baseValues;

    private TreeExplainer(ExplainTree[][] ensembles, double[] baseValues, FeatureEncoder encoder)
    {
        _ensembles = ensembles;
        _baseValues = baseValues;
        Encoder = encoder;
    }

    public FeatureEncoder Encoder { get; }

    /// <summary>Raw outputs per row: 1, or the class count of a multiclass model.</summary>
    public int OutputCount => _ensembles.Length;

    /// <summary>Contributions per output: one per input column, in <see cref="FeatureEncoder.Columns"/> order.</summary>
    public int PlayerCount => Encoder.Columns.Count;

    /// <summary>An output's expected raw score over the training rows (what contributions are measured from).</summary>
    public double BaseValue(int output) => _baseValues[output];

    /// <summary>The explainer of a model's trees with their covers, or null with the reason (no covers, covers that do not fit, ...).</summary>
    public static TreeExplainer? TryCreate(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, BundleManifest manifest, TreeCovers? covers, out string reason)
    {
        try
        {
            return Build(ensembles, manifest, covers, out reason);
        }
        catch (Exception e)
        {
            // Explanations are an extra: whatever goes wrong here, the model still loads and predicts.
            reason = $"explainer failed to build: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    private static TreeExplainer? Build(IReadOnlyList<IReadOnlyList<DecisionTree>> ensembles, BundleManifest manifest, TreeCovers? covers, out string reason)
    {
        if (covers is null)
        {
            reason = "the bundle has no tree covers (training rows per leaf), which TreeSHAP needs: retrain the model to add them";
            return null;
        }
        if (covers.Ensembles.Count != ensembles.Count)
        {
            reason = $"the bundle's covers are for {covers.Ensembles.Count} ensembles, the model has {ensembles.Count}";
            return null;
        }
        var encoder = new FeatureEncoder(manifest.Features);
        var built = new ExplainTree[ensembles.Count][];
        var baseValues = new double[ensembles.Count];
        for (var e = 0; e < ensembles.Count; e++)
        {
            var trees = ensembles[e];
            if (covers.Ensembles[e].Count != trees.Count)
            {
                reason = $"the bundle's covers are for {covers.Ensembles[e].Count} trees, ensemble {e} has {trees.Count}";
                return null;
            }
            built[e] = new ExplainTree[trees.Count];
            for (var t = 0; t < trees.Count; t++)
            {
                if (ExplainTree.TryCreate(trees[t], encoder, out reason) is not { } tree) return null;
                var leafCovers = covers.Ensembles[e][t];
                if (leafCovers.Count != tree.LeafValues.Length || leafCovers.Any(c => c < 0))
                {
                    reason = $"the bundle's covers do not fit tree {t} of ensemble {e}";
                    return null;
                }
                tree.SetCovers(leafCovers.Select(c => (double)c).ToArray());
                if (!tree.IsEmpty && tree.RootCover <= 0)
                {
                    reason = $"no training row reached tree {t} of ensemble {e}";
                    return null;
                }
                built[e][t] = tree;
                baseValues[e] += tree.ExpectedValue();
            }
        }
        reason = "";
        return new TreeExplainer(built, baseValues, encoder);
    }

    /// <summary>
    /// Explains one encoded row: <paramref name="rawScores"/> gets each output's raw score, and
    /// <paramref name="contributions"/> (<see cref="OutputCount"/> x <see cref="PlayerCount"/>, output-major) each
    /// column's contribution to it.
    /// </summary>
    public void Explain(ReadOnlySpan<float> row, Span<double> rawScores, Span<double> contributions)
    {
        if (row.Length != Encoder.Length) throw new ArgumentException($"Expected {Encoder.Length} features, got {row.Length}.", nameof(row));
        if (rawScores.Length != OutputCount || contributions.Length != OutputCount * PlayerCount)
            throw new ArgumentException("Output spans do not fit the model's outputs and columns.");
        contributions.Clear();
        for (var e = 0; e < _ensembles.Length; e++)
        {
            var phi = contributions.Slice(e * PlayerCount, PlayerCount);
            // Leaves added in tree order as doubles: ML.NET's sum, so (float)raw is the model's score.
            var raw = 0.0;
            foreach (var tree in _ensembles[e])
            {
                raw += tree.LeafValues[tree.LeafOf(row)];
                TreeShap.Explain(tree, row, phi);
            }
            rawScores[e] = raw;
        }
    }
}
