using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.Registry.Client.Json;

/// <summary>
/// Refuses JSON strings that cannot be stored as PostgreSQL text or jsonb: U+0000 and lone surrogates (both only
/// reachable through \u escapes, since raw JSON text cannot hold them). Applies to every string in a strict body,
/// property values, list items and dictionary keys alike, so no endpoint needs its own check.
/// </summary>
public sealed class StorableStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException();
        }
        var value = Text(ref reader);
        // Unescaped JSON text is valid UTF-8 without control characters: only escapes can smuggle these in.
        if (reader.ValueIsEscaped)
        {
            Check(value);
        }
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = Text(ref reader);
        if (reader.ValueIsEscaped)
        {
            Check(value);
        }
        return value;
    }

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The reader cannot make text of it: a lone surrogate escape or invalid UTF-8 bytes.
            throw new JsonException(StorableMarker + "is not valid text (a lone surrogate or invalid UTF-8), which cannot be stored");
        }
    }

    /// <summary>The reason <paramref name="value"/> cannot be stored, or null.</summary>
    public static string? Unstorable(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return "contains U+0000 (NUL), which cannot be stored";
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"contains a lone surrogate (U+{(int)c:X4}), which is not text";
            }
        }
        return null;
    }

    private static void Check(string value)
    {
        if (Unstorable(value) is { } reason)
        {
            throw new JsonException(StorableMarker + reason);
        }
    }

    /// <summary>Prefix of this converter's messages, so <see cref="JsonProblem"/> can tell them from the serializer's.</summary>
    internal const string StorableMarker = "Unstorable text: ";
}
