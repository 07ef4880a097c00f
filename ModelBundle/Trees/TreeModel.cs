using MlOps.Registry.Client.Serving;

namespace MlOps.ModelBundle.Trees;

/// <summary>
/// A LightGBM model as plain trees (a bundle's <c>trees.json</c>): enough to score and explain it without loading
/// ML.NET, which saves a serving process the memory of ML.NET's code and model objects.
/// </summary>
/// <param name="Ensembles">One per raw output (multiclass: one per class, in class order), trees in order.</param>
/// <param name="Calibrators">None for regression; binary, the Platt calibrator; multiclass, one per class, whose
/// probabilities are normalized to sum 1 (ML.NET's one-versus-all "ProbabilityNormalization").</param>
/// <param name="Probe">What ML.NET's PredictionEngine gave on probe rows when the bundle was written.</param>
public sealed record TreeModel(IReadOnlyList<IReadOnlyList<DecisionTree>> Ensembles, IReadOnlyList<PlattSigmoid> Calibrators, TreeProbe? Probe);

/// <summary>
/// The PredictionEngine's predictions for the probe rows that <c>TreeEnsembleEvaluator.ProbeRows(encoder, Count,
/// Seed)</c> generates from these trees: serving checks the evaluator against them, to the bit, before trusting it.
/// </summary>
public sealed record TreeProbe(int Seed, int Count, IReadOnlyList<Prediction> Expected);
