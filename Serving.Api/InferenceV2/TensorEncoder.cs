using System.Text.Json;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.InferenceV2;

/// <summary>
/// Turns a V2 infer request (one 1-D tensor per input column, <c>[rows]</c> or <c>[rows, 1]</c>) into encoded rows,
/// with the same checks and messages as the REST body parser.
/// </summary>
public static class TensorEncoder
{
    private static readonly HashSet<string> NumericTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
    };

    public static bool TryEncode(V2InferRequest request, InputSchema schema, PredictScratch scratch, int maxRows, out InputError error)
    {
        var inputs = request.Inputs ?? [];
        var tensors = new V2Tensor?[schema.Count];
        var rows = -1;
        foreach (var tensor in inputs)
        {
            if (tensor is null) return Fail(new InputError("inputs holds a null: each input is a tensor object {name, shape, datatype, data}."), out error);
            var column = schema.IndexOf(tensor.Name ?? "");
            if (column < 0) return Fail(InputError.UnknownColumn(0, tensor.Name ?? ""), out error);
            if (tensors[column] is not null) return Fail(InputError.DuplicateColumn(0, tensor.Name!), out error);
            tensors[column] = tensor;
            var shape = tensor.Shape ?? [];
            if (shape.Count is < 1 or > 2 || (shape.Count == 2 && shape[1] != 1) || shape[0] < 0)
                return Fail(new InputError($"Input '{tensor.Name}' must have shape [rows] or [rows, 1].", null, tensor.Name), out error);
            if (rows >= 0 && shape[0] != rows)
                return Fail(new InputError($"Input '{tensor.Name}' has {shape[0]} rows, other inputs have {rows}.", null, tensor.Name), out error);
            rows = (int)Math.Min(shape[0], int.MaxValue);
            var numeric = schema.IsNumeric[column];
            var typeOk = numeric ? NumericTypes.Contains(tensor.Datatype ?? "") : string.Equals(tensor.Datatype, V2Datatypes.Bytes, StringComparison.OrdinalIgnoreCase);
            if (!typeOk)
                return Fail(new InputError($"Input '{tensor.Name}' must have datatype {(numeric ? "FP32/FP64/INT*" : "BYTES")}, not {tensor.Datatype}.", null, tensor.Name), out error);
        }
        for (var c = 0; c < schema.Count; c++)
            if (tensors[c] is null) return Fail(InputError.MissingColumn(0, schema.Names[c]), out error);
        if (rows == 0) return Fail(InputError.EmptyBatch(), out error);
        if (rows > maxRows) return Fail(InputError.TooManyRows(maxRows), out error);

        var encoder = schema.Encoder;
        for (var c = 0; c < schema.Count; c++)
        {
            var tensor = tensors[c]!;
            if (!TryFlatten(tensor.Data, rows, out var values))
                return Fail(new InputError($"Input '{tensor.Name}' must hold {rows} values in a flat array.", null, tensor.Name), out error);
            for (var r = 0; r < rows; r++)
            {
                var value = values[r];
                var vector = scratch.Vector(r);
                if (schema.IsNumeric[c])
                {
                    switch (value.ValueKind)
                    {
                        case JsonValueKind.Null:
                            encoder.SetNumeric(vector, c, null);
                            break;
                        case JsonValueKind.Number when value.TryGetDouble(out var d) && double.IsFinite(d) && Math.Abs(d) <= float.MaxValue:
                            encoder.SetNumeric(vector, c, d);
                            break;
                        case JsonValueKind.Number:
                            return Fail(InputError.OutOfRange(r, schema.Names[c]), out error);
                        case JsonValueKind.String when value.GetString() is "NaN" or "nan" or "Infinity" or "-Infinity" or "inf" or "-inf":
                            return Fail(InputError.NotANumber(r, schema.Names[c]), out error);
                        default:
                            return Fail(InputError.WrongType(r, schema.Names[c], numeric: true, Describe(value.ValueKind)), out error);
                    }
                }
                else
                {
                    int level;
                    if (value.ValueKind == JsonValueKind.String) level = encoder.LevelOf(c, value.GetString());
                    else if (value.ValueKind == JsonValueKind.Null) level = PredictScratch.MissingLevel;
                    else return Fail(InputError.WrongType(r, schema.Names[c], numeric: false, Describe(value.ValueKind)), out error);
                    scratch.Levels(r)[c] = level;
                    encoder.SetLevel(vector, c, level);
                }
            }
        }
        scratch.Count = rows;
        error = default;
        return true;
    }

    /// <summary>V2 allows row-major nested arrays for [rows, 1]; both forms are accepted.</summary>
    private static bool TryFlatten(JsonElement data, int rows, out List<JsonElement> values)
    {
        values = new List<JsonElement>(rows);
        if (data.ValueKind != JsonValueKind.Array) return false;
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                if (item.GetArrayLength() != 1) return false;
                values.Add(item[0]);
            }
            else values.Add(item);
        }
        return values.Count == rows;
    }

    private static bool Fail(InputError e, out InputError error)
    {
        error = e;
        return false;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => kind.ToString(),
    };
}
