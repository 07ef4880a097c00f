using System.Security.Cryptography;
using System.Text;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Runs;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>
/// A real registry (PostgreSQL + S3, in-memory HTTP) seeded through its API, for the component tests: an
/// experiment with three runs (params, metrics, 5,000-point curves, importance, gate tags), a dataset, and a model
/// with two versions and a production alias. No training: these tests are about what the views draw.
/// </summary>
public sealed class SeededRegistry : IAsyncLifetime
{
    public const string Experiment = "bunit-exp";
    public const string Model = "bunit-model";
    public const string Dataset = "bunit-data";

    public RegistryApiFactory Factory { get; } = new();
    public RegistryClient Admin { get; private set; } = null!;
    public List<Run> Runs { get; } = [];

    public RegistryClient Client(RegistryRole role) => Factory.CreateRegistryClient(role);

    public async Task InitializeAsync()
    {
        Admin = Factory.CreateRegistryClient(RegistryRole.Admin);
        var csv = "x,color,y\n1,red,0.5\n2,blue,1.5\n,red,2.5\n4,green,NA\n";
        await Admin.UploadDatasetAsync(Dataset, new MemoryStream(Encoding.UTF8.GetBytes(csv)));
        await Admin.CreateExperimentAsync(new(Experiment, "component tests"));
        foreach (var (leaves, rate, auc) in new[] { (15, "0.1", 0.81), (31, "0.1", 0.86), (7, "0.2", 0.74) })
        {
            var run = await Admin.CreateRunAsync(new CreateRunRequest(Experiment, $"run-{leaves}",
                Params: new Dictionary<string, string> { ["numberOfLeaves"] = leaves.ToString(), ["learningRate"] = rate, ["dataset.name"] = Dataset, ["dataset.version"] = "1" },
                Tags: new Dictionary<string, string> { ["gate.decision"] = auc > 0.8 ? "promoted" : "not-promoted", ["gate.reason"] = "test" }));
            var points = new List<MetricPoint> { new("auc", auc), new("feature_importance.x", 0.7), new("feature_importance.color", 0.3) };
            points.AddRange(Enumerable.Range(1, 5000).Select(i => new MetricPoint("learning_curve.log_loss", 0.3 + 0.6 / Math.Sqrt(i) + (i == 2500 ? 0.2 : 0), i)));
            await Admin.LogMetricsAsync(run.Id, points);
            Runs.Add(await Admin.UpdateRunAsync(run.Id, new UpdateRunRequest(RunStatuses.Finished)));
        }
        for (var v = 0; v < 2; v++)
        {
            var bytes = Encoding.UTF8.GetBytes($"model bytes {v}");
            await Admin.RegisterModelVersionAsync(Model, new ModelVersionMetadata(Runs[v].Id, new DatasetVersionRef(Dataset, 1), "binary",
                [new FeatureSchema("x", "numeric")], new Dictionary<string, double> { ["auc"] = Runs[v].Metrics["auc"] },
                Convert.ToHexStringLower(SHA256.HashData(bytes)), Label: "y"), new MemoryStream(bytes));
        }
        await Admin.SetAliasAsync(Model, WellKnownAliases.Production, 1, "first");
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
