using System.IO.Compression;
using System.Text.Json;

namespace MlOps.ModelBundle.Packaging;

/// <summary>
/// An open model bundle (<see cref="ModelBundleFile"/>): its manifest and optional entries read at once, the ML.NET
/// model only when asked for, so that a bundle served from its plain trees never copies the ML.NET model.
/// </summary>
public sealed class BundleReader : IAsyncDisposable
{
    private readonly ZipArchive _archive;

    private BundleReader(ZipArchive archive, BundleManifest manifest, Explaining.TreeCovers? covers, Trees.TreeModel? trees, string? treesError)
    {
        _archive = archive;
        Manifest = manifest;
        Covers = covers;
        Trees = trees;
        TreesError = treesError;
    }

    public BundleManifest Manifest { get; }

    /// <summary>Training rows per leaf (null in bundles from before explanations).</summary>
    public Explaining.TreeCovers? Covers { get; }

    /// <summary>The model as plain trees (null in bundles from before them, and for models the evaluator does not reproduce).</summary>
    public Trees.TreeModel? Trees { get; }

    /// <summary>
    /// Why <see cref="Trees"/> is null although the bundle has the entry (it does not parse). Not an error of the
    /// bundle: the plain trees are an optimization, and the model loads on ML.NET without them.
    /// </summary>
    public string? TreesError { get; }

    public static async Task<BundleReader> OpenAsync(Stream source, CancellationToken ct)
    {
        var archive = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        try
        {
            var manifest = await ReadJsonAsync<BundleManifest>(archive, ModelBundleFile.ManifestEntry, ModelBundleFile.JsonOptions, ct)
                ?? throw new InvalidDataException($"Model bundle has no {ModelBundleFile.ManifestEntry}.");
            if (manifest.FormatVersion != BundleManifest.CurrentFormatVersion)
                throw new InvalidDataException($"Model bundle format {manifest.FormatVersion} is not supported (expected {BundleManifest.CurrentFormatVersion}).");
            if (archive.GetEntry(ModelBundleFile.ModelEntry) is null) throw new InvalidDataException($"Model bundle has no {ModelBundleFile.ModelEntry}.");
            var covers = await ReadJsonAsync<Explaining.TreeCovers>(archive, ModelBundleFile.CoversEntry, ModelBundleFile.CompactJson, ct);
            Trees.TreeModel? trees = null;
            string? treesError = null;
            try
            {
                trees = await ReadJsonAsync<Trees.TreeModel>(archive, ModelBundleFile.TreesEntry, ModelBundleFile.CompactJson, ct);
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
            {
                treesError = $"{ModelBundleFile.TreesEntry} does not parse: {e.Message}";
            }
            return new BundleReader(archive, manifest, covers, trees, treesError);
        }
        catch
        {
            await archive.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ML.NET model's bytes (for MLContext.Model.Load), copied out of the bundle.</summary>
    public async Task<MemoryStream> ReadMlNetModelAsync(CancellationToken ct)
    {
        var model = new MemoryStream();
        await using (var stream = await _archive.GetEntry(ModelBundleFile.ModelEntry)!.OpenAsync(ct))
        {
            await stream.CopyToAsync(model, ct);
        }
        model.Position = 0;
        return model;
    }

    public ValueTask DisposeAsync() => _archive.DisposeAsync();

    // Null when the entry is absent; an entry that is present must hold a value.
    private static async Task<T?> ReadJsonAsync<T>(ZipArchive archive, string name, JsonSerializerOptions options, CancellationToken ct) where T : class
    {
        if (archive.GetEntry(name) is not { } entry) return null;
        await using var stream = await entry.OpenAsync(ct);
        return await JsonSerializer.DeserializeAsync<T>(stream, options, ct) ?? throw new InvalidDataException($"Model bundle {name} is empty.");
    }
}
