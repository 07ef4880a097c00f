using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// Content-Encoding on predict bodies (honoured for gzip with the same limit after decompression, else 415), HEAD
/// wherever GET is, and binary predictions that say which class their probabilities are of.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class RequestEncodingTests(TrainedModels models) : IAsyncLifetime
{
    private const long MaxBodyBytes = 64 * 1024;
    private ServingFactory _factory = null!;
    private ServingClient _client = null!;

    public async Task InitializeAsync()
    {
        var settings = ServingFactory.FromFiles(("credit", models.Credit.BundlePath), ("hpc", models.Hpc.BundlePath));
        settings["Serving:Limits:MaxBodyBytes"] = MaxBodyBytes.ToString();
        _factory = new ServingFactory(settings);
        _client = await _factory.StartReadyAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_gzip_body_is_decompressed_and_predicts_as_the_plain_one()
    {
        var json = JsonSerializer.Serialize(PredictRequest.Batch(models.Credit.TestRows.Take(20).ToList<IReadOnlyDictionary<string, object?>>()), RegistryJson.Options);
        using var plain = await _client.Http.PostJsonAsync("v1/models/credit/predict", json);
        using var zipped = await _client.Http.SendAsync(Gzip("v1/models/credit/predict", Encoding.UTF8.GetBytes(json)));
        Assert.Equal(HttpStatusCode.OK, zipped.StatusCode);
        var a = await plain.Content.ReadFromJsonAsync<PredictResponse>(RegistryJson.Options);
        var b = await zipped.Content.ReadFromJsonAsync<PredictResponse>(RegistryJson.Options);
        Assert.Equal(a!.Predictions.Select(p => (p.Label, p.Probability)), b!.Predictions.Select(p => (p.Label, p.Probability)));
    }

    [Fact]
    public async Task A_gzip_body_over_the_limit_once_decompressed_is_refused()
    {
        // 1 MB of spaces compresses to about 1 KB: the limit applies to what the parser would read.
        var json = "{\"features\":{}" + new string(' ', 1024 * 1024) + "}";
        using var response = await _client.Http.SendAsync(Gzip("v1/models/credit/predict", Encoding.UTF8.GetBytes(json)));
        var problem = await Assertions.BadRequestAsync(response, null, null);
        Assert.Contains(MaxBodyBytes.ToString(), problem.GetProperty("detail").GetString());

        using var v2 = await _client.Http.SendAsync(Gzip("v2/models/credit/infer", Encoding.UTF8.GetBytes(json)));
        await Assertions.BadRequestAsync(v2, null, null);
    }

    [Theory]
    [InlineData("compress")]
    [InlineData("x-unknown")]
    public async Task An_unsupported_content_encoding_is_a_415_problem(string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/models/credit/predict")
        {
            Content = new StringContent("{\"features\":{}}", Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentEncoding.Add(encoding);
        using var response = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(encoding, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("model/info")]
    [InlineData("v1/models/credit")]
    [InlineData("v2/models/credit")]
    [InlineData("v2/health/ready")]
    [InlineData("openapi/v1.json")]
    public async Task Head_is_answered_wherever_get_is(string path)
    {
        using var get = await _client.Http.GetAsync(path);
        using var head = await _client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Binary_predictions_give_the_labels_probability_and_each_classs()
    {
        var info = await _client.GetModelInfoAsync("credit");
        Assert.Equal("bad", info.PositiveClass);
        Assert.Equal(["good", "bad"], info.Classes);
        var response = await _client.PredictAsync("credit", PredictRequest.Batch(models.Credit.TestRows.ToList<IReadOnlyDictionary<string, object?>>()));
        var labels = new HashSet<string>();
        foreach (var p in response.Predictions)
        {
            Assert.NotNull(p.Probabilities);
            Assert.Equal(2, p.Probabilities!.Count);
            Assert.Equal(1.0, p.Probabilities["good"] + p.Probabilities["bad"], 9);
            // probability is the predicted label's, so never below one half; the label is the likelier class.
            Assert.Equal(p.Probabilities[p.Label!], p.Probability!.Value, 12);
            Assert.True(p.Probability >= 0.5);
            Assert.Equal(p.Probabilities["bad"] >= 0.5 ? "bad" : "good", p.Label);
            labels.Add(p.Label!);
        }
        Assert.Equal(2, labels.Count);
    }

    [Fact]
    public async Task V2_names_the_probability_of_each_class()
    {
        var rows = models.Credit.TestRows.Take(5).ToList<IReadOnlyDictionary<string, object?>>();
        var rest = await _client.PredictAsync("credit", PredictRequest.Batch(rows));
        var metadata = await _client.Http.GetFromJsonAsync<V2ModelMetadata>("v2/models/credit", RegistryJson.Options);
        Assert.Equal(["predict", "prediction_id", "probability", "probability_bad", "probability_good"], metadata!.Outputs.Select(o => o.Name).Order());

        var inputs = models.Credit.Result.Manifest.Features.Select(f => new
        {
            name = f.Name,
            shape = new[] { rows.Count },
            datatype = f.Kind == ModelBundle.Features.FeatureKind.Numeric ? "FP64" : "BYTES",
            data = rows.Select(r => r[f.Name]).ToArray(),
        });
        using var answer = await _client.Http.PostAsJsonAsync("v2/models/credit/infer", new { inputs });
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, text);
        var outputs = JsonDocument.Parse(text).RootElement.GetProperty("outputs").EnumerateArray()
            .ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rest.Predictions[i].Label, outputs["predict"][i].GetString());
            Assert.Equal(rest.Predictions[i].Probability!.Value, outputs["probability"][i].GetDouble(), 9);
            Assert.Equal(rest.Predictions[i].Probabilities!["bad"], outputs["probability_bad"][i].GetDouble(), 9);
        }
    }

    private static HttpRequestMessage Gzip(string path, byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(body);
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }
}
