using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.ServiceDefaults;
using MlOps.Training.Worker.Infrastructure;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>
/// A real Registry.Api (PostgreSQL + S3) on Kestrel holding real trained runs: the credit-scoring sample is
/// uploaded and two jobs with different trainer settings are trained by a real Training.Worker (in this
/// process, as its Program.cs builds it), which logs params, metrics, learning curves and importance, registers
/// versions 1 and 2 of <see cref="Model"/> and lets the gate move <c>production</c>.
/// </summary>
public sealed class TrainedRegistry : IAsyncLifetime
{
    public const string Experiment = "studio-credit";
    public const string Model = "studio-credit-risk";

    public RegistryApiFactory Factory { get; } = new();
    public Uri Address { get; private set; } = null!;
    public RegistryClient Admin { get; private set; } = null!;
    public IReadOnlyList<TrainingJob> Jobs { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Address = await Factory.StartKestrelAsync();
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RegistryApiFactory.AdminKey);
        Admin = new RegistryClient(http);
        await using (var csv = File.OpenRead(Path.Combine(TestServices.RepoRoot(), "samples", "datasets", "credit_scoring.csv")))
        {
            await Admin.UploadDatasetAsync("credit_scoring", csv);
        }

        await using var worker = await StartWorkerAsync(Address);
        var jobs = new List<TrainingJob>();
        // Few iterations: real models, quickly (the machine has two cores); different settings so the compare view has diffs.
        foreach (var (iterations, leaves, rate) in new[] { (40, 15, 0.1), (25, 7, 0.2) })
        {
            var spec = new TrainingJobSpec(Experiment, new DatasetRef("credit_scoring", 1), TrainingTasks.Binary, "Status",
                PositiveClass: "bad",
                Trainer: new TrainerParams(NumberOfIterations: iterations, NumberOfLeaves: leaves, LearningRate: rate, Seed: 42),
                Split: new SplitSpec(0.2, 42),
                Register: new RegisterSpec(Model, "production", new GateSpec("auc")));
            var job = await Admin.SubmitJobAsync(spec);
            jobs.Add(await WaitAsync(job.Id));
        }
        Jobs = jobs;
        await worker.StopAsync();
    }

    private async Task<TrainingJob> WaitAsync(Guid id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var job = await Admin.GetJobAsync(id);
            if (job.Status == JobStatuses.Completed) return job;
            if (job.Status == JobStatuses.Failed) throw new InvalidOperationException($"Training job failed: {job.Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {id} still {job.Status}.");
            await Task.Delay(200);
        }
    }

    private static async Task<WebApplication> StartWorkerAsync(Uri registry)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ApplicationName = "MlOps.Training.Worker",
            ContentRootPath = Path.Combine(TestServices.RepoRoot(), "Training.Worker"),
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:BaseAddress"] = registry.ToString(),
            ["Registry:ApiKey"] = RegistryApiFactory.TrainerKey,
            ["Worker:Name"] = "studio-test-worker",
            ["Worker:PollSeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
