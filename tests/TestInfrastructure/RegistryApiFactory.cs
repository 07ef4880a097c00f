using System.Net.Http.Headers;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MlOps.Registry.Client;
using Npgsql;

namespace MlOps.TestInfrastructure;

/// <summary>The API-key roles a test client can act as.</summary>
public enum RegistryRole
{
    Anonymous,
    Reader,
    Trainer,
    Admin,
}

/// <summary>
/// Registry.Api through its real HTTP pipeline on a fresh PostgreSQL database and a fresh S3 bucket (one per
/// factory instance), with known API keys. In-memory TestServer by default; call <see cref="StartKestrelAsync"/>
/// first (before any client is created) to serve on a real loopback port for other processes and services.
/// </summary>
public class RegistryApiFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key";
    public const string TrainerKey = "test-trainer-key";
    public const string ReaderKey = "test-reader-key";

    private readonly Dictionary<string, string?> extraSettings = new();
    private readonly bool ownsDatabase = true;
    private bool kestrel;
    private Uri? kestrelAddress;

    /// <summary>A second replica: its own host on the same database and bucket as <paramref name="replicaOf"/>.</summary>
    public RegistryApiFactory(RegistryApiFactory replicaOf)
    {
        Services_ = replicaOf.Services_;
        DatabaseName = replicaOf.DatabaseName;
        Bucket = replicaOf.Bucket;
        ConnectionString = replicaOf.ConnectionString;
        ownsDatabase = false;
    }

    public RegistryApiFactory()
    {
        Services_ = TestServices.Get();
        var id = Guid.NewGuid().ToString("N");
        DatabaseName = "registry_" + id;
        Bucket = "t" + id;
        var builder = new NpgsqlConnectionStringBuilder(Services_.PostgresConnectionString);
        using (var conn = new NpgsqlConnection(builder.ConnectionString))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", conn);
            cmd.ExecuteNonQuery();
        }
        builder.Database = DatabaseName;
        ConnectionString = builder.ConnectionString;
    }

    private TestServices.Endpoints Services_ { get; }

    /// <summary>This factory's own database (already created; the registry migrates it at start).</summary>
    public string DatabaseName { get; }
    public string ConnectionString { get; }
    /// <summary>This factory's own bucket (the registry creates it at start).</summary>
    public string Bucket { get; }

    /// <summary>Extra configuration for the registry (e.g. <c>Limits:DatasetBytes</c>); set before the first client.</summary>
    public RegistryApiFactory WithSetting(string key, string? value)
    {
        extraSettings[key] = value;
        return this;
    }

    /// <summary>The registry's configuration as the services would receive it (keys of docs/conventions.md).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(extraSettings)
    {
        ["ConnectionStrings:registrydb"] = ConnectionString,
        ["ConnectionStrings:minio"] = Services_.MinioConnectionString,
        ["Storage:Bucket"] = Bucket,
        ["Auth:Keys:Admin"] = AdminKey,
        ["Auth:Keys:Trainer"] = TrainerKey,
        ["Auth:Keys:Reader"] = ReaderKey,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public static string? KeyFor(RegistryRole role) => role switch
    {
        RegistryRole.Admin => AdminKey,
        RegistryRole.Trainer => TrainerKey,
        RegistryRole.Reader => ReaderKey,
        _ => null,
    };

    /// <summary>An HttpClient on the registry (in-memory or Kestrel) sending the role's key.</summary>
    public HttpClient CreateHttpClient(RegistryRole role)
    {
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        if (kestrelAddress is not null)
        {
            options.BaseAddress = kestrelAddress;
        }
        var http = CreateClient(options);
        http.Timeout = Timeout.InfiniteTimeSpan;
        if (KeyFor(role) is { } key)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return http;
    }

    public RegistryClient CreateRegistryClient(RegistryRole role = RegistryRole.Admin) => new(CreateHttpClient(role));

    /// <summary>
    /// Serves the registry on Kestrel at a free loopback port and returns its base URL (e.g. http://127.0.0.1:41234/),
    /// for services under test that call it over real sockets (<c>Registry:BaseAddress</c>). Call before any client.
    /// </summary>
    public Task<Uri> StartKestrelAsync()
    {
        if (!kestrel)
        {
            UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
            kestrel = true;
        }
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        kestrelAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return Task.FromResult(kestrelAddress);
    }

    /// <summary>An S3 client on the test server, for tests that look at stored objects directly.</summary>
    public IAmazonS3 CreateS3Client() => new AmazonS3Client(
        new BasicAWSCredentials(Services_.S3AccessKey, Services_.S3SecretKey),
        new AmazonS3Config { ServiceURL = Services_.S3ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (!ownsDatabase)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var conn = new NpgsqlConnection(Services_.PostgresConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The throwaway cluster is removed with SVC_ROOT anyway.
        }
    }
}
