namespace MlOps.Registry.Client.Serving;

/// <summary>
/// One row's prediction. Regression: <see cref="Value"/>. Binary: <see cref="Label"/>, <see cref="Probability"/>
/// of the positive class and <see cref="Value"/> (the raw score). Multiclass: <see cref="Label"/>,
/// <see cref="Probability"/> of that label and <see cref="Probabilities"/> per class.
/// </summary>
public sealed record Prediction(
    double? Value = null,
    string? Label = null,
    double? Probability = null,
    IReadOnlyDictionary<string, double>? Probabilities = null);
