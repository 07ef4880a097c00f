namespace MlOps.Bench.Registry;

/// <summary>
/// A deterministic, non-seekable stream of <c>length</c> pseudo-random bytes, produced on the fly (nothing on disk,
/// one 1 MB block in memory). Non-seekable, so HttpClient sends it chunked, like a real streamed upload.
/// </summary>
public sealed class GeneratedStream(long length, int seed) : Stream
{
    private const int BlockSize = 1024 * 1024;
    private readonly byte[] block = CreateBlock(seed);
    private long position;

    private static byte[] CreateBlock(int seed)
    {
        var b = new byte[BlockSize];
        new Random(seed).NextBytes(b);
        return b;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var left = length - position;
        if (left <= 0)
        {
            return 0;
        }
        var n = (int)Math.Min(Math.Min(buffer.Length, left), BlockSize - position % BlockSize);
        block.AsSpan((int)(position % BlockSize), n).CopyTo(buffer);
        // Make every block differ: stamp the block index into its first 8 bytes.
        var blockIndex = position / BlockSize;
        var inBlock = (int)(position % BlockSize);
        for (var i = inBlock; i < Math.Min(8, inBlock + n); i++)
        {
            buffer[i - inBlock] = (byte)(blockIndex >> (8 * i));
        }
        position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
