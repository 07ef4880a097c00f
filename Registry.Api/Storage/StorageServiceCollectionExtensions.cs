using Amazon.Runtime;
using Amazon.S3;

namespace MlOps.Registry.Api.Storage;

public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddArtifactStore(this IServiceCollection services, IConfiguration configuration)
    {
        var options = StorageOptions.Parse(configuration.GetConnectionString("minio"), configuration["Storage:Bucket"]);
        if (int.TryParse(configuration["Storage:PartSizeBytes"], out var partSize) && partSize >= 5 * 1024 * 1024)
        {
            options.PartSizeBytes = partSize;
        }
        services.AddSingleton(options);
        services.AddSingleton<IAmazonS3>(_ => new AmazonS3Client(
            new BasicAWSCredentials(options.AccessKey, options.SecretKey),
            new AmazonS3Config
            {
                ServiceURL = options.Endpoint,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                // Plain PUTs with a known length: no aws-chunked framing, which some S3 servers mishandle.
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            }));
        services.AddSingleton<IArtifactStore, S3ArtifactStore>();
        return services;
    }
}
