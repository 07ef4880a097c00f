using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlOps.Deployment.Tests;

/// <summary>aspire-manifest.json: the topology of docs/architecture.md, the keys the services read, no secret value.</summary>
public sealed partial class ManifestTests
{
    private readonly AspireManifest _manifest = AspireManifest.Load();

    /// <summary>Configuration keys (docs/conventions.md) each service cannot start without, by resource.</summary>
    public static TheoryData<string, string[]> RequiredKeys => new()
    {
        { "registry-api", ["ConnectionStrings:registrydb", "ConnectionStrings:minio", "Auth:Keys:Admin", "Auth:Keys:Trainer", "Auth:Keys:Reader"] },
        { "training-worker", ["services:registry-api:http:0", "Registry:ApiKey"] },
        { "serving-api", ["services:registry-api:http:0", "Registry:ApiKey", "Serving:Models:0:Name", "Serving:Models:0:Alias"] },
        { "studio", ["services:registry-api:http:0"] },
    };

    [Fact]
    public void Lists_the_architecture_resources_with_their_kinds()
    {
        var kinds = _manifest.All.ToDictionary(r => r.Name, r => r.Resource.GetProperty("type").GetString());

        Assert.Equal("container.v0", kinds["postgres"]);
        Assert.Equal("value.v0", kinds["registrydb"]);
        Assert.Equal("container.v0", kinds["minio"]);
        Assert.Equal(["registry-api", "serving-api", "studio", "training-worker"],
            _manifest.OfType("project.v0").Select(p => p.Name).Order());
        Assert.Equal("{postgres.connectionString};Database=registrydb", _manifest["registrydb"].GetProperty("connectionString").GetString());
        var volume = Assert.Single(_manifest["postgres"].GetProperty("volumes").EnumerateArray());
        Assert.Equal("/var/lib/postgresql", volume.GetProperty("target").GetString());
        Assert.StartsWith("docker.io/minio/minio:", _manifest["minio"].GetProperty("image").GetString());
    }

    [Fact]
    public void Every_project_path_is_relative_to_the_manifest_and_exists()
    {
        foreach (var (name, project) in _manifest.OfType("project.v0"))
        {
            var path = project.GetProperty("path").GetString()!;
            Assert.False(Path.IsPathRooted(path), $"{name}: {path} must be relative");
            Assert.True(File.Exists(RepoFiles.PathOf(path)), $"{name}: {path} does not exist");
        }
    }

    [Theory]
    [MemberData(nameof(RequiredKeys))]
    public void Every_required_key_is_documented_and_supplied_in_the_env(string resource, string[] keys)
    {
        var documented = ConventionsDoc.ConfigurationKeys();
        var env = _manifest.Env(resource);
        foreach (var key in keys)
        {
            Assert.Contains(key, documented);
            var envName = key.Replace(":", "__");
            Assert.True(env.TryGetValue(envName, out var value) && value.Length > 0, $"{resource} lacks {envName}");
        }
    }

    [Fact]
    public void References_wire_the_services_as_the_architecture_says()
    {
        var registry = _manifest.Env("registry-api");
        Assert.Equal("{registrydb.connectionString}", registry["ConnectionStrings__registrydb"]);
        Assert.Equal("{minio.connectionString}", registry["ConnectionStrings__minio"]);
        Assert.Equal("{registry-admin-key.value}", registry["Auth__Keys__Admin"]);
        Assert.Equal("{registry-trainer-key.value}", registry["Auth__Keys__Trainer"]);
        Assert.Equal("{registry-reader-key.value}", registry["Auth__Keys__Reader"]);

        foreach (var client in new[] { "training-worker", "serving-api" })
        {
            Assert.Equal("{registry-api.bindings.http.url}", _manifest.Env(client)["services__registry-api__http__0"]);
        }
        Assert.Equal("{registry-trainer-key.value}", _manifest.Env("training-worker")["Registry__ApiKey"]);
        // Trainer: serving uploads prediction-log and feedback files.
        Assert.Equal("{registry-trainer-key.value}", _manifest.Env("serving-api")["Registry__ApiKey"]);
        Assert.Matches("^Endpoint=http://\\{minio.bindings.http.host\\}:\\{minio.bindings.http.port\\};AccessKey=\\{minio-user.value\\};SecretKey=\\{minio-password.value\\}$",
            _manifest["minio"].GetProperty("connectionString").GetString());
    }

