using System.Buffers;
using System.Text;
using System.Text.Json;
using MlOps.PredictionLog;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// Turns a sampled request into log rows, on the log writer's thread: each row's inputs as a compact JSON
/// object (feature -> value, as sent and validated; an unknown category keeps its text), and its prediction as
/// the REST answer writes it.
/// </summary>
public static class LogRows
{
    public static PredictionLogRow[] From(PredictionLogEntry entry)
    {
        var inputs = entry.Body is { } body ? RestInputs(body, entry.Rows) : V2Inputs(entry.V2Request!, entry.Rows);
        var model = entry.Model;
        var regression = model.Model.Manifest.Task == TrainingTasks.Regression;
        var rows = new PredictionLogRow[entry.Rows];
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer);
        for (var i = 0; i < rows.Length; i++)
        {
            var p = entry.Predictions[i];
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            PredictionJson.WritePrediction(writer, p);
            writer.Flush();
            rows[i] = new PredictionLogRow(
                PredictionIds.Format(entry.Ids[i]), model.Name, model.Version, model.Alias, entry.Arm, entry.Timestamp,
                entry.LatencyMs, inputs[i], Encoding.UTF8.GetString(buffer.WrittenSpan),
                regression ? p.Value : null, regression ? null : p.Label);
        }
        return rows;
    }

    /// <summary>
    /// The rows of <c>{"features": {...}}</c> or <c>{"instances": [...]}</c> (already validated by the predict path):
    /// each row object's bytes as sent, cut out with a reader (no DOM, no re-serialisation: the log writer's main
    /// cost per row was that).
    /// </summary>
    private static string[] RestInputs(byte[] body, int rows)
    {
        var result = new string[rows];
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var features = reader.ValueTextEquals("features"u8);
            var instances = !features && reader.ValueTextEquals("instances"u8);
            reader.Read();
            if (features && reader.TokenType == JsonTokenType.StartObject) result[0] = Slice(ref reader, body);
            else if (instances && reader.TokenType == JsonTokenType.StartArray)
            {
                for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
                {
                    if (i < rows) result[i] = Slice(ref reader, body);
                    else reader.Skip();
                }
            }
            else reader.Skip();
        }
        for (var i = 0; i < rows; i++) result[i] ??= "{}";
        return result;
    }

    private static string Slice(ref Utf8JsonReader reader, byte[] body)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(body, start, (int)reader.BytesConsumed - start);
    }

    /// <summary>Column tensors back into row objects, in the request's input order.</summary>
    private static string[] V2Inputs(V2InferRequest request, int rows)
    {
        var tensors = (request.Inputs ?? []).Where(t => t is not null).ToArray();
        var values = tensors.Select(t => Flatten(t!.Data)).ToArray();
        var result = new string[rows];
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer);
        for (var r = 0; r < rows; r++)
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartObject();
            for (var c = 0; c < tensors.Length; c++)
            {
                writer.WritePropertyName(tensors[c]!.Name ?? "");
                if (r < values[c].Count) values[c][r].WriteTo(writer);
                else writer.WriteNullValue();
            }
            writer.WriteEndObject();
            writer.Flush();
            result[r] = Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        return result;
    }

    // Data of shape [rows] or [rows, 1]: a flat array, or an array of one-element arrays.
    private static List<JsonElement> Flatten(JsonElement data)
    {
        var values = new List<JsonElement>();
        if (data.ValueKind != JsonValueKind.Array) return values;
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array) values.Add(item);
            else foreach (var inner in item.EnumerateArray()) values.Add(inner);
        }
        return values;
    }
}
