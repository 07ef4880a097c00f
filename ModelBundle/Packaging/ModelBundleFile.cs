using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.ModelBundle.Packaging;

/// <summary>
/// The model artifact: a zip holding <c>manifest.json</c> and <c>model.zip</c> (the ML.NET model), and from the
/// trainer also <c>tree-covers.json</c> (for explanations) and <c>trees.json</c> (the model as plain trees, so that
/// serving needs no ML.NET). Written byte-for-byte reproducibly (fixed entry order and timestamps), so the same
/// training gives the same sha256.
/// </summary>
public static class ModelBundleFile
{
    public const string ManifestEntry = "manifest.json";
    public const string ModelEntry = "model.zip";
    /// <summary>Optional: training rows per tree leaf, for explanations (<see cref="Explaining.TreeCovers"/>).</summary>
    public const string CoversEntry = "tree-covers.json";
    /// <summary>Optional: the model as plain trees with a probe of ML.NET's predictions (<see cref="Trees.TreeModel"/>).</summary>
    public const string TreesEntry = "trees.json";

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

    /// <summary>
    /// Writes a bundle, with the trees' covers and the plain trees when given (entries after the model; readers
    /// without them skip them).
    /// </summary>
    public static async Task WriteAsync(Stream destination, BundleManifest manifest, Stream mlNetModel, CancellationToken ct,
        Explaining.TreeCovers? covers, Trees.TreeModel? trees = null)
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
        if (covers is not null) await WriteJsonAsync(archive, CoversEntry, covers, ct);
        if (trees is not null) await WriteJsonAsync(archive, TreesEntry, trees, ct);
    }

    private static async Task WriteJsonAsync<T>(ZipArchive archive, string name, T value, CancellationToken ct)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = FixedTime;
        await using var stream = await entry.OpenAsync(ct);
        await JsonSerializer.SerializeAsync(stream, value, CompactJson, ct);
    }

    // Covers and trees are long number arrays: indented, they would be mostly whitespace. A tree's missing-value
    // default may be NaN.
    internal static readonly JsonSerializerOptions CompactJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Reads a bundle: its manifest, and the ML.NET model bytes (for MLContext.Model.Load).</summary>
    public static async Task<(BundleManifest Manifest, MemoryStream MlNetModel)> ReadAsync(Stream source, CancellationToken ct)
    {
        await using var reader = await BundleReader.OpenAsync(source, ct);
        return (reader.Manifest, await reader.ReadMlNetModelAsync(ct));
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
