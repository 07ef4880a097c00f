using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace MlOps.Registry.Client.Json;

/// <summary>
/// Words a <see cref="JsonException"/> from reading a body with <see cref="RegistryJson.Strict"/> for a 400: the field
/// (as a dotted path) and, for a wrong type, the type expected there, found by walking the body's type along the
/// exception's path. One mapping for every endpoint instead of per-field checks.
/// </summary>
public static partial class JsonProblem
{
    /// <summary>Nesting deeper than this is refused (our documents are at most 5 levels deep).</summary>
    public const int MaxDepth = 32;

    [GeneratedRegex("^The JSON property '(?<name>.*)' could not be mapped", RegexOptions.Singleline)]
    private static partial Regex Unmapped();

    [GeneratedRegex("missing required properties including: (?<names>.*?)\\.(\\s|$)", RegexOptions.Singleline)]
    private static partial Regex MissingRequired();

    [GeneratedRegex("^The (constructor parameter|property or field) '(?<name>[^']*)' on type .* doesn't allow (setting )?null values", RegexOptions.Singleline)]
    private static partial Regex NullNotAllowed();

    [GeneratedRegex("(configured depth|maximum allowed depth)")]
    private static partial Regex TooDeep();

    /// <summary>The problem detail for <paramref name="error"/>; <paramref name="root"/> is the body's type when known.</summary>
    public static string Describe(JsonException error, Type? root, JsonSerializerOptions options)
    {
        var message = error.Message;
        var segments = Segments(error.Path);
        var field = Field(segments);
        if (message.StartsWith(StorableStringConverter.StorableMarker, StringComparison.Ordinal))
        {
            return $"{field} {message[StorableStringConverter.StorableMarker.Length..].Split(" Path:")[0]}.";
        }
        if (Unmapped().Match(message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups["name"].Value;
            // The serializer's path may or may not end with the unknown name itself.
            var parent = segments.Count > 0 && segments[^1] == name ? segments.Take(segments.Count - 1).ToList() : segments;
            return UnknownField(name, parent, root, options);
        }
        if (MissingRequired().Match(message) is { Success: true } missing)
        {
            var names = missing.Groups["names"].Value.Replace("'", "").Split(", ", StringSplitOptions.RemoveEmptyEntries);
            var at = segments.Count == 0 ? "The body" : Field(segments);
            return $"{at} is missing required field{(names.Length > 1 ? "s" : "")} {string.Join(", ", names.Select(n => $"'{n}'"))}.";
        }
        if (NullNotAllowed().Match(message) is { Success: true } nulled)
        {
            var path = segments.Count > 0 && string.Equals(segments[^1], nulled.Groups["name"].Value, StringComparison.OrdinalIgnoreCase)
                ? segments : [.. segments, nulled.Groups["name"].Value];
            var expectedValue = root is null ? null : Expected(root, path, options);
            return $"{Field(path)} must not be null: expected {expectedValue ?? "a value"}.";
        }
        if (TooDeep().IsMatch(message))
        {
            return $"The body is nested deeper than {MaxDepth} levels.";
        }
        // A value of the wrong JSON type (a string for a number, an array for an object...).
        if (segments.Count > 0 && root is not null && message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            && Expected(root, segments, options) is { } expectedType)
        {
            return $"{field} has the wrong type: expected {expectedType}.";
        }
        // Malformed JSON: the reader's first sentence plus where it stopped.
        var first = message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd(' ', '|');
        var where = error.LineNumber is { } line ? $" (line {line + 1}, byte {error.BytePositionInLine + 1})" : "";
        return $"Malformed JSON{where}: {first}";
    }

    private static string UnknownField(string name, List<string> parent, Type? root, JsonSerializerOptions options)
    {
        var text = new StringBuilder($"Unknown field '{Field([.. parent, name], quoted: false)}'.");
        if (root is not null && Walk(root, parent, options) is { Kind: JsonTypeInfoKind.Object } info)
        {
            text.Append($" Allowed fields{(parent.Count == 0 ? " of the body" : $" of '{Field(parent, quoted: false)}'")}: {string.Join(", ", info.Properties.Select(p => p.Name))}.");
            // A document posted without its wrapper (e.g. a job spec without {"spec": ...}): say where it belongs.
            foreach (var property in info.Properties)
            {
                if (options.GetTypeInfo(Unwrap(property.PropertyType)) is { Kind: JsonTypeInfoKind.Object } inner
                    && inner.Properties.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    text.Append($" '{name}' is a field of '{property.Name}': wrap the document as {{\"{property.Name}\": {{...}}}}.");
                    break;
                }
            }
        }
        return text.ToString();
    }

    /// <summary>What the JSON at <paramref name="path"/> should be ("an integer", "an object"...), or null when unknown.</summary>
    public static string? Expected(Type root, IReadOnlyList<string> path, JsonSerializerOptions options) =>
        Walk(root, path, options) is { } info ? Describe(info) : null;

    private static JsonTypeInfo? Walk(Type root, IReadOnlyList<string> path, JsonSerializerOptions options)
    {
        try
        {
            var info = options.GetTypeInfo(Unwrap(root));
            foreach (var segment in path)
            {
                Type? next = info.Kind switch
                {
                    JsonTypeInfoKind.Object => info.Properties.FirstOrDefault(p => string.Equals(p.Name, segment, StringComparison.OrdinalIgnoreCase))?.PropertyType,
                    JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary => info.ElementType,
                    _ => null,
                };
                if (next is null)
                {
                    return null;
                }
                info = options.GetTypeInfo(Unwrap(next));
            }
            return info;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static string Describe(JsonTypeInfo info)
    {
        var type = info.Type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(Guid)) return "a UUID string";
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return "an ISO 8601 date-time string";
        if (type == typeof(int)) return "an integer (32-bit, no quotes)";
        if (type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong))
            return "an integer (no quotes)";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number (no quotes)";
        if (type == typeof(object) || type == typeof(JsonElement)) return "a JSON value";
        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Dictionary => "an object",
            JsonTypeInfoKind.Object => $"an object ({string.Join(", ", info.Properties.Select(p => p.Name))})",
            _ => type.Name,
        };
    }

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    /// <summary>Splits the serializer's path (<c>$.spec.trainer['x'][0]</c>) into property names and indices.</summary>
    public static List<string> Segments(string? path)
    {
        var segments = new List<string>();
        if (string.IsNullOrEmpty(path) || path[0] != '$')
        {
            return segments;
        }
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 2)..end]);
                i = Math.Min(path.Length, end + 2);
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = Math.Min(path.Length, end + 1);
            }
            else
            {
                break;
            }
        }
        return segments;
    }

    private static string Field(IReadOnlyList<string> segments, bool quoted = true)
    {
        if (segments.Count == 0)
        {
            return "The body";
        }
        var text = new StringBuilder();
        foreach (var s in segments)
        {
            if (s.Length > 0 && s.All(char.IsAsciiDigit)) text.Append('[').Append(s).Append(']');
            else text.Append(text.Length == 0 ? "" : ".").Append(s);
        }
        return quoted ? $"'{text}'" : text.ToString();
    }
}
