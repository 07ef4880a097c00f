using System.Buffers.Text;
using System.Text.Unicode;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// The usual request, read without Utf8JsonReader: <c>{"features": {...}}</c> or <c>{"instances": [{...}, ...]}</c>
/// whose rows list every column once, in schema order, each value a plain number, null or an unescaped string, with
/// JSON whitespace anywhere between tokens. A byte scan with no token state machine costs about half the reader's
/// time per row (bench/serving/README.md). At the first byte outside that subset (an escape, another column order,
/// a member it does not expect, anything the reader would refuse) it gives up and RowParser parses the whole body
/// again with Utf8JsonReader, which then accepts or refuses it with its own rules and messages. Everything this
/// accepts is valid JSON that the reader path reads to the same vectors and level codes: the same number parser
/// (Utf8Parser, as Utf8JsonReader.TryGetDouble) on text checked against JSON's number grammar, the same encoder calls.
/// </summary>
internal static class PlainJsonRows
{
    public static bool TryParse(ReadOnlySpan<byte> body, InputSchema schema, PredictScratch scratch, int maxRows)
    {
        if (!schema.PlainNames) return false;
        var p = 0;
        SkipWhitespace(body, ref p);
        if (!Take(body, ref p, (byte)'{')) return false;
        SkipWhitespace(body, ref p);
        int rows;
        if (TakeName(body, ref p, "features"u8))
        {
            if (!TakeColon(body, ref p) || !TryReadRow(body, ref p, schema, scratch, 0)) return false;
            rows = 1;
        }
        else if (TakeName(body, ref p, "instances"u8))
        {
            if (!TakeColon(body, ref p) || !Take(body, ref p, (byte)'[')) return false;
            rows = 0;
            while (true)
            {
                // Empty and oversized batches are errors: the reader path words them.
                if (rows >= maxRows) return false;
                SkipWhitespace(body, ref p);
                if (!TryReadRow(body, ref p, schema, scratch, rows)) return false;
                rows++;
                SkipWhitespace(body, ref p);
                if (Take(body, ref p, (byte)',')) continue;
                if (Take(body, ref p, (byte)']')) break;
                return false;
            }
        }
        else return false;
        SkipWhitespace(body, ref p);
        if (!Take(body, ref p, (byte)'}')) return false;
        SkipWhitespace(body, ref p);
        if (p != body.Length) return false;
        scratch.Count = rows;
        return true;
    }

