using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace MlOps.Registry.Client.Serving;

/// <summary>
/// One row's prediction. Regression: <see cref="Value"/>. Classification (binary and multiclass alike):
/// <see cref="Label"/>, <see cref="Probability"/> of that label, and <see cref="Probabilities"/> per class. Binary
/// also gives <see cref="Value"/>, the raw score before calibration; the positive class is the second of the model's
/// classes (<c>positiveClass</c> in the model info), and <c>Probabilities[positiveClass]</c> is the score the
/// training metrics (auc, f1, log_loss) were computed on.
/// </summary>
public sealed record Prediction(
    double? Value = null,
    string? Label = null,
    double? Probability = null,
    IReadOnlyDictionary<string, double>? Probabilities = null)
{
    /// <summary>A binary prediction from the calibrated probability of the positive class (<paramref name="classes"/>[1]).</summary>
    public static Prediction Binary(double score, double positiveProbability, IReadOnlyList<string> classes)
    {
        var positive = positiveProbability >= 0.5;
        return new Prediction(
            Value: score,
            Label: classes[positive ? 1 : 0],
            Probability: positive ? positiveProbability : 1 - positiveProbability,
            Probabilities: new BinaryProbabilities(classes[0], classes[1], positiveProbability));
    }

    /// <summary>
    /// A multiclass prediction from per-class scores in <paramref name="classes"/> order: the label is the first
    /// class with the highest score.
    /// </summary>
    public static Prediction Multiclass(ReadOnlySpan<float> scores, IReadOnlyList<string> classes)
    {
        if (scores.Length != classes.Count)
            throw new InvalidDataException($"Model scored {scores.Length} classes but its bundle lists {classes.Count}.");
        var best = 0;
        var probabilities = new Dictionary<string, double>(classes.Count, StringComparer.Ordinal);
        for (var i = 0; i < scores.Length; i++)
        {
            probabilities[classes[i]] = scores[i];
            if (scores[i] > scores[best]) best = i;
        }
        return new Prediction(Label: classes[best], Probability: scores[best], Probabilities: probabilities);
    }

    /// <summary>The probability of <paramref name="label"/>, or null when this prediction has none.</summary>
    public double? ProbabilityOf(string label) =>
        Probabilities is { } all ? (all.TryGetValue(label, out var p) ? p : 0) : Label == label ? Probability : null;
}

/// <summary>
/// The two classes' probabilities of a binary prediction without a dictionary per row (the serving hot path).
/// </summary>
public sealed class BinaryProbabilities(string negative, string positive, double positiveProbability) : IReadOnlyDictionary<string, double>
{
    public string Negative { get; } = negative;
    public string Positive { get; } = positive;
    public double PositiveProbability { get; } = positiveProbability;
    public double NegativeProbability => 1 - PositiveProbability;

    public int Count => 2;
    public IEnumerable<string> Keys => [Negative, Positive];
    public IEnumerable<double> Values => [NegativeProbability, PositiveProbability];
    public double this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
    public bool ContainsKey(string key) => key == Negative || key == Positive;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out double value)
    {
        value = key == Positive ? PositiveProbability : key == Negative ? NegativeProbability : 0;
        return ContainsKey(key);
    }

    public IEnumerator<KeyValuePair<string, double>> GetEnumerator()
    {
        yield return new(Negative, NegativeProbability);
        yield return new(Positive, PositiveProbability);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
