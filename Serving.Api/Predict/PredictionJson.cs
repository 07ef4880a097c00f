using System.Text.Json;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Predict;

/// <summary>Writes a <see cref="PredictResponse"/> with Utf8JsonWriter and pre-encoded names (same JSON the record serializes to).</summary>
public static class PredictionJson
{
    private static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
    private static readonly JsonEncodedText Alias = JsonEncodedText.Encode("alias");
    private static readonly JsonEncodedText Predictions = JsonEncodedText.Encode("predictions");
    private static readonly JsonEncodedText PredictionIds = JsonEncodedText.Encode("predictionIds");
    private static readonly JsonEncodedText LatencyMs = JsonEncodedText.Encode("latencyMs");
    private static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText Label = JsonEncodedText.Encode("label");
    private static readonly JsonEncodedText Probability = JsonEncodedText.Encode("probability");
    private static readonly JsonEncodedText Probabilities = JsonEncodedText.Encode("probabilities");

    public static void WriteResponse(Utf8JsonWriter writer, LoadedModel model, ReadOnlySpan<Prediction> predictions, Guid[] ids, double latencyMs)
    {
        writer.WriteStartObject();
        writer.WriteString(Model, model.EncodedName);
        writer.WriteNumber(Version, model.Version);
        writer.WriteString(Alias, model.EncodedAlias);
        writer.WriteStartArray(Predictions);
        foreach (var p in predictions) WritePrediction(writer, p);
        writer.WriteEndArray();
        // One id per row, in row order (docs/serving-api.md): what feedback names.
        writer.WriteStartArray(PredictionIds);
        foreach (var id in ids) writer.WriteStringValue(id);
        writer.WriteEndArray();
        writer.WriteNumber(LatencyMs, Math.Round(latencyMs, 3));
        writer.WriteEndObject();
        writer.Flush();
    }

    public static void WritePrediction(Utf8JsonWriter writer, Prediction p)
    {
        writer.WriteStartObject();
        if (p.Value is { } value) writer.WriteNumber(Value, value);
        if (p.Label is { } label) writer.WriteString(Label, label);
        if (p.Probability is { } probability) writer.WriteNumber(Probability, probability);
        if (p.Probabilities is BinaryProbabilities binary)
        {
            // Binary: no enumerator, and the model's pre-encoded class names would not pay off for two numbers.
            writer.WriteStartObject(Probabilities);
            writer.WriteNumber(binary.Negative, binary.NegativeProbability);
            writer.WriteNumber(binary.Positive, binary.PositiveProbability);
            writer.WriteEndObject();
        }
        else if (p.Probabilities is { } all)
        {
            writer.WriteStartObject(Probabilities);
            foreach (var (name, v) in all) writer.WriteNumber(name, v);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
