namespace MlOps.AppHost.ObjectStore;

/// <summary>
/// MinIO as a container: what CommunityToolkit.Aspire.Hosting.Minio modelled (that package is not on the
/// package mirror). Its manifest output is the toolkit's, so aspire-manifest.json and deploy/ keep their shape:
/// image, <c>server /data --console-address :9001</c>, root user/password from parameters, endpoints
/// <c>http</c> (9000) and <c>console</c> (9001), and the <c>Endpoint=...;AccessKey=...;SecretKey=...</c>
/// connection string Registry.Api reads.
/// </summary>
public sealed class MinioResource(string name, ParameterResource rootUser, ParameterResource rootPassword)
    : ContainerResource(name), IResourceWithConnectionString
{
    public const string HttpEndpointName = "http";
    public const string ConsoleEndpointName = "console";

    public ParameterResource RootUser { get; } = rootUser;
    public ParameterResource RootPassword { get; } = rootPassword;

    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        S3ConnectionString.Create(HttpEndpoint, RootUser, RootPassword);
}

/// <summary>The connection string every S3 resource of ours gives, container or local process.</summary>
public static class S3ConnectionString
{
    public static ReferenceExpression Create(EndpointReference endpoint, ParameterResource accessKey, ParameterResource secretKey) =>
        ReferenceExpression.Create(
            $"Endpoint=http://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)};AccessKey={accessKey};SecretKey={secretKey}");

    /// <summary>The <c>MINIO_HOST</c>, <c>MINIO_PORT</c>, ... variables a reference injects besides the connection string.</summary>
    public static IResourceBuilder<T> WithS3ConnectionProperties<T>(this IResourceBuilder<T> builder, EndpointReference endpoint,
        ParameterResource accessKey, ParameterResource secretKey) where T : IResourceWithConnectionString =>
        builder
            .WithConnectionProperty("Host", ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Host)}"))
            .WithConnectionProperty("Port", ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Port)}"))
            .WithConnectionProperty("AccessKey", ReferenceExpression.Create($"{accessKey}"))
            .WithConnectionProperty("SecretKey", ReferenceExpression.Create($"{secretKey}"))
            .WithConnectionProperty("Uri", ReferenceExpression.Create(
                $"http://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}"));
}

public static class MinioResourceBuilderExtensions
{
    // The tag the toolkit's 13.5.0 release pinned: the published manifest names it.
    private const string Image = "minio/minio";
    private const string Tag = "RELEASE.2025-09-07T16-13-09Z";
    private const int ApiPort = 9000;
    private const int ConsolePort = 9001;

    public static IResourceBuilder<MinioResource> AddMinioContainer(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> rootUser, IResourceBuilder<ParameterResource> rootPassword)
    {
        var resource = new MinioResource(name, rootUser.Resource, rootPassword.Resource);
        return builder.AddResource(resource)
            .WithImage(Image, Tag)
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(targetPort: ApiPort, name: MinioResource.HttpEndpointName)
            .WithHttpEndpoint(targetPort: ConsolePort, name: MinioResource.ConsoleEndpointName)
            .WithEnvironment("MINIO_ROOT_USER", rootUser)
            .WithEnvironment("MINIO_ROOT_PASSWORD", rootPassword)
            .WithArgs("server", "/data", "--console-address", $":{ConsolePort}")
            .WithS3ConnectionProperties(resource.HttpEndpoint, rootUser.Resource, rootPassword.Resource)
            .WithHttpHealthCheck("/minio/health/live", endpointName: MinioResource.HttpEndpointName);
    }
}
