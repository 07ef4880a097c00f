using System.Net;
using System.Security.Cryptography;
using System.Text;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Api.Tests;

public sealed class DatasetsTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    private const string Csv =
        "\"status\",age,income,city\r\n" +
        "good,30,100.5,\"Paris\"\r\n" +
        "bad,40,,\"New York, NY\"\r\n" +
        "good,50,300.5,NA\r\n" +
        "good,NaN,200,\"say \"\"hi\"\"\"\r\n";

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public async Task Upload_profiles_schema_and_stats_in_one_pass()
    {
        var result = await trainer.UploadDatasetAsync("credit-small", Bytes(Csv), "demo");
        Assert.True(result.Created);
        var v = result.Version;
        Assert.Equal(1, v.Version);
        Assert.Equal(Sha(Csv), v.Sha256);
        Assert.Equal(Encoding.UTF8.GetByteCount(Csv), v.SizeBytes);
        Assert.Equal(4, v.Rows);
        Assert.Equal(["status", "age", "income", "city"], v.Columns.Select(c => c.Name));

        var status = v.Columns[0];
        Assert.Equal(ColumnTypes.Categorical, status.Type);
        Assert.Equal(3, status.Categorical!.Levels["good"]);
        Assert.Equal(1, status.Categorical.Levels["bad"]);
        Assert.Equal(2, status.Categorical.Distinct);

        var age = v.Columns[1];
        Assert.Equal(ColumnTypes.Numeric, age.Type);
        Assert.Equal(1, age.Missing);
        Assert.Equal(30, age.Numeric!.Min);
        Assert.Equal(50, age.Numeric.Max);
        Assert.Equal(40, age.Numeric.Mean, 9);
        Assert.Equal(10, age.Numeric.Std, 9); // sample std of 30, 40, 50

        var income = v.Columns[2];
        Assert.Equal(1, income.Missing);
        Assert.Equal(200.3333333333, income.Numeric!.Mean, 6);

        var city = v.Columns[3];
        Assert.Equal(ColumnTypes.Categorical, city.Type);
        Assert.Equal(1, city.Missing);
        Assert.Equal(1, city.Categorical!.Levels["New York, NY"]);
        Assert.Equal(1, city.Categorical.Levels["say \"hi\""]);

        var dataset = await trainer.GetDatasetAsync("credit-small");
        Assert.Equal("demo", dataset!.Description);
        Assert.Equal(1, dataset.LatestVersion);
    }

    [Fact]
    public async Task Identical_bytes_give_the_same_version_and_new_bytes_a_new_one()
    {
        var first = await trainer.UploadDatasetAsync("dedup", Bytes(Csv));
        var again = await trainer.UploadDatasetAsync("dedup", Bytes(Csv));
        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Version.Version, again.Version.Version);

        var changed = await trainer.UploadDatasetAsync("dedup", Bytes(Csv + "bad,60,10,Rome\r\n"));
        Assert.True(changed.Created);
        Assert.Equal(2, changed.Version.Version);
        Assert.Equal(5, changed.Version.Rows);

        Assert.Equal(2, (await trainer.GetDatasetVersionAsync("dedup")).Version);
        Assert.Equal(first.Version.Sha256, (await trainer.GetDatasetVersionAsync("dedup", 1)).Sha256);
        Assert.Equal([1, 2], (await trainer.ListDatasetVersionsAsync("dedup")).Select(x => x.Version));
    }

    [Fact]
    public async Task Concurrent_uploads_of_the_same_bytes_make_one_version()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => trainer.UploadDatasetAsync("race", Bytes(Csv))));
        Assert.Single(results.Select(r => r.Version.Version).Distinct());
        Assert.Single(results, r => r.Created);
    }

    [Fact]
    public async Task Content_streams_back_with_sha256_etag()
    {
        var up = await trainer.UploadDatasetAsync("content", Bytes(Csv));
        await using var download = await trainer.OpenDatasetContentAsync("content", up.Version.Version);
        Assert.Equal(up.Version.Sha256, download.Sha256);
        using var reader = new StreamReader(download.Content);
        Assert.Equal(Csv, await reader.ReadToEndAsync());

        await using var latest = await trainer.OpenDatasetContentAsync("content");
        Assert.Equal(up.Version.Sha256, latest.Sha256);
    }

    // samples/datasets holds the shared datasets byte for byte (samples/README.md), so a clone tests alone.
    private static string SharedDataset(string file) =>
        Path.Combine(TestServices.RepoRoot(), "samples", "datasets", file);

    [Fact]
    public async Task Real_datasets_profile_as_their_readme_describes()
    {
        await using (var file = File.OpenRead(SharedDataset("credit_scoring.csv")))
        {
            var v = (await trainer.UploadDatasetAsync("credit_scoring", file)).Version;
            Assert.Equal((4454L, 14), (v.Rows, v.Columns.Count));
            Assert.Equal(9, v.Columns.Count(c => c.Type == ColumnTypes.Numeric));
            Assert.Equal(455, v.Columns.Sum(c => c.Missing));
            var income = v.Columns.Single(c => c.Name == "Income");
            Assert.Equal((ColumnTypes.Numeric, 381L), (income.Type, income.Missing));
            var status = v.Columns.Single(c => c.Name == "Status");
            Assert.Equal(4454, status.Categorical!.Levels.Values.Sum());
        }
        await using (var file = File.OpenRead(SharedDataset("ames_housing.csv")))
        {
            var v = (await trainer.UploadDatasetAsync("ames_housing", file)).Version;
            Assert.Equal((2930L, 74), (v.Rows, v.Columns.Count));
            Assert.Equal(0, v.Columns.Sum(c => c.Missing));
            // "None" is a level here, not a missing marker.
            Assert.Equal(1775, v.Columns.Single(c => c.Name == "Mas_Vnr_Type").Categorical!.Levels["None"]);
            var price = v.Columns.Single(c => c.Name == "Sale_Price");
            Assert.Equal(ColumnTypes.Numeric, price.Type);
            Assert.True(price.Numeric!.Min > 0 && price.Numeric.Max > price.Numeric.Mean);
        }
    }

    [Fact]
    public async Task Quoted_markers_are_values_and_unquoted_ones_missing()
    {
        var v = (await trainer.UploadDatasetAsync("markers", Bytes("kind\n\"NA\"\nNA\n\"None\"\n\"\"\n"))).Version;
        var kind = Assert.Single(v.Columns);
        Assert.Equal(2, kind.Missing);
        Assert.Equal(new Dictionary<string, long> { ["NA"] = 1, ["None"] = 1 }, kind.Categorical!.Levels);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a,b\n1,2,3\n")]
    [InlineData("a,a\n1,2\n")]
    [InlineData("a,b\n\"1,2\n")]
    public async Task Unusable_csv_is_400_and_creates_nothing(string body)
    {
        var name = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var e = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.UploadDatasetAsync(name, Bytes(body)));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Null(await trainer.GetDatasetAsync(name));
    }

    [Fact]
    public async Task Unknown_dataset_or_version_is_404_and_bad_version_400()
    {
        await trainer.UploadDatasetAsync("known", Bytes(Csv));
        var e1 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.GetDatasetVersionAsync("known", 9));
        Assert.Equal(HttpStatusCode.NotFound, e1.StatusCode);
        var e2 = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.OpenDatasetContentAsync("unknown-ds"));
        Assert.Equal(HttpStatusCode.NotFound, e2.StatusCode);
        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        using var response = await http.GetAsync("api/v1/datasets/known/versions/-1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
