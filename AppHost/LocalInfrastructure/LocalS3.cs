using MlOps.AppHost.ObjectStore;

namespace MlOps.AppHost.LocalInfrastructure;

/// <summary>An S3 server (s3rver) run by s3.sh as a local process, in place of the MinIO container: same name,
/// <c>http</c> endpoint, connection string and health path.</summary>
public sealed class LocalS3Resource(string name, ParameterResource accessKey, ParameterResource secretKey, string script, string workingDirectory)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public string Script { get; } = script;
    public ParameterResource AccessKey { get; } = accessKey;
    public ParameterResource SecretKey { get; } = secretKey;
    public EndpointReference HttpEndpoint => field ??= new(this, MinioResource.HttpEndpointName);

    public ReferenceExpression ConnectionStringExpression => S3ConnectionString.Create(HttpEndpoint, AccessKey, SecretKey);
}

public static class LocalS3BuilderExtensions
{
    public static IResourceBuilder<LocalS3Resource> AddLocalS3(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> accessKey, IResourceBuilder<ParameterResource> secretKey)
    {
        var resource = new LocalS3Resource(name, accessKey.Resource, secretKey.Resource, LocalPaths.Script(builder, "s3.sh"),
            LocalPaths.RepositoryRoot(builder));
        return builder.AddResource(resource)
            .WithArgs(resource.Script)
            .WithHttpEndpoint(name: MinioResource.HttpEndpointName, env: "S3_PORT")
            .WithEnvironment("S3_DATA", Path.Combine(LocalPaths.DataRoot(builder), name))
            .WithEnvironment("S3_ACCESS_KEY", accessKey)
            .WithEnvironment("S3_SECRET_KEY", secretKey)
            .WithS3ConnectionProperties(resource.HttpEndpoint, accessKey.Resource, secretKey.Resource)
            .WithHttpHealthCheck("/minio/health/live", endpointName: MinioResource.HttpEndpointName);
    }
}