    [Fact]
    public void Only_serving_api_and_studio_are_exposed_externally()
    {
        var external = _manifest.All
            .Where(r => r.Resource.TryGetProperty("bindings", out var b) && b.EnumerateObject().Any(x => x.Value.TryGetProperty("external", out var e) && e.GetBoolean()))
            .Select(r => r.Name);
        Assert.Equal(["serving-api", "studio"], external);
    }

    [Fact]
    public void Every_reference_resolves_to_a_resource_property_that_exists()
    {
        foreach (var (path, value) in _manifest.Strings())
        {
            foreach (var parts in AspireManifest.References(value))
            {
                Assert.True(_manifest.Resources.TryGetProperty(parts[0], out var target), $"{path}: unknown resource in {value}");
                var type = target.GetProperty("type").GetString();
                switch (parts[1])
                {
                    case "bindings":
                        Assert.True(target.GetProperty("bindings").TryGetProperty(parts[2], out _), $"{path}: {parts[0]} has no binding {parts[2]}");
                        Assert.Contains(parts[3], new[] { "host", "port", "targetPort", "url", "scheme" });
                        break;
                    case "connectionString":
                        Assert.True(target.TryGetProperty("connectionString", out _), $"{path}: {parts[0]} has no connection string");
                        break;
                    case "value":
                        Assert.Contains(type, new[] { "parameter.v0", "annotated.string" });
                        break;
                    case "inputs":
                        Assert.Equal("parameter.v0", type);
                        break;
                    default:
                        Assert.Fail($"{path}: unexpected reference {string.Join('.', parts)}");
                        break;
                }
            }
        }
    }

