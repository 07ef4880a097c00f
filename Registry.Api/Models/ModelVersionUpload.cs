using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Models;

/// <summary>
/// Reads <c>multipart/form-data</c> as a stream: the <c>metadata</c> part (JSON, small) must come first, then the
/// <c>artifact</c> part is handed over as a stream, so the artifact is never buffered (no IFormFile).
/// </summary>
public static partial class ModelVersionUpload
{
    public const int MaxMetadataBytes = 1024 * 1024;

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();

    public sealed record Parts(ModelVersionMetadata Metadata, MultipartSection Artifact);

    /// <summary>The metadata and the artifact section, or a 400 message.</summary>
    public static async Task<(Parts? Parts, string? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return (null, "Expected multipart/form-data with a 'metadata' part then an 'artifact' part.");
        }
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        var first = await reader.ReadNextSectionAsync(ct);
        if (first is null || PartName(first) != "metadata")
        {
            return (null, "The first part must be 'metadata' (JSON).");
        }
        ModelVersionMetadata? metadata;
        try
        {
            using var limited = new MemoryStream();
            await CopyLimitedAsync(first.Body, limited, MaxMetadataBytes, ct);
            limited.Position = 0;
            metadata = await JsonSerializer.DeserializeAsync<ModelVersionMetadata>(limited, RegistryJson.Strict, ct);
        }
        catch (JsonException e)
        {
            return (null, "metadata: " + MlOps.Registry.Client.Json.JsonProblem.Describe(e, typeof(ModelVersionMetadata), RegistryJson.Strict));
        }
        if (metadata is null)
        {
            return (null, "metadata is required.");
        }
        if (Validate(metadata) is { } error)
        {
            return (null, error);
        }
        var artifact = await reader.ReadNextSectionAsync(ct);
        if (artifact is null || PartName(artifact) != "artifact")
        {
            return (null, "The second part must be 'artifact' (the model bytes).");
        }
        return (new Parts(metadata, artifact), null);
    }

    private static string? PartName(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd) ? HeaderUtilities.RemoveQuotes(cd.Name).Value : null;

    private static async Task CopyLimitedAsync(Stream from, Stream to, int limit, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int read;
        var total = 0;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new BadHttpRequestException($"metadata is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    public static string? Validate(ModelVersionMetadata m)
    {
        if (m.Sha256 is null || !Sha256Pattern().IsMatch(m.Sha256))
        {
            return "sha256 must be 64 hex characters (the artifact's expected hash).";
        }
        if (m.Task is null || !TrainingTasks.All.Contains(m.Task))
        {
            return $"task must be one of {string.Join(", ", TrainingTasks.All)}.";
        }
        if (m.InputSchema is null || m.InputSchema.Count == 0)
        {
            return "inputSchema must list the model's input columns.";
        }
        foreach (var f in m.InputSchema)
        {
            if (f is null || string.IsNullOrWhiteSpace(f.Name) || f.Name.Length > 256 || f.Name.Any(char.IsControl))
            {
                return "inputSchema names must be 1-256 characters without control characters.";
            }
            if (f.Type is not (ColumnTypes.Numeric or ColumnTypes.Categorical))
            {
                return $"inputSchema '{f.Name}' type must be numeric or categorical.";
            }
        }
        if (m.InputSchema.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count() != m.InputSchema.Count)
        {
            return "inputSchema names must be unique.";
        }
        if (m.Metrics is null || m.Metrics.Any(kv => !Names.IsValidKey(kv.Key) || !double.IsFinite(kv.Value)))
        {
            return "metrics must map valid keys to finite numbers.";
        }
        if (m.Tags?.Any(kv => !Names.IsValidKey(kv.Key) || kv.Value is null || kv.Value.Length > 4000) == true)
        {
            return "tags must map valid keys to strings of at most 4000 characters.";
        }
        if (m.Dataset is { } d && (!Names.IsValid(d.Name) || d.Version < 1))
        {
            return "dataset must name an existing dataset version.";
        }
        return null;
    }
}
