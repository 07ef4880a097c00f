using System.Net;
using System.Net.Http.Headers;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Problems;
using MlOps.Registry.Client.Runs;

namespace MlOps.Registry.Api.Tests;

public sealed class ModelsTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    [Fact]
    public async Task Register_version_with_lineage_then_download_it()
    {
        await trainer.GetOrCreateExperimentAsync("models-exp");
        var run = await trainer.CreateRunAsync(new CreateRunRequest("models-exp"));
        var ds = await trainer.UploadDatasetAsync("models-ds", new MemoryStream("a,b\n1,x\n"u8.ToArray()));
        var bytes = ModelArtifacts.Bytes(20 * 1024 * 1024 + 123, seed: 1); // > one 8 MB part: multipart upload path
        var meta = ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes)) with { RunId = run.Id, Dataset = new DatasetVersionRef("models-ds", ds.Version.Version) };

        var v = await trainer.RegisterModelVersionAsync("credit", meta, new MemoryStream(bytes));
        Assert.Equal(1, v.Version);
        Assert.Equal(ModelVersionStatuses.Ready, v.Status);
        Assert.Equal(meta.Sha256, v.Sha256);
        Assert.Equal(bytes.Length, v.SizeBytes);
        Assert.Equal(run.Id, v.RunId);
        Assert.Equal(new DatasetVersionRef("models-ds", 1), v.Dataset);
        Assert.Equal(ColumnTypes.Categorical, v.InputSchema[1].Type);
        Assert.Equal(["rent", "own"], v.InputSchema[1].Levels!);

        var reader = registry.CreateRegistryClient(RegistryRole.Reader);
        await using (var download = await reader.OpenArtifactAsync("credit", 1))
        {
            Assert.Equal(v.Sha256, download.Sha256);
            Assert.Equal(bytes.Length, download.Length);
            using var copy = new MemoryStream();
            await download.Content.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        var info = await reader.GetArtifactInfoAsync("credit", 1);
        Assert.Equal(new ArtifactInfo(v.Sha256, bytes.Length), info);

        Assert.Equal(1, (await reader.GetModelAsync("credit"))!.LatestVersion);
        var latest = await reader.GetModelVersionAsync("credit");
        Assert.Equal((v.Version, v.Sha256, v.RunId, v.Dataset), (latest.Version, latest.Sha256, latest.RunId, latest.Dataset));
        Assert.Equal(0.8, latest.Metrics["auc"]);
    }

    [Fact]
    public async Task Range_and_conditional_requests()
    {
        var bytes = ModelArtifacts.Bytes(10_000, seed: 2);
        var v = await trainer.RegisterModelVersionAsync("ranged", ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes)), new MemoryStream(bytes));

        await using (var part = await trainer.OpenArtifactAsync("ranged", v.Version, 100, 199))
        {
            Assert.True(part.IsPartial);
            using var copy = new MemoryStream();
            await part.Content.CopyToAsync(copy);
            Assert.Equal(bytes[100..200], copy.ToArray());
        }
        await using (var tail = await trainer.OpenArtifactAsync("ranged", v.Version, 9_990))
        {
            using var copy = new MemoryStream();
            await tail.Content.CopyToAsync(copy);
            Assert.Equal(bytes[9_990..], copy.ToArray());
        }

        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        var path = $"api/v1/models/ranged/versions/{v.Version}/artifact";
        using (var request = new HttpRequestMessage(HttpMethod.Get, path))
        {
            request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{v.Sha256}\""));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, path))
        {
            request.Headers.Range = new RangeHeaderValue(20_000, 30_000);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Head, path))
        {
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"\"{v.Sha256}\"", response.Headers.ETag!.Tag);
            Assert.Equal(10_000, response.Content.Headers.ContentLength);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Wrong_sha256_is_422_and_leaves_no_version()
    {
        var bytes = ModelArtifacts.Bytes(5000, seed: 3);
        var wrong = ModelArtifacts.Sha(ModelArtifacts.Bytes(5000, seed: 4));
        var e = await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.RegisterModelVersionAsync("sha-check", ModelArtifacts.Metadata(wrong), new MemoryStream(bytes)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Null(await trainer.GetModelAsync("sha-check"));

        // The bytes were not kept under either hash.
        using var s3 = registry.CreateS3Client();
        var listed = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = registry.Bucket });
        Assert.DoesNotContain(listed.S3Objects ?? [], o => o.Key.Contains(wrong) || o.Key.Contains(ModelArtifacts.Sha(bytes)));

        var ok = await ModelArtifacts.RegisterAsync(trainer, "sha-check", seed: 3, length: 5000);
        Assert.Equal(1, ok.Version);
    }

    [Fact]
    public async Task Identical_artifacts_are_stored_once_but_versioned_twice()
    {
        var a = await ModelArtifacts.RegisterAsync(trainer, "twice", seed: 5);
        var b = await ModelArtifacts.RegisterAsync(trainer, "twice", seed: 5);
        Assert.Equal([1, 2], new[] { a.Version, b.Version });
        Assert.Equal(a.Sha256, b.Sha256);
        using var s3 = registry.CreateS3Client();
        var listed = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = registry.Bucket, Prefix = $"sha256/{a.Sha256[..2]}/{a.Sha256}" });
        Assert.Single(listed.S3Objects);
        Assert.Equal([1, 2], (await trainer.ListModelVersionsAsync("twice")).Select(v => v.Version));
    }

    [Fact]
    public async Task Health_stays_ready_with_many_objects_in_the_bucket()
    {
        for (var i = 0; i < 3; i++)
        {
            await ModelArtifacts.RegisterAsync(trainer, "health-fill", seed: 200 + i);
        }
        using var http = registry.CreateHttpClient(RegistryRole.Anonymous);
        using var health = await http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("{\"status\":\"Healthy\"", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Concurrent_registrations_get_distinct_consecutive_versions()
    {
        var versions = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ModelArtifacts.RegisterAsync(trainer, "concurrent", seed: 100 + i)));
        Assert.Equal(Enumerable.Range(1, 6), versions.Select(v => v.Version).Order());
        Assert.Equal(6, (await trainer.GetModelAsync("concurrent"))!.LatestVersion);
    }

    [Fact]
    public async Task Unknown_model_version_run_or_dataset_is_404()
    {
        await ModelArtifacts.RegisterAsync(trainer, "known-model", seed: 6);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.GetModelVersionAsync("known-model", 7))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.GetModelVersionAsync("no-model"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => trainer.OpenArtifactAsync("no-model", 1))).StatusCode);
        Assert.Null(await trainer.GetArtifactInfoAsync("known-model", 9));

        var bytes = ModelArtifacts.Bytes(100, seed: 7);
        var withRun = ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes)) with { RunId = Guid.NewGuid() };
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.RegisterModelVersionAsync("known-model", withRun, new MemoryStream(bytes)))).StatusCode);
        var withDataset = ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes)) with { Dataset = new DatasetVersionRef("nope", 1) };
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() =>
            trainer.RegisterModelVersionAsync("known-model", withDataset, new MemoryStream(bytes)))).StatusCode);
    }

    [Fact]
    public async Task Bad_metadata_is_400()
    {
        var bytes = ModelArtifacts.Bytes(100, seed: 8);
        var good = ModelArtifacts.Metadata(ModelArtifacts.Sha(bytes));
        foreach (var bad in new[]
        {
            good with { Sha256 = "xyz" },
            good with { Task = "clustering" },
            good with { InputSchema = [] },
            good with { InputSchema = [new FeatureSchema("a", "text")] },
            good with { InputSchema = [new FeatureSchema("a", "numeric"), new FeatureSchema("a", "numeric")] },
        })
        {
            var e = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.RegisterModelVersionAsync("meta-check", bad, new MemoryStream(bytes)));
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        }
        Assert.Null(await trainer.GetModelAsync("meta-check"));
    }
}