    [Fact]
    public void Every_parameter_is_a_secret_input_without_a_published_value()
    {
        var parameters = _manifest.OfType("parameter.v0").ToList();
        Assert.Equal(["minio-password", "minio-user", "postgres-password", "registry-admin-key", "registry-reader-key", "registry-trainer-key"],
            parameters.Select(p => p.Name).Order());
        foreach (var (name, parameter) in parameters)
        {
            var input = parameter.GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean(), $"{name} is not secret");
            // A `default.value` would publish the value itself; only `default.generate` is allowed.
            if (input.TryGetProperty("default", out var @default))
            {
                Assert.Equal(["generate"], @default.EnumerateObject().Select(p => p.Name));
            }
        }
    }

    [Fact]
    public void No_secret_literal_anywhere()
    {
        var secretParameters = _manifest.OfType("parameter.v0").Select(p => p.Name).ToHashSet();
        foreach (var (path, value) in _manifest.Strings())
        {
            // Inside connection strings and URIs, credentials are always references.
            foreach (Match m in CredentialInValue().Matches(value))
            {
                Assert.True(m.Groups["v"].Value.StartsWith('{'), $"{path}: literal credential in '{value}'");
            }
        }
        foreach (var (resource, _) in _manifest.All)
        {
            foreach (var (key, value) in _manifest.Env(resource))
            {
                if (SecretEnvName().IsMatch(key))
                {
                    var reference = Assert.Single(AspireManifest.References(value));
                    Assert.True(reference is [var p, "value"] && secretParameters.Contains(p), $"{resource}.{key} = '{value}' is not a secret parameter");
                }
                if (key.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
                {
                    Assert.Matches("^\\{[a-z0-9-]+\\.connectionString\\}$", value);
                }
            }
        }
        Assert.DoesNotMatch(LooksLikeGeneratedKey(), RepoFiles.Read("aspire-manifest.json"));
    }

    [Fact]
    public void AppHost_declares_every_resource_and_is_built_by_CI()
    {
        var appHost = RepoFiles.Read("AppHost", "AppHost.cs");
        foreach (var (name, _) in _manifest.All.Where(r => !r.Name.StartsWith("postgres-password", StringComparison.Ordinal)))
        {
            Assert.Contains($"\"{name}\"", appHost);
        }
        Assert.Contains("Sdk=\"Aspire.AppHost.Sdk/13.6.4\"", RepoFiles.Read("AppHost", "AppHost.csproj"));
        Assert.Contains("Include=\"Aspire.Hosting.PostgreSQL\" Version=\"13.6.5\"", RepoFiles.Read("AppHost", "Directory.Packages.props"));

        // CI builds the AppHost and runs its tests, which check that this manifest is what it publishes.
        using var filter = JsonDocument.Parse(RepoFiles.Read("MlOps.Ci.slnf"));
        var projects = filter.RootElement.GetProperty("solution").GetProperty("projects").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains("AppHost/AppHost.csproj", projects);
        Assert.Contains("tests/AppHost.Tests/AppHost.Tests.csproj", projects);
    }

    [Fact]
    public void Serving_serves_the_model_the_sample_job_registers()
    {
        var appHost = RepoFiles.Read("AppHost", "AppHost.cs");
        var specFile = Regex.Match(appHost, "SpecFile = \"([^\"]+)\"").Groups[1].Value;
        var datasetFile = Regex.Match(appHost, "DatasetFile = \"([^\"]+)\"").Groups[1].Value;
        Assert.True(File.Exists(RepoFiles.PathOf("samples", datasetFile)), $"samples/{datasetFile}");

        using var spec = JsonDocument.Parse(RepoFiles.Read("samples", specFile));
        var register = spec.RootElement.GetProperty("register");
        var serving = _manifest.Env("serving-api");
        Assert.Equal(register.GetProperty("model").GetString(), serving["Serving__Models__0__Name"]);
        Assert.Equal(register.GetProperty("alias").GetString(), serving["Serving__Models__0__Alias"]);
        Assert.Contains($"Dataset = \"{spec.RootElement.GetProperty("dataset").GetProperty("name").GetString()}\"", appHost);

        // The run-mode bootstrap keys are the worker's documented ones.
        var bootstrapKeys = Regex.Matches(appHost, "\"(Worker__Bootstrap__[A-Za-z]+)\"").Select(m => m.Groups[1].Value.Replace("__", ":")).ToList();
        Assert.Equal(3, bootstrapKeys.Count);
        Assert.Subset(ConventionsDoc.ConfigurationKeys(), bootstrapKeys.ToHashSet());
        Assert.Contains("Serving:Models:0:Canary:Weight", ConventionsDoc.ConfigurationKeys());
    }

    [Fact]
    public void Service_bindings_come_from_the_AppHost_alone()
    {
        // Aspire adds an endpoint per Kestrel:Endpoints entry of a project's appsettings (launch profiles are
        // excluded in AppHost.cs): one there would change the published bindings behind the manifest's back.
        foreach (var (name, project) in _manifest.OfType("project.v0"))
        {
            var folder = Path.GetDirectoryName(RepoFiles.PathOf(project.GetProperty("path").GetString()!))!;
            foreach (var settings in Directory.EnumerateFiles(folder, "appsettings*.json"))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(settings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                Assert.False(doc.RootElement.TryGetProperty("Kestrel", out var kestrel) && kestrel.TryGetProperty("Endpoints", out _), $"{settings} defines Kestrel:Endpoints");
            }
            Assert.Equal(["http"], _manifest[name].GetProperty("bindings").EnumerateObject().Select(b => b.Name));
        }
        Assert.Equal(4, Regex.Matches(RepoFiles.Read("AppHost", "AppHost.cs"), @"launchProfileName: null\)\s*\.WithHttpEndpoint\(\)").Count);
    }

    [GeneratedRegex("(?:Password|SecretKey|AccessKey|ApiKey)=(?<v>[^;]*)", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialInValue();

    [GeneratedRegex("PASSWORD|SECRETKEY|ACCESSKEY|ApiKey|^Auth__Keys__|ROOT_USER", RegexOptions.IgnoreCase)]
    private static partial Regex SecretEnvName();

    /// <summary>A 16+ character run of letters and digits that mixes both: what a generated key looks like.</summary>
    [GeneratedRegex("\"[^\"{}]*(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{16,}[^\"{}]*\"")]
    private static partial Regex LooksLikeGeneratedKey();
}
