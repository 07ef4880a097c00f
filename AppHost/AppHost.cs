// The MlOps topology (docs/architecture.md, "Topology"). Resource names are contracts: the services
// read the configuration keys Aspire derives from them (docs/conventions.md), and
// aspire-manifest.json at the repository root is what this file publishes.
using MlOps.AppHost;
using MlOps.AppHost.Dashboard;
using MlOps.AppHost.LocalInfrastructure;
using MlOps.AppHost.ObjectStore;

var builder = DistributedApplication.CreateBuilder(args);

// Secrets: generated once and kept in the AppHost's user secrets when run locally; in the manifest they
// are secret inputs with a `generate` default, so no value is ever written to source or the manifest.
// Letters and digits only: the keys travel in Authorization headers and connection strings unescaped.
var minioUser = AddSecret("minio-user", minLength: 16);
var minioPassword = AddSecret("minio-password", minLength: 32);
var adminKey = AddSecret("registry-admin-key", minLength: 32);
var trainerKey = AddSecret("registry-trainer-key", minLength: 32);
var readerKey = AddSecret("registry-reader-key", minLength: 32);

// PostgreSQL and the object store: the manifest's containers, or local processes with the same names,
// connection strings and health checks when no container runtime answers (LocalInfrastructure/).
IResourceBuilder<IResourceWithConnectionString> registryDb, objectStore;
if (InfrastructureMode.UseLocalProcesses(builder))
{
    registryDb = builder.AddLocalPostgres("postgres").AddDatabase("registrydb");
    objectStore = builder.AddLocalS3("minio", minioUser, minioPassword);
}
else
{
    registryDb = builder.AddPostgres("postgres").WithDataVolume().AddDatabase("registrydb");
    objectStore = builder.AddMinioContainer("minio", minioUser, minioPassword);
}

// launchProfileName: null + an explicit http endpoint: the bindings (and so the manifest) depend on
// this file only, not on whatever launchSettings.json the service projects carry for `dotnet run`.
var registryApi = builder.AddProject<Projects.Registry_Api>("registry-api", launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(registryDb).WaitFor(registryDb)
    .WithReference(objectStore).WaitFor(objectStore)
    .WithEnvironment("Auth__Keys__Admin", adminKey)
    .WithEnvironment("Auth__Keys__Trainer", trainerKey)
    .WithEnvironment("Auth__Keys__Reader", readerKey)
    .WithHttpHealthCheck("/health");

var worker = builder.AddProject<Projects.Training_Worker>("training-worker", launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(registryApi).WaitFor(registryApi)
    .WithEnvironment("Registry__ApiKey", trainerKey)
    .WithHttpHealthCheck("/health")
    .WithReplicas(2);

var serving = builder.AddProject<Projects.Serving_Api>("serving-api", launchProfileName: null)
    .WithHttpEndpoint()
    .WithExternalHttpEndpoints()
    .WithReference(registryApi).WaitFor(registryApi)
    // Trainer, not reader: serving uploads its prediction-log and feedback files to the registry (docs/prediction-log.md).
    .WithEnvironment("Registry__ApiKey", trainerKey)
    .WithEnvironment("Serving__Models__0__Name", SampleJob.Model)
    .WithEnvironment("Serving__Models__0__Alias", SampleJob.Alias)
    .WithHttpHealthCheck("/health") // unhealthy until a model is loaded: the dashboard shows when F5 is done
    .WithReplicas(2);

// The web UI: it has no key of its own (each user signs in with theirs) and talks to the registry and, for its
// Serving page, to serving-api through service discovery.
var studio = builder.AddProject<Projects.Studio>("studio", launchProfileName: null)
    .WithHttpEndpoint()
    .WithExternalHttpEndpoints()
    .WithReference(registryApi).WaitFor(registryApi)
    .WithReference(serving)
    .WithHttpHealthCheck("/health");

// Run mode only, so none of it reaches the manifest. F5 ends with a served model: the worker submits the
// checked-in sample job on first start (paths on the developer's machine; a cluster gets its jobs through
// the registry API). Without launch profiles the services would start as Production: pass the
// AppHost's environment on instead.
if (builder.ExecutionContext.IsRunMode)
{
    foreach (var project in new[] { registryApi, worker, serving, studio })
    {
        project.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
    }
    var samples = Path.Combine(LocalPaths.RepositoryRoot(builder), "samples");
    worker
        .WithEnvironment("Worker__Bootstrap__DatasetName", SampleJob.Dataset)
        .WithEnvironment("Worker__Bootstrap__DatasetPath", Path.Combine(samples, SampleJob.DatasetFile))
        .WithEnvironment("Worker__Bootstrap__SpecPath", Path.Combine(samples, SampleJob.SpecFile));
    serving.WithServedModelBanner(SampleJob.Model, SampleJob.Alias, SampleJob.Prediction);
    // Locally every prediction is logged, so feedback, live quality and retraining on the log work out of the box;
    // a cluster sets its own Serving__PredictionLog__SamplePercent (default 0: off).
    serving.WithEnvironment("Serving__PredictionLog__SamplePercent", "100");

    // The dashboard: named links per service, and the registry's operator commands (admin key).
    registryApi.WithServiceUrls(hasApiReference: true).WithRegistryCommands(adminKey, samples);
    worker.WithServiceUrls(hasApiReference: false);
    serving.WithServiceUrls(hasApiReference: true);
    studio.WithUrlForEndpoint("http", url => url.DisplayText = "Studio");
}

builder.Build().Run();

IResourceBuilder<ParameterResource> AddSecret(string name, int minLength) =>
    builder.AddParameter(name, new GenerateParameterDefault { MinLength = minLength, Special = false }, secret: true, persist: true);

/// <summary>The quickstart job under samples/ (owned by Training.Worker) and the model it registers.</summary>
internal static class SampleJob
{
    public const string Dataset = "credit_scoring";
    public const string DatasetFile = "datasets/credit_scoring.csv";
    public const string SpecFile = "jobs/credit_scoring.binary.json";
    public const string Model = "credit-risk";
    public const string Alias = "production";

    /// <summary>The first row of the sample dataset without its label.</summary>
    public const string Prediction = """{"features":{"Seniority":9,"Home":"rent","Time":60,"Age":30,"Marital":"married","Records":"no","Job":"freelance","Expenses":73,"Income":129,"Assets":0,"Debt":0,"Amount":800,"Price":846}}""";
}
