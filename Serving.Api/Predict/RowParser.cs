using System.Buffers;
using System.Text;
using System.Text.Json;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// Reads <c>{"features": {...}}</c> or <c>{"instances": [{...}, ...]}</c> straight from the body bytes into the
/// scratch's encoded vectors: no DOM, no dictionary or string per row (category values are looked up by span).
/// Every problem becomes an <see cref="InputError"/> naming the row and column; nothing here throws for bad input.
/// </summary>
public static class RowParser
{
    private const int StackChars = 256;

    public static bool TryParse(in ReadOnlySequence<byte> body, InputSchema schema, PredictScratch scratch, int maxRows, out InputError error)
    {
        if (body.IsSingleSegment) return TryParseContiguous(body, schema, scratch, maxRows, out error);
        // Kestrel hands a body over in 4 KB pipe segments; Utf8JsonReader is much slower on its multi-segment path
        // than the copy costs (bench/serving/README.md: 4.9 vs 3.7 us per Ames row). Offsets within the copy are
        // offsets within the body.
        var length = checked((int)body.Length);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(copy);
            return TryParseContiguous(new ReadOnlySequence<byte>(copy, 0, length), schema, scratch, maxRows, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private static bool TryParseContiguous(in ReadOnlySequence<byte> body, InputSchema schema, PredictScratch scratch, int maxRows, out InputError error)
    {
        error = default;
        if (PlainJsonRows.TryParse(body.FirstSpan, schema, scratch, maxRows)) return true;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new InputError("The body must be a JSON object: {\"features\": {...}} or {\"instances\": [...]}.");
                return false;
            }
            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var single = reader.ValueTextEquals("features"u8);
                if (!single && !reader.ValueTextEquals("instances"u8))
                {
                    error = new InputError($"Unknown member '{reader.GetString()}': send \"features\" or \"instances\".");
                    return false;
                }
                // A null member is as good as absent (clients that serialize both members send one as null).
                if (!reader.Read() || reader.TokenType == JsonTokenType.Null) continue;
                if (found)
                {
                    error = new InputError("Send either \"features\" or \"instances\", once.");
                    return false;
                }
                found = true;
                if (single)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        error = new InputError("\"features\" must be an object of column -> value.", 0);
                        return false;
                    }
                    if (!TryReadRow(ref reader, schema, scratch, 0, out error)) return false;
                    scratch.Count = 1;
                }
                else if (!TryReadRows(ref reader, schema, scratch, maxRows, out error)) return false;
            }
            if (!found)
            {
                error = new InputError("The body must have \"features\" (one row) or \"instances\" (rows).");
                return false;
            }
            // Past the root object: throws when anything but whitespace follows it.
            reader.Read();
            error = default;
            return true;
        }
        catch (JsonException e)
        {
            error = new InputError($"The body is not valid JSON: {e.Message}");
            return false;
        }
        catch (InvalidOperationException e) when (e.InnerException is null or System.Text.DecoderFallbackException)
        {
            // Unescaping a name or level that is not text (a lone surrogate \ud800, invalid UTF-8 bytes).
            error = new InputError($"The body holds a string that is not valid text: {e.Message}");
            return false;
        }
    }

    private static bool TryReadRows(ref Utf8JsonReader reader, InputSchema schema, PredictScratch scratch, int maxRows, out InputError error)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = new InputError("\"instances\" must be an array of rows.");
            return false;
        }
        var row = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (row >= maxRows)
            {
                error = InputError.TooManyRows(maxRows);
                return false;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = new InputError($"Row {row}: must be an object of column -> value.", row);
                return false;
            }
            if (!TryReadRow(ref reader, schema, scratch, row, out error)) return false;
            row++;
        }
        if (row == 0)
        {
            error = InputError.EmptyBatch();
            return false;
        }
        scratch.Count = row;
        error = default;
        return true;
    }

    private static bool TryReadRow(ref Utf8JsonReader reader, InputSchema schema, PredictScratch scratch, int row, out InputError error)
    {
        var start = reader.TokenStartIndex;
        var encoder = schema.Encoder;
        var vector = scratch.Vector(row);
        var levels = scratch.Levels(row);
        var seen = scratch.Seen;
        Array.Clear(seen);
        var seenCount = 0;
        var expected = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var column = schema.Resolve(ref reader, expected);
            if (column < 0)
            {
                error = InputError.UnknownColumn(row, reader.GetString() ?? "");
                return false;
            }
            if (seen[column])
            {
                error = InputError.DuplicateColumn(row, schema.Names[column]);
                return false;
            }
            seen[column] = true;
            seenCount++;
            expected = column + 1;
            reader.Read();
            if (schema.IsNumeric[column])
            {
                if (!TryReadNumber(ref reader, out var value, out var problem))
                {
                    error = problem switch
                    {
                        NumberProblem.NotFinite => InputError.NotANumber(row, schema.Names[column]),
                        NumberProblem.OutOfRange => InputError.OutOfRange(row, schema.Names[column]),
                        _ => InputError.WrongType(row, schema.Names[column], numeric: true, Describe(reader.TokenType)),
                    };
                    return false;
                }
                encoder.SetNumeric(vector, column, value);
            }
            else
            {
                int level;
                if (reader.TokenType == JsonTokenType.String) level = LevelOf(ref reader, encoder, column);
                else if (reader.TokenType == JsonTokenType.Null) level = PredictScratch.MissingLevel;
                else
                {
                    error = InputError.WrongType(row, schema.Names[column], numeric: false, Describe(reader.TokenType));
                    return false;
                }
                levels[column] = level;
                encoder.SetLevel(vector, column, level);
            }
        }
        if (seenCount != schema.Count)
        {
            error = InputError.MissingColumn(row, schema.Names[Array.IndexOf(seen, false)]);
            return false;
        }
        scratch.SetRowSpan(row, start, reader.BytesConsumed);
        error = default;
        return true;
    }

    private enum NumberProblem { None, WrongType, NotFinite, OutOfRange }

    private static bool TryReadNumber(ref Utf8JsonReader reader, out double? value, out NumberProblem problem)
    {
        value = null;
        problem = NumberProblem.None;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number:
                if (!reader.TryGetDouble(out var d) || !InFloatRange(d)) problem = NumberProblem.OutOfRange;
                else value = d;
                return problem == NumberProblem.None;
            case JsonTokenType.String:
                problem = IsNonFiniteText(ref reader) ? NumberProblem.NotFinite : NumberProblem.WrongType;
                return false;
            default:
                problem = NumberProblem.WrongType;
                return false;
        }
    }

    /// <summary>The range a numeric feature accepts: finite and within float (the model's type). Both parse paths use it.</summary>
    internal static bool InFloatRange(double value) => double.IsFinite(value) && Math.Abs(value) <= float.MaxValue;

    // "NaN" and friends are what pandas/numpy clients send for missing values; say so instead of "wrong type".
    private static bool IsNonFiniteText(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("NaN"u8) || reader.ValueTextEquals("nan"u8) || reader.ValueTextEquals("Infinity"u8)
        || reader.ValueTextEquals("-Infinity"u8) || reader.ValueTextEquals("inf"u8) || reader.ValueTextEquals("-inf"u8);

    private static int LevelOf(ref Utf8JsonReader reader, ModelBundle.Features.FeatureEncoder encoder, int column)
    {
        // The usual case: plain text, matched on its UTF-8 bytes. A miss on bytes that are not valid UTF-8 goes on
        // below, where they decode with replacement characters, as before.
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            var level = encoder.LevelOf(column, reader.ValueSpan);
            if (level >= 0 || System.Text.Unicode.Utf8.IsValid(reader.ValueSpan)) return level;
        }
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[]? rented = null;
        var buffer = length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            int written;
            if (!reader.ValueIsEscaped && !reader.HasValueSequence) written = Encoding.UTF8.GetChars(reader.ValueSpan, buffer);
            else written = reader.CopyString(buffer);
            return encoder.LevelOf(column, buffer[..written]);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
