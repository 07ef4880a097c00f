using System.Security.Cryptography;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Models;

namespace MlOps.Registry.Api.Tests;

/// <summary>Test artifacts: deterministic pseudo-random bytes and metadata that matches them.</summary>
public static class ModelArtifacts
{
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static ModelVersionMetadata Metadata(string sha256, double auc = 0.8) => new(
        RunId: null,
        Dataset: null,
        Task: TrainingTasks.Binary,
        InputSchema: [new FeatureSchema("age", ColumnTypes.Numeric), new FeatureSchema("home", ColumnTypes.Categorical, ["rent", "own"])],
        Metrics: new Dictionary<string, double> { ["auc"] = auc },
        Sha256: sha256,
        Label: "status");

    public static async Task<ModelVersion> RegisterAsync(RegistryClient client, string model, int seed, int length = 4096, double auc = 0.8)
    {
        var bytes = Bytes(length, seed);
        return await client.RegisterModelVersionAsync(model, Metadata(Sha(bytes), auc), new MemoryStream(bytes));
    }
}
