using System.Text.Json;
using System.Text.Json.Nodes;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>Client mistakes are 400 problem details naming the column and row, never a 500, on REST and V2.</summary>
[Collection(ServingCollection.Name)]
public sealed class BadInputTests(TrainedModels models) : IAsyncLifetime
{
    private const int MaxRows = 50;
    private const int MaxBody = 150_000;
    private ServingFactory _factory = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var settings = ServingFactory.FromFiles(("ames", models.Ames.BundlePath));
        settings["Serving:Limits:MaxBatchRows"] = MaxRows.ToString();
        settings["Serving:Limits:MaxBodyBytes"] = MaxBody.ToString();
        _factory = new ServingFactory(settings);
        _http = (await _factory.StartReadyAsync()).Http;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private JsonObject Row(int i = 0) => JsonSerializer.SerializeToNode(models.Ames.TestRows[i])!.AsObject();

    private Task<HttpResponseMessage> PostSingle(JsonObject row) =>
        _http.PostJsonAsync("v1/models/ames/predict", new JsonObject { ["features"] = row }.ToJsonString());

    [Fact]
    public async Task Missing_column()
    {
        var row = Row();
        row.Remove("Lot_Area");
        await Assertions.BadRequestAsync(await PostSingle(row), "Lot_Area", 0);
    }

    [Fact]
    public async Task Unknown_column()
    {
        var row = Row();
        row["Swimming_Pools"] = 2;
        await Assertions.BadRequestAsync(await PostSingle(row), "Swimming_Pools", 0);
    }

    [Fact]
    public async Task Text_for_a_numeric_column()
    {
        var row = Row();
        row["Lot_Area"] = "large";
        var problem = await Assertions.BadRequestAsync(await PostSingle(row), "Lot_Area", 0);
        Assert.Contains("expects a number", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Number_for_a_categorical_column()
    {
        var row = Row();
        row["Neighborhood"] = 12;
        var problem = await Assertions.BadRequestAsync(await PostSingle(row), "Neighborhood", 0);
        Assert.Contains("expects a string", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("1e400")]
    public async Task NaN_or_infinite_numbers(string literal)
    {
        var row = Row();
        row["Gr_Liv_Area"] = JsonNode.Parse(literal);
        await Assertions.BadRequestAsync(await PostSingle(row), "Gr_Liv_Area", 0);
    }

    [Fact]
    public async Task Null_is_a_missing_value_not_an_error()
    {
        var row = Row();
        row["Lot_Frontage"] = null;
        row["Alley"] = null;
        var response = await PostSingle(row);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Bad_cell_deep_in_a_batch_names_its_row()
    {
        var rows = new JsonArray(Row(0), Row(1), Row(2), Row(3));
        rows[2]!["Year_Built"] = true;
        var response = await _http.PostJsonAsync("v1/models/ames/predict", new JsonObject { ["instances"] = rows }.ToJsonString());
        await Assertions.BadRequestAsync(response, "Year_Built", 2);
    }

    [Fact]
    public async Task Empty_batch()
    {
        var problem = await Assertions.BadRequestAsync(await _http.PostJsonAsync("v1/models/ames/predict", "{\"instances\":[]}"), null, null);
        Assert.Contains("empty", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Batch_over_the_row_limit()
    {
        var rows = new JsonArray(Enumerable.Range(0, MaxRows + 1).Select(i => (JsonNode)Row(i)).ToArray());
        var problem = await Assertions.BadRequestAsync(
            await _http.PostJsonAsync("v1/models/ames/predict", new JsonObject { ["instances"] = rows }.ToJsonString()), null, MaxRows);
        Assert.Contains($"{MaxRows}", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Body_over_the_size_limit()
    {
        var body = "{\"instances\":[" + new string(' ', MaxBody) + "]}";
        var problem = await Assertions.BadRequestAsync(await _http.PostJsonAsync("v1/models/ames/predict", body), null, null);
        Assert.Contains($"{MaxBody} bytes", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("{\"features\":")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"features\":[1]}")]
    [InlineData("{\"rows\":[]}")]
    [InlineData("{}")]
    [InlineData("{\"instances\":[1]}")]
    public async Task Malformed_bodies(string body)
    {
        await Assertions.BadRequestAsync(await _http.PostJsonAsync("v1/models/ames/predict", body), null, null);
    }

    [Fact]
    public async Task Duplicate_column()
    {
        var json = new JsonObject { ["features"] = Row() }.ToJsonString().Replace("{\"features\":{", "{\"features\":{\"Lot_Area\":1,");
        await Assertions.BadRequestAsync(await _http.PostJsonAsync("v1/models/ames/predict", json), "Lot_Area", 0);
    }

    [Fact]
    public async Task V2_wrong_datatype_missing_input_and_bad_cell()
    {
        var request = models.Ames.V2Request(3);
        var tensors = request.Inputs.ToList();
        var neighborhood = tensors.FindIndex(t => t.Name == "Neighborhood");
        tensors[neighborhood] = tensors[neighborhood] with { Datatype = V2Datatypes.Fp64 };
        await Assertions.BadRequestAsync(await _http.PostObjectAsync("v2/models/ames/infer", request with { Inputs = tensors }), "Neighborhood", null);

        await Assertions.BadRequestAsync(
            await _http.PostObjectAsync("v2/models/ames/infer", request with { Inputs = request.Inputs.Where(t => t.Name != "Lot_Area").ToList() }), "Lot_Area", null);

        tensors = request.Inputs.ToList();
        var area = tensors.FindIndex(t => t.Name == "Lot_Area");
        tensors[area] = tensors[area] with { Data = JsonSerializer.SerializeToElement(new object?[] { 1.0, "big", 3.0 }) };
        await Assertions.BadRequestAsync(await _http.PostObjectAsync("v2/models/ames/infer", request with { Inputs = tensors }), "Lot_Area", 1);
    }

    [Theory]
    [InlineData("{\"inputs\":")]
    [InlineData("{\"inputs\":[{\"name\":\"Lot_Area\",\"shape\":\"three\",\"datatype\":\"FP64\",\"data\":[1]}]}")]
    [InlineData("{}")]
    [InlineData("{\"inputs\":[{\"name\":\"Lot_Area\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":5}]}")]
    public async Task V2_malformed_requests_are_400s(string body)
    {
        var response = await _http.PostJsonAsync("v2/models/ames/infer", body);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task V2_infer_equals_the_offline_model()
    {
        var response = await _factory.CreateServingClient().InferAsync("ames", models.Ames.V2Request(10));
        Assert.Equal("ames", response.ModelName);
        Assert.Equal("1", response.ModelVersion);
        var values = response.Outputs.Single(o => o.Name == "predict").Data.Deserialize<double[]>()!;
        Assert.Equal(10, values.Length);
        for (var i = 0; i < 10; i++) Assertions.Close(models.Ames.Offline[i].Value, values[i]);
    }
}
