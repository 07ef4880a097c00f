using System.Text;
using System.Text.Json.Nodes;

namespace MlOps.EndToEnd.Tests.Adversarial;

/// <summary>One generated request body: what was changed where, and the bytes to send.</summary>
public sealed record Mutation(string Where, string What, byte[] Body, string? ContentEncoding = null, string ContentType = "application/json");

/// <summary>
/// Every field of a baseline JSON body, changed one at a time into what a hostile or careless client sends: each
/// control character U+0000-U+001F, lone surrogates, invalid UTF-8 bytes, empty and over-long strings, values of the
/// wrong JSON type, huge and fractional numbers, deep nesting, unknown fields; plus whole-body cases. A mutation is a
/// raw JSON token spliced in place of the field, so invalid UTF-8 and non-JSON numbers reach the server as bytes.
/// </summary>
public static class Mutations
{
    private const string Marker = "@@adversarial@@";

    /// <summary>Longest value each field takes (docs/limits); one more character must be refused, not crash.</summary>
    private static readonly Dictionary<string, int> MaxLengths = new(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = 128, ["experiment"] = 128, ["model"] = 128, ["alias"] = 128, ["key"] = 250, ["metric"] = 250,
        ["label"] = 256, ["positiveClass"] = 256, ["worker"] = 200, ["idempotencyKey"] = 200, ["description"] = 1000,
        ["message"] = 4000, ["reason"] = 1000, ["error"] = 4000,
    };

    public static IEnumerable<Mutation> Of(JsonNode baseline, Func<string, bool>? fieldFilter = null)
    {
        foreach (var (path, node, property) in Leaves(baseline, "$", null))
        {
            if (fieldFilter is not null && !fieldFilter(path)) continue;
            foreach (var (what, token) in TokensFor(node, property))
                yield return new Mutation(path, what, Splice(baseline, path, token));
            if (node is JsonObject)
                yield return new Mutation(path, "unknown field", Splice(baseline, path, Unknown(node)));
        }
        foreach (var whole in WholeBody(baseline)) yield return whole;
    }

