using System.Text.Json;
using MlOps.PredictionLog;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// Turns a sampled request into log rows, on the log writer's thread, straight into a columnar batch as UTF-8:
/// each row's inputs as a compact JSON object (feature -> value, as sent and validated; an unknown category keeps
/// its text), and its prediction as the REST answer writes it. No string or object per row.
/// </summary>
public sealed class LogRows
{
    private readonly Utf8JsonWriter _writer = new(Stream.Null);

    public void AppendTo(PredictionLogBatch batch, PredictionLogEntry entry)
    {
        var model = entry.Model;
        var regression = model.Model.Manifest.Task == TrainingTasks.Regression;
        var inputs = entry.Body is null ? V2Inputs(entry.V2Request!) : default;
        for (var i = 0; i < entry.Rows; i++)
        {
            if (entry.Body is { } bytes) AddRestInputs(batch.Inputs, bytes, entry.RowSpans, i);
            else WriteRow(batch.Inputs, inputs, i);
            var p = entry.Predictions[i];
            _writer.Reset(batch.Predictions);
            PredictionJson.WritePrediction(_writer, p);
            _writer.Flush();
            batch.Predictions.EndValue();
            batch.Add(entry.Ids[i], model.Name, model.Version, model.Alias, entry.Arm, entry.Timestamp, entry.LatencyMs,
                regression ? p.Value : null, regression ? null : p.Label);
        }
        _writer.Reset(Stream.Null);
    }

    // The row object's bytes as sent (the parser recorded where each row lies); "{}" if a row has no recorded span.
    private static void AddRestInputs(Utf8Column column, byte[] body, long[]? spans, int row)
    {
        if (spans is null || spans.Length < 2 * row + 2) column.Add("{}"u8);
        else column.Add(body.AsSpan((int)spans[2 * row], (int)(spans[2 * row + 1] - spans[2 * row])));
    }

    /// <summary>V2: column tensors, turned back into row objects in the request's input order.</summary>
    private static (V2Tensor[] Tensors, List<JsonElement>[] Values) V2Inputs(V2InferRequest request)
    {
        var tensors = (request.Inputs ?? []).Where(t => t is not null).Select(t => t!).ToArray();
        return (tensors, tensors.Select(t => Flatten(t.Data)).ToArray());
    }

    private void WriteRow(Utf8Column column, (V2Tensor[] Tensors, List<JsonElement>[] Values) inputs, int row)
    {
        _writer.Reset(column);
        _writer.WriteStartObject();
        for (var c = 0; c < inputs.Tensors.Length; c++)
        {
            _writer.WritePropertyName(inputs.Tensors[c].Name ?? "");
            if (row < inputs.Values[c].Count) inputs.Values[c][row].WriteTo(_writer);
            else _writer.WriteNullValue();
        }
        _writer.WriteEndObject();
        _writer.Flush();
        column.EndValue();
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