    /// <summary>
    /// One row object, from its '{' (at <paramref name="p"/>, after whitespace) to past its '}': the row's JSON spans
    /// body[start..p) on success.
    /// </summary>
    private static bool TryReadRow(ReadOnlySpan<byte> body, ref int p, InputSchema schema, PredictScratch scratch, int row)
    {
        var start = p;
        if (!Take(body, ref p, (byte)'{')) return false;
        var encoder = schema.Encoder;
        var vector = scratch.Vector(row);
        var levels = scratch.Levels(row);
        var names = schema.Utf8Names;
        var members = schema.Utf8Members;
        var numeric = schema.IsNumeric;
        for (var column = 0; column < names.Length; column++)
        {
            // Compact JSON: separator, name and colon compared at once; anything else token by token.
            if (body[p..].StartsWith(members[column]))
            {
                p += members[column].Length;
                SkipWhitespace(body, ref p);
            }
            else
            {
                SkipWhitespace(body, ref p);
                if (column > 0)
                {
                    if (!Take(body, ref p, (byte)',')) return false;
                    SkipWhitespace(body, ref p);
                }
                if (!TakeName(body, ref p, names[column]) || !TakeColon(body, ref p)) return false;
            }
            if (p >= body.Length) return false;
            var first = body[p];
            if (first == (byte)'n')
            {
                if (!body[p..].StartsWith("null"u8)) return false;
                p += 4;
                if (numeric[column]) encoder.SetNumeric(vector, column, null);
                else
                {
                    levels[column] = PredictScratch.MissingLevel;
                    encoder.SetLevel(vector, column, PredictScratch.MissingLevel);
                }
            }
            else if (first == (byte)'"')
            {
                if (numeric[column]) return false;
                var rest = body[(p + 1)..];
                var end = rest.IndexOfAny((byte)'"', (byte)'\\');
                if (end < 0 || rest[end] != (byte)'"') return false;
                var text = rest[..end];
                // Control characters are invalid in a JSON string: the reader refuses them.
                if (text.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return false;
                var level = encoder.LevelOf(column, text);
                // A miss on invalid UTF-8: the reader path decodes it with replacement characters first.
                if (level < 0 && !Utf8.IsValid(text)) return false;
                levels[column] = level;
                encoder.SetLevel(vector, column, level);
                p += end + 2;
            }
            else
            {
                if (!numeric[column]) return false;
                // Then RowParser's range rule (the reader path words the errors).
                if (!TryReadNumber(body[p..], out var value, out var length) || !RowParser.InFloatRange(value)) return false;
                encoder.SetNumeric(vector, column, value);
                p += length;
            }
        }
        SkipWhitespace(body, ref p);
        if (!Take(body, ref p, (byte)'}')) return false;
        // Where the row lies in the body: the prediction log copies it from there (RowParser's reader path does too).
        scratch.SetRowSpan(row, start, p);
        return true;
    }

    /// <summary>Exact powers of ten as doubles (10^22 is the last one a double holds exactly).</summary>
    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>
    /// The JSON number at the start of <paramref name="s"/> (followed by a delimiter, see <see cref="NumberLength"/>):
    /// its length and the double Utf8Parser (as Utf8JsonReader.TryGetDouble) reads from it. Numbers of at most 15
    /// digits without an exponent (most of what clients send: 5100, 0.25, -3.5) skip Utf8Parser: their digits are an
    /// exact integer below 2^53 and 10^fraction-digits an exact double, so one IEEE division rounds to the nearest
    /// double, the value Utf8Parser returns too (Clinger's fast path). The rest go to Utf8Parser.
    /// </summary>
    internal static bool TryReadNumber(ReadOnlySpan<byte> s, out double value, out int length)
    {
        value = 0;
        length = NumberLength(s);
        if (length == 0) return false;
        var negative = s[0] == (byte)'-';
        long digits = 0;
        int count = 0, fraction = -1;
        for (var i = negative ? 1 : 0; i < length; i++)
        {
            var b = s[i];
            if (b == (byte)'.') fraction = 0;
            else if (IsDigit(b) && count < 15)
            {
                digits = digits * 10 + (b - '0');
                count++;
                if (fraction >= 0) fraction++;
            }
            else return Utf8Parser.TryParse(s[..length], out value, out var consumed) && consumed == length; // exponent, or 16+ digits
        }
        value = fraction > 0 ? digits / PowersOfTen[fraction] : digits;
        if (negative) value = -value; // "-0" is -0.0, as Utf8Parser reads it
        return true;
    }

    /// <summary>Bytes of a JSON number at the start (-? int frac? exp?) followed by a delimiter, or 0.</summary>
    private static int NumberLength(ReadOnlySpan<byte> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == (byte)'-') i++;
        if (i >= s.Length) return 0;
        if (s[i] == (byte)'0') i++;
        else if (IsDigit(s[i])) while (i < s.Length && IsDigit(s[i])) i++;
        else return 0;
        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            if (i >= s.Length || !IsDigit(s[i])) return 0;
            while (i < s.Length && IsDigit(s[i])) i++;
        }
        if (i < s.Length && (s[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-')) i++;
            if (i >= s.Length || !IsDigit(s[i])) return 0;
            while (i < s.Length && IsDigit(s[i])) i++;
        }
        // A number ends at whitespace, ',' or '}' inside a row; anything else ("01", "1x") is not this subset.
        if (i >= s.Length) return 0;
        var next = s[i];
        return next is (byte)',' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' ? i : 0;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool TakeName(ReadOnlySpan<byte> body, ref int p, ReadOnlySpan<byte> name)
    {
        // "name" exactly: the closing quote right after the bytes (no longer name with the same prefix).
        var end = p + 1 + name.Length;
        if (end >= body.Length || body[p] != (byte)'"' || !body.Slice(p + 1, name.Length).SequenceEqual(name) || body[end] != (byte)'"')
            return false;
        p = end + 1;
        return true;
    }

    private static bool TakeColon(ReadOnlySpan<byte> body, ref int p)
    {
        SkipWhitespace(body, ref p);
        if (!Take(body, ref p, (byte)':')) return false;
        SkipWhitespace(body, ref p);
        return true;
    }

    private static bool Take(ReadOnlySpan<byte> body, ref int p, byte token)
    {
        if (p >= body.Length || body[p] != token) return false;
        p++;
        return true;
    }

    private static void SkipWhitespace(ReadOnlySpan<byte> body, ref int p)
    {
        while (p < body.Length && body[p] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') p++;
    }
}