    private static IEnumerable<(string What, byte[] Token)> TokensFor(JsonNode? node, string? property)
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        static byte[] Raw(params byte[] inner) => [(byte)'"', (byte)'a', .. inner, (byte)'b', (byte)'"'];
        switch (node)
        {
            // A null field is an optional one, mostly text: it gets the text cases.
            case null:
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                for (var c = 0; c < 0x20; c++) yield return ($"U+{c:X4}", Utf8($"\"a\\u{c:x4}b\""));
                yield return ("raw control byte 0x01 (invalid JSON)", Raw(0x01));
                yield return ("lone high surrogate", Utf8("\"\\ud800\""));
                yield return ("lone low surrogate", Utf8("\"a\\udfffb\""));
                yield return ("invalid UTF-8 0xFF", Raw(0xFF));
                yield return ("invalid UTF-8 0xC3 0x28", Raw(0xC3, 0x28));
                yield return ("UTF-8-encoded surrogate", Raw(0xED, 0xA0, 0x80));
                yield return ("overlong UTF-8", Raw(0xC0, 0xAF));
                yield return ("empty string", Utf8("\"\""));
                var max = property is not null && MaxLengths.TryGetValue(property, out var m) ? m : 4096;
                yield return ($"length {max + 1}", Utf8($"\"{new string('a', max + 1)}\""));
                yield return ("length 100000", Utf8($"\"{new string('a', 100_000)}\""));
                foreach (var wrong in WrongTypes("\"x\"")) yield return wrong;
                break;
            case JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.Number:
                foreach (var n in new[] { "1e309", "-1e309", "2147483648", "-2147483649", "9223372036854775808", "1e30", "1.5", "-1", "0", "1e-320" })
                    yield return ($"number {n}", Utf8(n));
                yield return ("number as a string", Utf8($"\"{v.ToJsonString()}\""));
                foreach (var wrong in WrongTypes("1")) yield return wrong;
                break;
            case JsonValue:
                yield return ("boolean as a string", Utf8("\"true\""));
                foreach (var wrong in WrongTypes("true")) yield return wrong;
                break;
            case JsonArray:
                yield return ("nested 200 deep", Utf8(new string('[', 200) + new string(']', 200)));
                yield return ("10000 items", Utf8("[" + string.Join(',', Enumerable.Repeat("\"a\"", 10_000)) + "]"));
                foreach (var wrong in WrongTypes("[]")) yield return wrong;
                break;
            case JsonObject:
                yield return ("nested 200 deep", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200)));
                foreach (var wrong in WrongTypes("{}")) yield return wrong;
                break;
        }
    }

    /// <summary>Values of every JSON type but the field's own.</summary>
    private static IEnumerable<(string, byte[])> WrongTypes(string own)
    {
        foreach (var token in new[] { "\"x\"", "1", "true", "[]", "{}", "null" })
        {
            if (token == own || (own == "1" && token == "1")) continue;
            yield return ($"wrong type {token}", Encoding.UTF8.GetBytes(token));
        }
    }

    private static byte[] Unknown(JsonNode node)
    {
        var copy = node.DeepClone().AsObject();
        copy["zzUnknownField"] = 1;
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    private static IEnumerable<Mutation> WholeBody(JsonNode baseline)
    {
        var json = Encoding.UTF8.GetBytes(baseline.ToJsonString());
        yield return new("$", "empty body", []);
        yield return new("$", "null", "null"u8.ToArray());
        yield return new("$", "truncated JSON", json[..(json.Length / 2)]);
        yield return new("$", "trailing garbage", [.. json, .. "}}"u8.ToArray()]);
        yield return new("$", "invalid UTF-8 byte", [0xFF, .. json]);
        yield return new("$", "UTF-16 with BOM", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(baseline.ToJsonString())]);
        yield return new("$", "comment", [.. "/* c */"u8.ToArray(), .. json]);
        yield return new("$", "text/plain content type", json, ContentType: "text/plain");
        yield return new("$", "Content-Encoding x-unknown", json, ContentEncoding: "x-unknown");
        using var zipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        yield return new("$", "gzip body", zipped.ToArray(), ContentEncoding: "gzip");
    }

    /// <summary>The baseline with the node at <paramref name="path"/> replaced by the raw <paramref name="token"/>.</summary>
    private static byte[] Splice(JsonNode baseline, string path, byte[] token)
    {
        if (path == "$") return token;
        var copy = baseline.DeepClone();
        var (parent, key) = Locate(copy, path);
        if (parent is JsonObject o) o[key] = Marker; else parent!.AsArray()[int.Parse(key)] = Marker;
        var text = Encoding.UTF8.GetBytes(copy.ToJsonString());
        var marker = Encoding.UTF8.GetBytes($"\"{Marker}\"");
        var at = text.AsSpan().IndexOf(marker);
        return [.. text.AsSpan(0, at), .. token, .. text.AsSpan(at + marker.Length)];
    }

    private static (JsonNode? Parent, string Key) Locate(JsonNode root, string path)
    {
        var parts = path.Split('/')[1..];
        JsonNode? node = root;
        for (var i = 0; i < parts.Length - 1; i++)
            node = node is JsonArray a ? a[int.Parse(parts[i])] : node![parts[i]];
        return (node, parts[^1]);
    }

    /// <summary>Every node below the root with its path ("$/spec/trainer/learningRate") and property name.</summary>
    private static IEnumerable<(string Path, JsonNode? Node, string? Property)> Leaves(JsonNode? node, string path, string? property)
    {
        if (path != "$") yield return (path, node, property);
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                    foreach (var leaf in Leaves(child, $"{path}/{name}", name)) yield return leaf;
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    foreach (var leaf in Leaves(a[i], $"{path}/{i}", property)) yield return leaf;
                break;
        }
    }
}
