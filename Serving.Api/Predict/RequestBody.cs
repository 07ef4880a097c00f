using System.Buffers;
using System.IO.Pipelines;

namespace MlOps.Serving.Api.Predict;

/// <summary>Buffers a request body in the connection's pipe (no copy), refusing it past a size limit.</summary>
public static class RequestBody
{
    /// <summary>
    /// Reads to the end. Null when over <paramref name="limit"/>. Otherwise the caller must call
    /// <see cref="PipeReader.AdvanceTo(SequencePosition)"/> with the buffer's end once done with it.
    /// </summary>
    public static async ValueTask<ReadOnlySequence<byte>?> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return null;
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }
            if (result.IsCompleted || result.IsCanceled) return buffer;
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
