using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.ModelBundle.Packaging;

/// <summary>
/// The model artifact: a zip holding <c>manifest.json</c> and <c>model.zip</c> (the ML.NET model). Written
/// byte-for-byte reproducibly (fixed entry order and timestamps), so the same training gives the same sha256.
/// </summary>
public static class ModelBundleFile
{
    public const string ManifestEntry = "manifest.json";
    public const string ModelEntry = "model.zip";
    /// <summary>Optional: training rows per tree leaf, for explanations (<see cref="Explaining.TreeCovers"/>).</summary>
    public const string CoversEntry = "tree-covers.json";

    // Zip timestamps are DOS dates: 1980-01-01 is the earliest, and a constant one keeps bytes stable.
    private static readonly DateTimeOffset FixedTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a bundle. <paramref name="mlNetModel"/> is what MLContext.Model.Save wrote.</summary>
    public static async Task WriteAsync(Stream destination, BundleManifest manifest, Stream mlNetModel, CancellationToken ct) =>
        await WriteAsync(destination, manifest, mlNetModel, ct, covers: null);

    /// <summary>Writes a bundle, with the trees' covers when given (an entry after the model; readers without it skip it).</summary>
    public static async Task WriteAsync(Stream destination, BundleManifest manifest, Stream mlNetModel, CancellationToken ct, Explaining.TreeCovers? covers)
    {
        using var normalizedModel = new MemoryStream();
        await NormalizeZipAsync(mlNetModel, normalizedModel, ct);
        normalizedModel.Position = 0;

        await using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        var manifestEntry = archive.CreateEntry(ManifestEntry, CompressionLevel.Optimal);
        manifestEntry.LastWriteTime = FixedTime;
        await using (var stream = await manifestEntry.OpenAsync(ct))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, JsonOptions, ct);
        }
        // Already compressed inside: storing it avoids compressing twice.
        var modelEntry = archive.CreateEntry(ModelEntry, CompressionLevel.NoCompression);
        modelEntry.LastWriteTime = FixedTime;
        await using (var stream = await modelEntry.OpenAsync(ct))
        {
            await normalizedModel.CopyToAsync(stream, ct);
        }
        if (covers is null) return;
        var coversEntry = archive.CreateEntry(CoversEntry, CompressionLevel.Optimal);
        coversEntry.LastWriteTime = FixedTime;
        await using (var stream = await coversEntry.OpenAsync(ct))
        {
            await JsonSerializer.SerializeAsync(stream, covers, CompactJson, ct);
        }
    }

    // Covers are long integer arrays: indented, they would be mostly whitespace.
    private static readonly JsonSerializerOptions CompactJson = new(JsonSerializerDefaults.Web);

    /// <summary>Reads a bundle: its manifest, and the ML.NET model bytes (for MLContext.Model.Load).</summary>
    public static async Task<(BundleManifest Manifest, MemoryStream MlNetModel)> ReadAsync(Stream source, CancellationToken ct)
    {
        var (manifest, model, _) = await ReadWithCoversAsync(source, ct);
        return (manifest, model);
    }

    /// <summary>Reads a bundle with its tree covers (null when it has none: bundles from before explanations).</summary>
    public static async Task<(BundleManifest Manifest, MemoryStream MlNetModel, Explaining.TreeCovers? Covers)> ReadWithCoversAsync(Stream source, CancellationToken ct)
    {
        await using var archive = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        var manifestEntry = archive.GetEntry(ManifestEntry) ?? throw new InvalidDataException($"Model bundle has no {ManifestEntry}.");
        var modelEntry = archive.GetEntry(ModelEntry) ?? throw new InvalidDataException($"Model bundle has no {ModelEntry}.");
        BundleManifest manifest;
        await using (var stream = await manifestEntry.OpenAsync(ct))
        {
            manifest = await JsonSerializer.DeserializeAsync<BundleManifest>(stream, JsonOptions, ct)
                ?? throw new InvalidDataException("Model bundle manifest is empty.");
        }
        if (manifest.FormatVersion != BundleManifest.CurrentFormatVersion)
            throw new InvalidDataException($"Model bundle format {manifest.FormatVersion} is not supported (expected {BundleManifest.CurrentFormatVersion}).");
        var model = new MemoryStream();
        await using (var stream = await modelEntry.OpenAsync(ct))
        {
            await stream.CopyToAsync(model, ct);
        }
        model.Position = 0;
        Explaining.TreeCovers? covers = null;
        if (archive.GetEntry(CoversEntry) is { } coversEntry)
        {
            await using var stream = await coversEntry.OpenAsync(ct);
            covers = await JsonSerializer.DeserializeAsync<Explaining.TreeCovers>(stream, CompactJson, ct)
                ?? throw new InvalidDataException($"Model bundle {CoversEntry} is empty.");
        }
        return (manifest, model, covers);
    }

    // ML.NET stamps entries with the current time; rewrite them with a fixed one, same order and content.
    private static async Task NormalizeZipAsync(Stream source, Stream destination, CancellationToken ct)
    {
        await using var input = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        await using var output = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in input.Entries)
        {
            var copy = output.CreateEntry(entry.FullName, CompressionLevel.Optimal);
            copy.LastWriteTime = FixedTime;
            await using var from = await entry.OpenAsync(ct);
            await using var to = await copy.OpenAsync(ct);
            await from.CopyToAsync(to, ct);
        }
    }
}
