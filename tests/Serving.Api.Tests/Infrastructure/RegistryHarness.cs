using Amazon.S3.Model;
using MlOps.ModelBundle.Features;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Models;

namespace MlOps.Serving.Api.Tests.Infrastructure;

/// <summary>
/// A real Registry.Api (PostgreSQL + S3) on a loopback Kestrel port, so Serving.Api reaches it over sockets as
/// in production, with helpers to register trained bundles and build serving configuration against it.
/// </summary>
public sealed class RegistryHarness : IAsyncLifetime
{
    public RegistryApiFactory Registry { get; } = new();
    public Uri RegistryUrl { get; private set; } = null!;
    public RegistryClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RegistryUrl = await Registry.StartKestrelAsync();
        // Over the socket too (the factory's own clients assume the in-memory server).
        var http = new HttpClient { BaseAddress = RegistryUrl, Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", RegistryApiFactory.AdminKey);
        Admin = new RegistryClient(http);
    }

    public async Task DisposeAsync() => await Registry.DisposeAsync();

    /// <summary>Registers a trained bundle with its label, as the worker does (a prediction log window names its label column after it).</summary>
    public Task<ModelVersion> RegisterAsync(string model, TrainedModel trained) =>
        RegisterBytesAsync(model, trained.Bytes, trained.Result.Manifest.Task, trained.Result.Manifest.Features, trained.Result.Manifest.Label);

    /// <summary>Registers any bytes (the registry checks their sha256, not that they are a model).</summary>
    public async Task<ModelVersion> RegisterBytesAsync(string model, byte[] bytes, string task, IReadOnlyList<FeatureColumn> features, string? label = null)
    {
        var schema = features.Select(f => new FeatureSchema(f.Name, f.Kind == FeatureKind.Numeric ? ColumnTypes.Numeric : ColumnTypes.Categorical, f.Levels)).ToList();
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var metadata = new ModelVersionMetadata(null, null, task, schema, new Dictionary<string, double>(), sha, label);
        return await Admin.RegisterModelVersionAsync(model, metadata, new MemoryStream(bytes));
    }

    /// <summary>Overwrites a stored artifact in S3 behind the registry's back (what bit rot or tampering looks like).</summary>
    public async Task CorruptStoredArtifactAsync(string sha256, byte[] bytes)
    {
        using var s3 = Registry.CreateS3Client();
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Registry.Bucket,
            Key = $"sha256/{sha256[..2]}/{sha256}",
            InputStream = new MemoryStream(bytes),
        });
    }

    /// <summary>Serving configuration for one model watched in this registry with the reader key.</summary>
    public Dictionary<string, string?> ServingSettings(string model, string alias = WellKnownAliases.Production) => new()
    {
        ["Registry:BaseAddress"] = RegistryUrl.ToString(),
        ["Registry:ApiKey"] = RegistryApiFactory.ReaderKey,
        ["Serving:Models:0:Name"] = model,
        ["Serving:Models:0:Alias"] = alias,
        ["Serving:WatchSeconds"] = "5",
        ["Serving:RetrySeconds"] = "0.2",
    };
}
