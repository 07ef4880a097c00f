using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;
using MlOps.PredictionLog;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Serving;

namespace MlOps.Serving.Api.Tests.Infrastructure;

/// <summary>Predict calls that keep the answer's prediction ids, and reading logged files back from the registry's bucket.</summary>
public static class LoggedPredictions
{
    /// <summary>A REST predict answer with its <c>predictionIds</c>.</summary>
    public sealed record Answer(PredictResponse Response, IReadOnlyList<string> Ids);

    public static async Task<Answer> PredictAsync(HttpClient http, string model, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows)
    {
        var request = rows.Count == 1 ? PredictRequest.Single(rows[0]) : PredictRequest.Batch(rows);
        using var response = await http.PostAsJsonAsync($"v1/models/{model}/predict", request, RegistryJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var body = JsonSerializer.Deserialize<PredictResponse>(text, RegistryJson.Options)!;
        return new Answer(body, body.PredictionIds ?? throw new InvalidOperationException("no predictionIds in " + text));
    }

    /// <summary>Waits until the registry lists <paramref name="rows"/> rows of <paramref name="kind"/> for the model, then reads them all.</summary>
    public static async Task<List<T>> WaitForRowsAsync<T>(RegistryHarness registry, string model, string kind, int rows,
        Func<Stream, Task<IReadOnlyList<T>>> read, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var files = (await registry.Admin.ListPredictionLogFilesAsync(model, kind, limit: 500)).Files;
            var listed = files.Sum(f => f.Rows);
            if (listed >= rows || DateTime.UtcNow > deadline)
            {
                Assert.Equal(rows, listed);
                var result = new List<T>();
                using var s3 = registry.Registry.CreateS3Client();
                foreach (var file in files)
                {
                    using var obj = await s3.GetObjectAsync(new GetObjectRequest { BucketName = registry.Registry.Bucket, Key = file.Key });
                    using var copy = new MemoryStream();
                    await obj.ResponseStream.CopyToAsync(copy);
                    copy.Position = 0;
                    result.AddRange(await read(copy));
                }
                return result;
            }
            await Task.Delay(100);
        }
    }

    public static Task<List<PredictionLogRow>> PredictionRowsAsync(RegistryHarness registry, string model, int rows) =>
        WaitForRowsAsync(registry, model, PredictionLogKinds.Predictions, rows, s => PredictionLogReader.ReadPredictionsAsync(s));

    public static Task<List<FeedbackRow>> FeedbackRowsAsync(RegistryHarness registry, string model, int rows) =>
        WaitForRowsAsync(registry, model, PredictionLogKinds.Feedback, rows, s => PredictionLogReader.ReadFeedbackAsync(s));
}
