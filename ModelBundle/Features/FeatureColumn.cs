using System.Text.Json.Serialization;

namespace MlOps.ModelBundle.Features;

[JsonConverter(typeof(JsonStringEnumConverter<FeatureKind>))]
public enum FeatureKind { Numeric, Categorical }

/// <summary>
/// One model input column. Categorical columns are one-hot encoded over <see cref="Levels"/> (the training
/// data's values, ordinal order); a value outside them, or a missing one, encodes as all zeros.
/// Numeric missing values encode as NaN, which LightGBM treats as missing.
/// </summary>
public sealed record FeatureColumn(string Name, FeatureKind Kind, IReadOnlyList<string>? Levels = null)
{
    /// <summary>Slots this column takes in the feature vector.</summary>
    [JsonIgnore]
    public int Width => Kind == FeatureKind.Numeric ? 1 : Levels?.Count ?? 0;
}
