using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace MlOps.Registry.Api.Runs;

/// <summary>
/// A run search page token: where the next page starts. Keyset tokens ("k1." + base64url) carry the order they
/// were made for, the last run's sort value (null: it had none) and id. A token of digits is an offset, as this API
/// issued before keyset paging; it is still honoured so that links and clients holding one keep working.
/// </summary>
internal sealed record PageToken(string Order, Guid Id, string? Value, int? Offset)
{
    private const string Prefix = "k1.";

    public static PageToken? Parse(string token)
    {
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return new PageToken("", Guid.Empty, null, offset);
        }
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 8000)
        {
            return null;
        }
        var bytes = new byte[Base64Url.GetMaxDecodedLength(token.Length - Prefix.Length)];
        if (Base64Url.DecodeFromChars(token.AsSpan(Prefix.Length), bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return null;
        }
        // order \n id \n ('-' | '=' value): the value goes last because param and tag values may hold any character.
        var parts = Encoding.UTF8.GetString(bytes, 0, written).Split('\n', 3);
        if (parts.Length != 3 || !Guid.TryParse(parts[1], out var id) || parts[2].Length == 0 || parts[2][0] is not ('-' or '='))
        {
            return null;
        }
        return new PageToken(parts[0], id, parts[2][0] == '-' ? null : parts[2][1..], null);
    }

    public override string ToString() =>
        Offset is { } o
            ? o.ToString(CultureInfo.InvariantCulture)
            : Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Order}\n{Id}\n{(Value is null ? "-" : "=" + Value)}"));
}
