namespace MlOps.Registry.Client.Serving;

/// <summary>
/// Answer of <c>POST /v1/models/{name}/explain</c> (same body as predict): per row, the prediction and how each
/// input column moved each raw score. <see cref="Method"/> says how the contributions were computed
/// (docs/serving-api.md): <c>tree-shap</c>, exact path-dependent TreeSHAP, moving the raw score away from the
/// model's expected raw score (base value); or, for a bundle without tree covers, <c>mlnet-feature-contribution</c>,
/// ML.NET's FeatureContributionCalculator, which has no base value and does not add up to the raw score.
/// </summary>
public sealed record ExplainResponse(
    string Model,
    int Version,
    string Alias,
    string Method,
    IReadOnlyList<RowExplanation> Explanations);

/// <summary>One row: its prediction (as predict answers it) and one explanation per raw score of the model.</summary>
public sealed record RowExplanation(Prediction Prediction, IReadOnlyList<ScoreExplanation> Scores);

/// <summary>
/// One raw score: regression, the prediction itself (<see cref="Class"/> null); binary, the margin of the positive
/// class before calibration; multiclass, one per class (that class's one-versus-all score before calibration and
/// normalization). With <c>tree-shap</c>, <c>BaseValue + sum(Contributions) = RawScore</c>, keyed by input column (a categorical column is
/// one entry, its one-hot slots together). <see cref="BaseValue"/> is null for <c>mlnet-feature-contribution</c>.
/// </summary>
public sealed record ScoreExplanation(
    string? Class,
    double? BaseValue,
    double RawScore,
    IReadOnlyDictionary<string, double> Contributions);
