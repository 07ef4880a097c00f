using Microsoft.Extensions.DependencyInjection;

namespace MlOps.AppHost.LocalInfrastructure;

/// <summary>PostgreSQL run by postgres.sh as a local process; same name, endpoint and connection string form as the container.</summary>
public sealed class LocalPostgresResource(string name, ParameterResource password, string script, string workingDirectory)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public string Script { get; } = script;
    public ParameterResource Password { get; } = password;
    public EndpointReference Endpoint => field ??= new(this, EndpointName);
    public List<string> Databases { get; } = [];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password}");
}

/// <summary>A database of <see cref="LocalPostgresResource"/>: created by postgres.sh at start, shown under it in the dashboard.</summary>
public sealed class LocalPostgresDatabaseResource(string name, LocalPostgresResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public LocalPostgresResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={Name}");
}

public static class LocalPostgresBuilderExtensions
{
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name)
    {
        // The same generated secret as AddPostgres's container: kept in user secrets, never in source.
        var password = builder.AddParameter($"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        var resource = new LocalPostgresResource(name, password.Resource, LocalPaths.Script(builder, "postgres.sh"),
            LocalPaths.RepositoryRoot(builder));
        var dataPath = Path.Combine(LocalPaths.DataRoot(builder), name);

        return builder.AddResource(resource)
            .WithArgs(resource.Script)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp", env: "PG_PORT")
            .WithEnvironment("PG_DATA", dataPath)
            .WithEnvironment("PG_PASSWORD", password)
            .WithEnvironment(ctx => ctx.EnvironmentVariables["PG_DATABASES"] = string.Join(' ', resource.Databases))
            .WithConnectionProperty("Host", ReferenceExpression.Create($"{resource.Endpoint.Property(EndpointProperty.Host)}"))
            .WithConnectionProperty("Port", ReferenceExpression.Create($"{resource.Endpoint.Property(EndpointProperty.Port)}"))
            .WithConnectionProperty("Username", "postgres")
            .WithConnectionProperty("Password", ReferenceExpression.Create($"{password.Resource}"))
            .WithNpgsqlHealthCheck();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresResource> server, string name)
    {
        server.Resource.Databases.Add(name);
        var database = new LocalPostgresDatabaseResource(name, server.Resource);
        server.OnResourceReady((_, e, ct) => e.Services.GetRequiredService<ResourceNotificationService>()
            .PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow }));

        // DCP runs the server only: the database's state is ours to publish. postgres.sh has created it by the
        // time the server is healthy; the database's own health check then confirms it.
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, server.Resource.Name)],
            })
            .WithParentRelationship(server)
            .WithConnectionProperty("DatabaseName", name)
            .WithNpgsqlHealthCheck();
    }

    /// <summary>Healthy once the connection string opens a connection (the server is up, the database exists).</summary>
    private static IResourceBuilder<T> WithNpgsqlHealthCheck<T>(this IResourceBuilder<T> builder) where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        var key = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"{builder.Resource.Name}: no connection string yet"), name: key);
        return builder
            .OnConnectionStringAvailable(async (r, _, ct) => connectionString = await r.GetConnectionStringAsync(ct))
            .WithHealthCheck(key);
    }
}
