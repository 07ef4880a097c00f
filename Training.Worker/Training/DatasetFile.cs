using System.Security.Cryptography;
using System.Text;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// A downloaded dataset kept on local disk (deleted when disposed), with the sha256 of its bytes: the worker checks
/// the hash before using a byte, then streams the file as many times as loading needs (once to type columns the
/// registry did not, once to load them), so memory holds typed columns, never the text.
/// </summary>
public sealed class DatasetFile : IAsyncDisposable
{
    private readonly FileStream _file;

    private DatasetFile(FileStream file, string sha256)
    {
        _file = file;
        Sha256 = sha256;
    }

    /// <summary>Hex sha256 of the bytes.</summary>
    public string Sha256 { get; }

    public long Bytes => _file.Length;

    /// <summary>Copies a stream to a temporary file, hashing the bytes as they pass.</summary>
    public static async Task<DatasetFile> SpoolAsync(Stream csv, CancellationToken ct)
    {
        var file = new FileStream(Path.Combine(Path.GetTempPath(), "mlops-dataset-" + Guid.NewGuid().ToString("N") + ".csv"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var sha256 = await CopyHashedAsync(csv, file, ct);
            await file.FlushAsync(ct);
            return new DatasetFile(file, sha256);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the CSV from its start (header read); one reader at a time.</summary>
    public CsvReader OpenReader()
    {
        _file.Position = 0;
        return new CsvReader(OpenText(new NonClosingStream(_file)));
    }

    /// <summary>UTF-8 text, invalid bytes an error (<see cref="DecoderFallbackException"/>); a BOM is skipped by the reader.</summary>
    internal static StreamReader OpenText(Stream bytes) =>
        new(bytes, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 65536);

    internal static async Task<string> CopyHashedAsync(Stream from, Stream to, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    /// <summary>Lets a reader be disposed without closing the file it reads.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
