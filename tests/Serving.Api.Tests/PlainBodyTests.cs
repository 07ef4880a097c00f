using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MlOps.Serving.Api.Tests.Infrastructure;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// Bodies in the common shape (every column once, in schema order, plain names) are read by a byte scan, every
/// other body by Utf8JsonReader (Serving.Api/Predict/PlainJsonRows.cs): both must give the same predictions to the
/// bit, whatever the whitespace and number notation.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class PlainBodyTests(TrainedModels models) : IAsyncLifetime
{
    private ServingFactory _factory = null!;
    private HttpClient _http = null!;
    private string[] _columns = [];

    public async Task InitializeAsync()
    {
        _factory = new ServingFactory(ServingFactory.FromFiles(("ames", models.Ames.BundlePath)));
        _http = (await _factory.StartReadyAsync()).Http;
        using var info = JsonDocument.Parse(await _http.GetStringAsync("v1/models/ames"));
        _columns = info.RootElement.GetProperty("inputSchema").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("R", false)]
    [InlineData("E16", true)]
    [InlineData("F3", false)]
    public async Task Plain_and_reader_parsed_bodies_predict_alike(string numbers, bool indented)
    {
        var rows = models.Ames.TestRows.Take(40).ToList();
        var plain = Body(rows, _columns, numbers, indented);
        // Reader path: the first column's name escaped in every row, or the columns in reverse order.
        var first = _columns[0];
        var escaped = plain.Replace($"\"{first}\":", $"\"\\u{(int)first[0]:x4}{first[1..]}\":", StringComparison.Ordinal);
        Assert.NotEqual(plain, escaped);
        var reversed = Body(rows, _columns.Reverse().ToArray(), numbers, indented);

        var expected = await PredictionsAsync(plain);
        Assert.Equal(rows.Count, JsonDocument.Parse(expected).RootElement.GetArrayLength());
        Assert.Equal(expected, await PredictionsAsync(escaped));
        Assert.Equal(expected, await PredictionsAsync(reversed));

        var single = Body(rows.Take(1).ToList(), _columns, numbers, indented, single: true);
        Assert.Equal(JsonDocument.Parse(expected).RootElement[0].GetRawText(),
            JsonDocument.Parse(await PredictionsAsync(single)).RootElement[0].GetRawText());
    }

    [Theory]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData("-")]
    [InlineData("1e")]
    [InlineData("1x")]
    public async Task A_number_outside_json_grammar_is_refused_as_before(string number)
    {
        var numeric = _columns.First(c => models.Ames.TestRows[0][c] is double);
        var body = Body(models.Ames.TestRows.Take(1).ToList(), _columns, "R", false)
            .Replace($"\"{numeric}\":{((double)models.Ames.TestRows[0][numeric]!).ToString("R", CultureInfo.InvariantCulture)}", $"\"{numeric}\":{number}", StringComparison.Ordinal);
        using var response = await _http.PostJsonAsync("v1/models/ames/predict", body);
        var problem = await Assertions.BadRequestAsync(response, null, null);
        Assert.Contains("not valid JSON", problem.GetProperty("detail").GetString());
    }

    private async Task<string> PredictionsAsync(string body)
    {
        using var response = await _http.PostJsonAsync("v1/models/ames/predict", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("predictions").GetRawText();
    }

    private static string Body(IReadOnlyList<Dictionary<string, object?>> rows, string[] columns, string numbers, bool indented, bool single = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            if (single) writer.WritePropertyName("features");
            else writer.WriteStartArray("instances");
            foreach (var row in rows)
            {
                writer.WriteStartObject();
                foreach (var column in columns)
                {
                    writer.WritePropertyName(column);
                    switch (row[column])
                    {
                        case null: writer.WriteNullValue(); break;
                        case double d: writer.WriteRawValue(d.ToString(numbers, CultureInfo.InvariantCulture)); break;
                        case var other: writer.WriteStringValue(Convert.ToString(other, CultureInfo.InvariantCulture)); break;
                    }
                }
                writer.WriteEndObject();
            }
            if (!single) writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
