using System.Buffers.Binary;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// Prediction ids: UUIDv7 (RFC 9562: 48-bit Unix milliseconds, version 7, 74 random bits), so they sort by time
/// and need no coordination between replicas. Generated for every answered row, logged or not, so that a client
/// can always send feedback.
/// </summary>
public static class PredictionIds
{
    /// <summary>
    /// One id per row. The random bits come from <see cref="Random.Shared"/> (per-thread xoshiro, seeded from the OS)
    /// rather than <see cref="Guid.CreateVersion7()"/>'s OS random source: ids must be unique, not secret, and
    /// CreateVersion7 cost ~1.5 us per id here, a tenth of a single-row request.
    /// </summary>
    public static Guid[] New(int rows)
    {
        var ids = new Guid[rows];
        var milliseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
            BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], Random.Shared.NextInt64());
            var random = Random.Shared.Next();
            bytes[6] = (byte)(0x70 | (random & 0x0F)); // version 7 + 4 random bits
            bytes[7] = (byte)(random >> 8);
            bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant (10xx)
            ids[i] = new Guid(bytes, bigEndian: true);
        }
        return ids;
    }

    /// <summary>The text form used in responses, log files and feedback ("D": 36 characters, lower case).</summary>
    public static string Format(Guid id) => id.ToString("D");

    public static bool TryParse(string? text, out Guid id) => Guid.TryParseExact(text, "D", out id);
}
