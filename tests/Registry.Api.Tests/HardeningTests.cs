using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;

namespace MlOps.Registry.Api.Tests;

/// <summary>
/// The input classes of issue 12, one test per class: text PostgreSQL cannot store, strict job specs, CSV encodings,
/// Content-Encoding, HEAD. Each refusal is a 400-class problem details naming the field, and leaves nothing behind.
/// </summary>
public sealed class HardeningTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Csv(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        return content;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.BadRequest)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? "";
    }

    private async Task<int> ObjectCountAsync()
    {
        using var s3 = registry.CreateS3Client();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = registry.Bucket });
        return listing.KeyCount ?? 0;
    }

    [Theory]
    [InlineData("api/v1/experiments", "{\"name\":\"nul-desc\",\"description\":\"a\\u0000b\"}", "'description' contains U+0000")]
    [InlineData("api/v1/experiments", "{\"name\":\"nul-tag\",\"tags\":{\"k\":\"a\\u0000\"}}", "'tags.k' contains U+0000")]
    [InlineData("api/v1/experiments", "{\"name\":\"surrogate\",\"description\":\"\\ud800\"}", "'description' is not valid text")]
    [InlineData("api/v1/experiments", "{\"name\":\"surrogate\",\"tags\":{\"k\":\"a\\udc00b\"}}", "'tags.k' is not valid text")]
    [InlineData("api/v1/runs/search", "{\"filters\":[{\"kind\":\"tag\",\"key\":\"k\",\"op\":\"=\",\"value\":\"a\\u0000\"}]}", "'filters[0].value' contains U+0000")]
    [InlineData("api/v1/jobs", "{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"a\\u0000\"}}", "'spec.label' contains U+0000")]
    public async Task Text_postgresql_cannot_store_is_a_400_naming_the_field(string path, string json, string expected)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        Assert.Contains(expected, await DetailAsync(await http.PostAsync(path, Json(json))));
        Assert.DoesNotContain(await registry.CreateRegistryClient().ListExperimentsAsync(), e => e.Name is "nul-desc" or "nul-tag" or "surrogate");
    }

    [Fact]
    public async Task A_csv_with_nul_and_a_nul_description_leave_no_object_and_no_dataset()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Trainer);
        var objects = await ObjectCountAsync();
        Assert.Contains("NUL byte", await DetailAsync(await http.PutAsync("api/v1/datasets/nul-field", Csv("a,b\n1,x\0y\n"u8.ToArray()))));
        Assert.Contains("Query parameter 'description' contains U+0000",
            await DetailAsync(await http.PutAsync("api/v1/datasets/nul-desc?description=a%00b", Csv("a,b\n1,2\n"u8.ToArray()))));
        Assert.Equal(objects, await ObjectCountAsync());
        Assert.DoesNotContain(await registry.CreateRegistryClient().ListDatasetsAsync(), d => d.Name.StartsWith("nul-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)',', (byte)'b', 10, (byte)'1', (byte)',', 0xFF, 10 }, "Line 2, field 2 is not valid UTF-8")]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0, (byte)',', 0, (byte)'b', 0, 10, 0 }, "UTF-16 byte-order mark")]
    [InlineData(new byte[] { (byte)'a', 0, (byte)',', 0, (byte)'b', 0, 10, 0 }, "NUL byte (0x00)")]
    public async Task Csv_that_is_not_utf8_is_refused_saying_so(byte[] csv, string expected)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Trainer);
        var objects = await ObjectCountAsync();
        Assert.Contains(expected, await DetailAsync(await http.PutAsync("api/v1/datasets/not-utf8", Csv(csv))));
        Assert.Equal(objects, await ObjectCountAsync());
    }

    [Fact]
    public async Task A_bom_is_dropped_and_cr_only_lines_are_rows_as_in_the_worker()
    {
        var client = registry.CreateRegistryClient(RegistryRole.Trainer);
        using var bom = new MemoryStream([0xEF, 0xBB, 0xBF, .. "a,b\n1,2\n"u8.ToArray()]);
        var withBom = await client.UploadDatasetAsync("bom", bom);
        Assert.Equal(["a", "b"], withBom.Version.Columns.Select(c => c.Name));
        using var cr = new MemoryStream("x,y\r1,2\r3,4\r"u8.ToArray());
        var crOnly = await client.UploadDatasetAsync("cr-only", cr);
        Assert.Equal(2, crOnly.Version.Rows);
        Assert.Equal(["x", "y"], crOnly.Version.Columns.Select(c => c.Name));
    }

    [Theory]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"numberOfIterations\":\"300\"}}}",
        "'spec.trainer.numberOfIterations' has the wrong type: expected an integer")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"learningRate\":true}}}",
        "'spec.trainer.learningRate' has the wrong type: expected a number")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"maxDepth\":3}}}",
        "Unknown field 'spec.trainer.maxDepth'. Allowed fields of 'spec.trainer': numberOfIterations")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"epochs\":5}}",
        "Unknown field 'spec.epochs'")]
    [InlineData("{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\"}",
        "'experiment' is a field of 'spec': wrap the document as {\"spec\": {...}}")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\"}}",
        "'spec' is missing required field 'label'")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":null,\"label\":\"y\"}}",
        "'spec.task' must not be null: expected a string")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"numberOfIterations\":-5}}}",
        "spec.trainer.numberOfIterations must be an integer in [1, 100000], not -5")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"learningRate\":7}}}",
        "spec.trainer.learningRate must be a number in (0, 1], not 7")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"numberOfThreads\":0}}}",
        "spec.trainer.numberOfThreads must be an integer in [1, 64], not 0")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"maximumTreeDepth\":-1}}}",
        "spec.trainer.maximumTreeDepth must be an integer in [0, 1000], not -1")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"regression\",\"label\":\"y\",\"sweep\":{\"strategy\":\"grid\",\"space\":{\"numberOfThreads\":[1,2]}}}}",
        "spec.sweep.space.numberOfThreads is not a trainer parameter")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"regression\",\"label\":\"y\",\"sweep\":{\"strategy\":\"grid\",\"space\":{\"maxDepth\":[3]}}}}",
        "spec.sweep.space.maxDepth is not a trainer parameter")]
    [InlineData("{\"spec\":{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"regression\",\"label\":\"y\",\"register\":{\"model\":\"m\",\"gate\":{\"metric\":\"auc\"}}}}",
        "'auc' is not a regression metric")]
    public async Task The_job_spec_is_strict_and_ranges_are_checked_at_submit(string json, string expected)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Trainer);
        var jobs = (await registry.CreateRegistryClient().ListJobsAsync()).Count;
        Assert.Contains(expected, await DetailAsync(await http.PostAsync("api/v1/jobs", Json(json))));
        Assert.Equal(jobs, (await registry.CreateRegistryClient().ListJobsAsync()).Count);
    }

    [Fact]
    public async Task Every_sample_spec_is_accepted_as_written()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Trainer);
        foreach (var file in Directory.GetFiles(Path.Combine(TestServices.RepoRoot(), "samples", "jobs"), "*.json"))
        {
            var body = $"{{\"spec\": {await File.ReadAllTextAsync(file)}, \"idempotencyKey\": \"sample-{Path.GetFileName(file)}\"}}";
            var response = await http.PostAsync("api/v1/jobs", Json(body));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{file}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_compressed_body_is_a_415_not_parsed_as_plain()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Admin);
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write("{\"name\":\"gz\"}"u8);
        var content = new ByteArrayContent(zipped.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        Assert.Contains("Content-Encoding 'gzip'", await DetailAsync(await http.PostAsync("api/v1/experiments", content), HttpStatusCode.UnsupportedMediaType));
    }

    [Theory]
    [InlineData("api/v1/experiments")]
    [InlineData("api/v1/datasets")]
    [InlineData("api/v1/models")]
    [InlineData("api/v1/jobs")]
    [InlineData("openapi/v1.json")]
    public async Task Head_is_answered_wherever_get_is(string path)
    {
        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }
}
