using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MlOps.TestInfrastructure;

namespace MlOps.Registry.Api.Tests;

/// <summary>
/// The local S3 server (s3rver behind scripts/testinfra/s3rver-ci.js, the AppHost's stand-in for MinIO) under what
/// the registry does to it: uploads staged under tmp/ and deleted when copied to their content address, several at
/// once. Stock s3rver answered some of those concurrent deletes with a 500 (its empty-directory cleanup raced:
/// rmdir ENOENT) and printed the error, which the AppHost's dashboard shows in red.
/// </summary>
public sealed class LocalS3Tests
{
    [Fact]
    public async Task Concurrent_deletes_under_one_prefix_all_succeed()
    {
        // No retries: a 500 must fail the test, not be retried away.
        var services = TestServices.Get();
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(services.S3AccessKey, services.S3SecretKey),
            new AmazonS3Config { ServiceURL = services.S3ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var bucket = $"race-{Guid.NewGuid():N}";
        await s3.PutBucketAsync(bucket, CancellationToken.None);
        for (var round = 0; round < 5; round++)
        {
            var keys = Enumerable.Range(0, 16).Select(i => $"tmp/deep/{round}-{i}").ToList();
            await Task.WhenAll(keys.Select(key => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key }, CancellationToken.None)));
            // Every delete at once: each one empties the shared folders, and each one cleans them up.
            await Task.WhenAll(keys.Select(key => s3.DeleteObjectAsync(bucket, key, CancellationToken.None)));
            var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, CancellationToken.None);
            Assert.Empty(left.S3Objects ?? []);
        }
    }
}
